import { AppCredentials, AuthenticationConstants, PasswordServiceClientCredentialFactory, ServiceClientCredentials } from 'botframework-connector';

/**
 * App credentials that get the bot's token with a plain OAuth 2.0 client-credentials grant at
 * `<login URL>/oauth2/v2.0/token`. botbuilder's own credentials use MSAL, which accepts only
 * Microsoft's https authorities; this is what a configured `BOT_LOGIN_URL` (a sovereign cloud's
 * login, or an offline stand-in) is served with. The token is cached by `AppCredentials` until it expires.
 */
class ClientCredentialsAppCredentials extends AppCredentials {
  constructor(
    appId: string,
    private readonly password: string,
    private readonly loginUrl: string,
    oauthScope: string,
  ) {
    super(appId, undefined, oauthScope);
  }

  protected override async refreshToken(): Promise<{ accessToken: string; expiresOn: Date }> {
    const scope = this.oAuthScope.endsWith('/.default') ? this.oAuthScope : `${this.oAuthScope}/.default`;
    const response = await fetch(`${this.loginUrl.replace(/\/+$/, '')}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: this.appId, client_secret: this.password, scope }).toString(),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`The bot's token endpoint answered ${response.status}.`);
    const body = (await response.json()) as { access_token?: unknown; expires_in?: unknown };
    if (typeof body.access_token !== 'string') throw new Error("The bot's token endpoint returned no access_token.");
    const seconds = typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in ?? 3600);
    return { accessToken: body.access_token, expiresOn: new Date(Date.now() + seconds * 1000) };
  }
}

/**
 * The bot's credentials: botbuilder's (MSAL) for Microsoft's login, client credentials over HTTP
 * for any other configured login URL. Without an app id (dev mode) authentication is disabled.
 */
export class PortierCredentialsFactory extends PasswordServiceClientCredentialFactory {
  constructor(
    appId: string | undefined,
    private readonly secret: string | undefined,
    tenantId: string | undefined,
  ) {
    super(appId ?? '', secret ?? '', tenantId ?? '');
  }

  override async createCredentials(appId: string, audience: string, loginEndpoint: string, validateAuthority: boolean): Promise<ServiceClientCredentials> {
    const microsoft = loginEndpoint.toLowerCase().startsWith(AuthenticationConstants.ToChannelFromBotLoginUrlPrefix);
    if (microsoft || (await this.isAuthenticationDisabled())) return super.createCredentials(appId, audience, loginEndpoint, validateAuthority);
    if (!(await this.isValidAppId(appId))) throw new Error('Invalid appId.');
    return new ClientCredentialsAppCredentials(appId, this.secret ?? '', loginEndpoint, audience);
  }
}
