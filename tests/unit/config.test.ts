import { loadConfig } from '../../bot/config';

describe(loadConfig.name, () => {
  it('defaults to the embedded Graph on SQLite with the demo tenant and dev sign-in on loopback', () => {
    const result = loadConfig({});
    expect(result).toEqual({
      ok: true,
      config: expect.objectContaining({
        port: 3978,
        host: '127.0.0.1',
        databaseUrl: 'sqlite:./data/portier.db',
        graph: 'embedded',
        directory: 'embedded',
        seed: 'demo',
        authMode: 'dev',
        publicUrl: 'http://localhost:3978',
        jobIntervalMs: 1000,
        databasePoolSize: 20,
      }),
    });
  });

  it('takes a PostgreSQL pool size of 2 to 500 whole connections', () => {
    expect(loadConfig({ DATABASE_POOL_SIZE: '8' })).toMatchObject({ ok: true, config: { databasePoolSize: 8 } });
    for (const bad of ['1', '501', '2.5', 'many']) {
      const result = loadConfig({ DATABASE_POOL_SIZE: bad });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.errors).toEqual([expect.stringMatching(/^DATABASE_POOL_SIZE: /)]);
    }
  });

  it('lists every problem, one per line', () => {
    const result = loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', PORTIER_GRAPH: 'cloud', PORTIER_JOB_INTERVAL_MS: '1.5' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(4);
    expect(result.errors.find((e) => e.startsWith('PORT:'))).toBeDefined();
    expect(result.errors.find((e) => e.startsWith('DATABASE_URL:'))).toContain('sqlite:<file> or postgres://');
    expect(result.errors.find((e) => e.startsWith('PORTIER_GRAPH:'))).toContain('embedded, entra');
    expect(result.errors.find((e) => e.startsWith('PORTIER_JOB_INTERVAL_MS:'))).toBeDefined();
  });

  it('requires the Entra app and bot credentials in entra mode', () => {
    const result = loadConfig({ AUTH_MODE: 'entra' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      'AAD_APP_CLIENT_ID: required when AUTH_MODE=entra',
      'AAD_APP_TENANT_ID: required when AUTH_MODE=entra',
      'BOT_ID: required when AUTH_MODE=entra (unauthenticated bot traffic is only accepted in dev mode)',
    ]);
  });

  it('switches to entra sign-in when an app registration is configured, and checks GUIDs', () => {
    const result = loadConfig({ AAD_APP_CLIENT_ID: 'not-a-guid', AAD_APP_TENANT_ID: '00000000-0000-0000-0000-000000000001', BOT_ID: '00000000-0000-0000-0000-000000000002' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toContain('AAD_APP_CLIENT_ID: must be a GUID');
    expect(result.errors).toContain('BOT_PASSWORD: required with BOT_ID unless BOT_MANAGED_IDENTITY_CLIENT_ID is set');
  });

  it('refuses to expose dev mode beyond loopback', () => {
    const result = loadConfig({ HOST: '0.0.0.0' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatch(/^HOST: dev mode accepts unsigned tokens/);
  });

  it('needs app credentials for the real Graph or the real directory', () => {
    const result = loadConfig({
      PORTIER_GRAPH: 'entra',
      AAD_APP_CLIENT_ID: '00000000-0000-0000-0000-000000000001',
      AAD_APP_TENANT_ID: '00000000-0000-0000-0000-000000000002',
      BOT_ID: '00000000-0000-0000-0000-000000000003',
      BOT_PASSWORD: 'x',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual(['AAD_APP_CLIENT_SECRET: required (or AAD_APP_CERTIFICATE_PATH) when PORTIER_GRAPH=entra or PORTIER_DIRECTORY=graph']);
  });

  describe('AAD_APP_ID_URI (the one Application ID URI a token may name besides the client id)', () => {
    const entra = {
      AAD_APP_CLIENT_ID: '00000000-0000-4000-8000-000000000001',
      AAD_APP_TENANT_ID: '00000000-0000-4000-8000-000000000002',
      BOT_ID: '00000000-0000-4000-8000-000000000003',
      BOT_PASSWORD: 'x',
      PUBLIC_URL: 'https://portier.example.com',
    };

    it("defaults to Teams' api://<PUBLIC_URL host>/<client id>, as aad.manifest.json registers it", () => {
      const result = loadConfig(entra);
      expect(result.ok && result.config.aad.appIdUri).toBe('api://portier.example.com/00000000-0000-4000-8000-000000000001');
    });

    it('takes an explicit URI as given', () => {
      const result = loadConfig({ ...entra, AAD_APP_ID_URI: 'api://contoso.example/portier' });
      expect(result.ok && result.config.aad.appIdUri).toBe('api://contoso.example/portier');
    });

    it.each([
      ['not a URI', 'portier'],
      ['another scheme', 'http://portier.example.com/x'],
      ['a wildcard', 'api://*/00000000-0000-4000-8000-000000000001'],
      ['a trailing slash', 'api://portier.example.com/'],
      ["another app's client id", 'api://portier.example.com/00000000-0000-4000-8000-000000000009'],
    ])('refuses %s', (_name, value) => {
      const result = loadConfig({ ...entra, AAD_APP_ID_URI: value });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]).toMatch(/^AAD_APP_ID_URI: /);
    });
  });

  it('takes the Bot Framework endpoints all together or not at all', () => {
    const half = loadConfig({ BOT_OPENID_METADATA_URL: 'http://127.0.0.1:1/openid', BOT_LOGIN_URL: 'ftp://x' });
    expect(half.ok).toBe(false);
    if (half.ok) return;
    expect(half.errors).toEqual(
      expect.arrayContaining([
        'BOT_TOKEN_ISSUER: required when any BOT_*_URL/BOT_TOKEN_ISSUER/BOT_OAUTH_SCOPE endpoint is set',
        'BOT_OAUTH_SCOPE: required when any BOT_*_URL/BOT_TOKEN_ISSUER/BOT_OAUTH_SCOPE endpoint is set',
        'BOT_OAUTH_URL: required when any BOT_*_URL/BOT_TOKEN_ISSUER/BOT_OAUTH_SCOPE endpoint is set',
        'BOT_LOGIN_URL: must be an http(s) URL',
      ]),
    );
    const all = loadConfig({
      BOT_OPENID_METADATA_URL: 'http://127.0.0.1:1/openid',
      BOT_TOKEN_ISSUER: 'https://api.botframework.com',
      BOT_LOGIN_URL: 'http://127.0.0.1:1/tenant',
      BOT_OAUTH_SCOPE: 'https://api.botframework.com',
      BOT_OAUTH_URL: 'http://127.0.0.1:1/oauth',
    });
    expect(all.ok && all.config.bot.endpoints).toEqual({ openIdMetadataUrl: 'http://127.0.0.1:1/openid', tokenIssuer: 'https://api.botframework.com', loginUrl: 'http://127.0.0.1:1/tenant', oauthScope: 'https://api.botframework.com', oauthUrl: 'http://127.0.0.1:1/oauth' });
    const none = loadConfig({});
    expect(none.ok && none.config.bot.endpoints).toBeUndefined();
  });
});
