import { CloudAdapter, ConfigurationBotFrameworkAuthentication, ConfigurationBotFrameworkAuthenticationOptions, ConfigurationServiceClientCredentialFactory } from 'botbuilder';
import { AuthenticateRequestResult, ClaimsIdentity, ConnectorClient, JwtTokenValidation, ServiceClientCredentials, UserTokenClient } from 'botframework-connector';
import type { Activity, InvokeResponse, TurnContext } from 'botbuilder';
import type { Config } from '../config';
import { PortierCredentialsFactory } from './credentials';

/** botbuilder's public-cloud login and scope, used for proactive sends when no endpoints are configured. */
const publicCloud = { loginUrl: 'https://login.microsoftonline.com/botframework.com', oauthScope: 'https://api.botframework.com' };

/** botbuilder's `CloudAdapter`, with the pre-authenticated entry point `processActivity` made public for our edge. */
export class PortierAdapter extends CloudAdapter {
  runActivity(auth: AuthenticateRequestResult, activity: Activity, logic: (context: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined> {
    return this.processActivity(auth, activity, logic);
  }
}

/**
 * botbuilder's authentication from configuration, with the clients `CloudAdapter` makes for every activity kept:
 * a connector client (an Azure request pipeline with its credentials) and a user-token client, built per activity
 * whether the turn uses them or not (a card click answers in its HTTP response and uses neither). They depend only
 * on the bot's app id, the service URL and the audience, so one of each per combination serves every activity, as
 * botbuilder's older `BotFrameworkAdapter` kept one connector client per service URL; their credentials keep their
 * token. A failed creation is not kept.
 */
class KeptClientsAuthentication extends ConfigurationBotFrameworkAuthentication {
  private readonly connectors = new Map<string, Promise<ConnectorClient>>();
  private readonly userTokenClients = new Map<string, Promise<UserTokenClient>>();

  override async authenticateRequest(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    const result = await super.authenticateRequest(activity, authHeader);
    const factory = result.connectorFactory;
    if (factory) {
      const appId = appIdOf(result.claimsIdentity);
      result.connectorFactory = { create: (serviceUrl, audience) => kept(this.connectors, `${appId}|${serviceUrl}|${audience ?? ''}`, () => factory.create(serviceUrl, audience)) };
    }
    return result;
  }

  override createUserTokenClient(identity: ClaimsIdentity): Promise<UserTokenClient> {
    return kept(this.userTokenClients, appIdOf(identity), () => super.createUserTokenClient(identity));
  }
}

const appIdOf = (identity: ClaimsIdentity | undefined): string => (identity ? (JwtTokenValidation.getAppIdFromClaims(identity.claims) ?? '') : '');

/** The value kept under `key`, made once; a failure is forgotten (the next call tries again); at most 1,000 kept. */
function kept<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let value = cache.get(key);
  if (!value) {
    if (cache.size >= 1_000) cache.clear();
    value = make();
    cache.set(key, value);
    const made = value;
    made.catch(() => {
      if (cache.get(key) === made) cache.delete(key);
    });
  }
  return value;
}

/** How long the key service may take before an activity is refused: fail closed, promptly. */
export const authenticationTimeoutMs = 5_000;

export class BotAuthenticationError extends Error {}

export interface BotFramework {
  adapter: PortierAdapter;
  appId: string;
  /** True without `BOT_ID`: only the loopback dev mode accepts unauthenticated activities. */
  anonymous: boolean;
  /** Validates the activity's token (botbuilder: signature, issuer, audience, endorsements, serviceUrl). */
  authenticate(activity: Partial<Activity>, authHeader: string): Promise<AuthenticateRequestResult>;
  /** Credentials for the bot's own calls to the connector (notices, card updates). */
  connectorCredentials(): Promise<ServiceClientCredentials>;
}

/**
 * The Bot Framework side of Portier: botbuilder's `CloudAdapter` with
 * `ConfigurationBotFrameworkAuthentication`, from `BOT_ID`/`BOT_PASSWORD`/`BOT_TENANT_ID` and the
 * optional endpoint overrides. botbuilder's types stay inside `bot/teams/`.
 */
export function createBotFramework(config: Config): BotFramework {
  const { id, password, tenantId, endpoints, managedIdentityClientId } = config.bot;
  const options: ConfigurationBotFrameworkAuthenticationOptions = {
    MicrosoftAppId: id ?? '',
    MicrosoftAppPassword: password ?? '',
    MicrosoftAppTenantId: tenantId ?? '',
    MicrosoftAppType: tenantId ? 'SingleTenant' : 'MultiTenant',
    ...(endpoints
      ? {
          ToBotFromChannelOpenIdMetadataUrl: endpoints.openIdMetadataUrl,
          ToBotFromChannelTokenIssuer: endpoints.tokenIssuer,
          ToBotFromEmulatorOpenIdMetadataUrl: endpoints.openIdMetadataUrl,
          ToChannelFromBotLoginUrl: endpoints.loginUrl,
          ToChannelFromBotOAuthScope: endpoints.oauthScope,
          OAuthUrl: endpoints.oauthUrl,
          CallerId: 'urn:botframework:azure',
          ValidateAuthority: false,
        }
      : {}),
  } as ConfigurationBotFrameworkAuthenticationOptions;
  // A user-assigned managed identity (Azure, no secret) is botbuilder's own business; a secret is ours.
  const credentials =
    !password && managedIdentityClientId
      ? new ConfigurationServiceClientCredentialFactory({ MicrosoftAppId: id, MicrosoftAppType: 'UserAssignedMSI', MicrosoftAppTenantId: tenantId })
      : new PortierCredentialsFactory(id, password, tenantId);
  const authentication = new KeptClientsAuthentication(options, credentials);
  const adapter = new PortierAdapter(authentication);
  const loginUrl = endpoints?.loginUrl ?? (tenantId ? `https://login.microsoftonline.com/${tenantId}` : publicCloud.loginUrl);
  const oauthScope = endpoints?.oauthScope ?? publicCloud.oauthScope;
  // One credentials object for all the bot's own connector calls instead of one built per call (their tokens are
  // cached by botframework-connector either way). A failure is not kept: the next call tries again.
  let connectorCredentials: Promise<ServiceClientCredentials> | undefined;
  return {
    adapter,
    appId: id ?? '',
    anonymous: !id,
    async authenticate(activity, authHeader) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new BotAuthenticationError('The Bot Framework key service did not answer in time.')), authenticationTimeoutMs);
      });
      try {
        return await Promise.race([authentication.authenticateRequest(activity as Activity, authHeader), timeout]);
      } catch (error) {
        // Whatever went wrong (forged, expired, unsigned, keys unreachable), the activity is refused.
        throw error instanceof BotAuthenticationError ? error : new BotAuthenticationError(error instanceof Error ? error.message : String(error));
      } finally {
        clearTimeout(timer);
      }
    },
    connectorCredentials: () =>
      (connectorCredentials ??= credentials.createCredentials(id ?? '', oauthScope, loginUrl, false).catch((error: unknown) => {
        connectorCredentials = undefined;
        throw error;
      })),
  };
}
