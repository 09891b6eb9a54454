import { CloudAdapter, ConfigurationBotFrameworkAuthentication, ConfigurationBotFrameworkAuthenticationOptions, ConfigurationServiceClientCredentialFactory } from 'botbuilder';
import { AuthenticateRequestResult, ServiceClientCredentials } from 'botframework-connector';
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
  const authentication = new ConfigurationBotFrameworkAuthentication(options, credentials);
  const adapter = new PortierAdapter(authentication);
  const loginUrl = endpoints?.loginUrl ?? (tenantId ? `https://login.microsoftonline.com/${tenantId}` : publicCloud.loginUrl);
  const oauthScope = endpoints?.oauthScope ?? publicCloud.oauthScope;
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
    connectorCredentials: () => credentials.createCredentials(id ?? '', oauthScope, loginUrl, false),
  };
}
