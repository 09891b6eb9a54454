/**
 * infra/azure.bicep (+ parameters, + modules), read as text: there is no Bicep compiler here. Its app settings are
 * exactly the server's configuration variables (bot/config.ts `configurationVariables`) minus the deliberately
 * omitted ones, plus App Service's own; with every mode combination the settings pass the server's validation.
 */
import { configurationVariables, loadConfig } from '../../bot/config';
import { bicepObjectEntries, bicepOutputs, bicepParams, bicepResource, exists, read } from './project';

const main = 'infra/azure.bicep';
const text = read(main);

/** Server variables without an app setting, and why. */
const deliberatelyOmitted: Record<string, string> = {
  PORT: 'App Service sets PORT for Node apps and routes HTTPS to it',
  HOST: 'outside dev mode the server binds 0.0.0.0, which App Service needs',
  BOT_OPENID_METADATA_URL: "Microsoft's public-cloud Bot Framework endpoints are botbuilder's defaults; set only for a sovereign cloud or offline tests",
  BOT_TOKEN_ISSUER: 'as BOT_OPENID_METADATA_URL',
  BOT_LOGIN_URL: 'as BOT_OPENID_METADATA_URL',
  BOT_OAUTH_SCOPE: 'as BOT_OPENID_METADATA_URL',
  BOT_OAUTH_URL: 'as BOT_OPENID_METADATA_URL',
};

/** App Service's own settings (not read by Portier), and why they are there. */
const platformSettings: Record<string, string> = {
  SCM_DO_BUILD_DURING_DEPLOYMENT: 'zip deploy runs npm install and npm run build on Linux (better-sqlite3 is native)',
  WEBSITES_ENABLE_APP_SERVICE_STORAGE: '/home persists, where the SQLite file lives',
};

const appSettings = bicepObjectEntries(
  (() => {
    const body = bicepResource(main, 'appSettings');
    const at = body.search(/^\s*properties:\s*\{/m);
    const properties = body.slice(at);
    return properties.slice(properties.indexOf('{') + 1);
  })(),
);

describe('infra/azure.bicep app settings', () => {
  test('the settings resource is the web app\'s appsettings config', () => {
    expect(text).toMatch(/^resource appSettings 'Microsoft\.Web\/sites\/config@[\d-]+' = \{\s*\n\s*parent: webApp\s*\n\s*name: 'appsettings'/m);
    expect(appSettings.size).toBeGreaterThan(10);
  });

  test('every app setting is a variable the server knows, or one of App Service\'s own', () => {
    const unknown = [...appSettings.keys()].filter((k) => !configurationVariables.includes(k) && !(k in platformSettings));
    expect(unknown).toEqual([]);
  });

  test('every variable the server knows has an app setting, except the deliberately omitted ones', () => {
    const missing = configurationVariables.filter((v) => !appSettings.has(v) && !(v in deliberatelyOmitted));
    expect(missing).toEqual([]);
    for (const omitted of Object.keys(deliberatelyOmitted)) {
      expect(configurationVariables).toContain(omitted);
      expect(appSettings.has(omitted)).toBe(false);
    }
    expect(appSettings.has('BOT_MANAGED_IDENTITY_CLIENT_ID')).toBe(true);
  });

  test('secrets come from Key Vault references, never from literal values', () => {
    expect(appSettings.get('AAD_APP_CLIENT_SECRET')).toMatch(/'@Microsoft\.KeyVault\(SecretUri=\$\{aadAppClientSecretSecret\.properties\.secretUri\}\)'/);
    expect(appSettings.get('DATABASE_URL')).toMatch(/^usePostgres \? '@Microsoft\.KeyVault\(SecretUri=\$\{postgres\.outputs\.databaseUrlSecretUri\}\)' : 'sqlite:\/home\/data\/portier\.db'$/);
    expect(appSettings.get('BOT_PASSWORD')).toBe("''");
    // The user-assigned identity resolves the references and may read the vault's secrets.
    expect(bicepResource(main, 'webApp')).toMatch(/keyVaultReferenceIdentity: identity\.id/);
    expect(bicepResource(main, 'keyVault')).toMatch(/enableRbacAuthorization: true/);
    const role = bicepResource(main, 'keyVaultSecretsUser');
    expect(role).toMatch(/scope: keyVault/);
    expect(role).toMatch(/principalId: identity\.properties\.principalId/);
    expect(text).toMatch(/var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'/); // Key Vault Secrets User
    expect(bicepResource('infra/postgres.bicep', 'databaseUrlSecret')).toMatch(/name: 'DATABASE-URL'/);
    expect(bicepResource(main, 'aadAppClientSecretSecret')).toMatch(/name: 'AAD-APP-CLIENT-SECRET'/);
  });

  /** Sample values for settings computed by expressions, as Azure would fill them in. */
  const expressionSamples: Record<string, string> = {
    DATABASE_URL: 'postgres://portier:x@portier1-pg.postgres.database.azure.com:5432/portier?sslmode=require',
    BOT_ID: '11111111-2222-4333-8444-555555555555',
    BOT_TENANT_ID: '66666666-7777-4888-9999-000000000000',
    BOT_MANAGED_IDENTITY_CLIENT_ID: '11111111-2222-4333-8444-555555555555',
    AAD_APP_CLIENT_ID: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
    AAD_APP_TENANT_ID: '66666666-7777-4888-9999-000000000000',
    AAD_APP_CLIENT_SECRET: 'resolved-from-key-vault',
    AAD_APP_ID_URI: 'api://portier1.azurewebsites.net/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
    AAD_JWKS_URL: 'https://login.microsoftonline.com/common/discovery/v2.0/keys',
    AAD_AUTHORITY_HOST: 'https://login.microsoftonline.com/',
    PUBLIC_URL: 'https://portier1.azurewebsites.net',
    PORTIER_JOB_INTERVAL_MS: '1000',
    DATABASE_POOL_SIZE: '20',
    LOG_LEVEL: 'info',
    PORTIER_SEED: 'none',
  };
  const params = bicepParams(main);
  const allowed = (name: string): string[] => params.find((p) => p.name === name)?.allowed ?? [];

  test.each(allowed('portierGraph').flatMap((graph) => allowed('portierDirectory').map((directory) => [graph, directory])))(
    'the server accepts the settings with PORTIER_GRAPH=%s and PORTIER_DIRECTORY=%s',
    (graph, directory) => {
      const env: Record<string, string> = {};
      for (const [name, value] of appSettings) {
        if (name in platformSettings) continue;
        if (name === 'PORTIER_GRAPH') env[name] = graph;
        else if (name === 'PORTIER_DIRECTORY') env[name] = directory;
        else if (/^'[^']*'$/.test(value) && !value.includes('${')) env[name] = value.slice(1, -1);
        else if (name in expressionSamples) env[name] = expressionSamples[name];
        else throw new Error(`${name} = ${value}: add a sample value to this test`);
      }
      // DATABASE_URL: the Key Vault reference (PostgreSQL) resolves to the sample; without PostgreSQL, the SQLite file.
      const sqlite = /: '(sqlite:[^']+)'$/.exec(appSettings.get('DATABASE_URL') ?? '')?.[1];
      expect(sqlite).toBeDefined();
      for (const databaseUrl of [env.DATABASE_URL, sqlite]) {
        const result = loadConfig({ ...env, DATABASE_URL: databaseUrl });
        if (!result.ok) throw new Error(result.errors.join('\n'));
        expect(result.config.authMode).toBe('entra');
        expect(result.config.host).toBe('0.0.0.0');
        expect(result.config.bot.managedIdentityClientId).toBe(env.BOT_ID);
        expect(result.config.databaseUrl).toBe(databaseUrl);
      }
    },
  );

  test('the mode parameters allow exactly the values the server accepts', () => {
    expect(allowed('portierGraph').sort()).toEqual(['embedded', 'entra']);
    expect(allowed('portierDirectory').sort()).toEqual(['embedded', 'graph']);
    expect(allowed('portierSeed').sort()).toEqual(['demo', 'directory', 'none']);
    expect(allowed('logLevel').sort()).toEqual(['debug', 'error', 'fatal', 'info', 'silent', 'trace', 'warn']);
    for (const [setting, param] of [
      ['PORTIER_GRAPH', 'portierGraph'],
      ['PORTIER_DIRECTORY', 'portierDirectory'],
      ['PORTIER_SEED', 'portierSeed'],
      ['LOG_LEVEL', 'logLevel'],
    ]) {
      expect(appSettings.get(setting)).toBe(param);
    }
  });
});

describe('infra/azure.bicep resources', () => {
  test('Linux App Service on Node 20 with HTTPS only, Always On, the health check and the start command', () => {
    const plan = bicepResource(main, 'serverfarm');
    expect(plan).toMatch(/kind: 'linux'/);
    expect(plan).toMatch(/reserved: true/);
    const site = bicepResource(main, 'webApp');
    expect(site).toMatch(/linuxFxVersion: 'NODE\|20-lts'/);
    expect(site).toMatch(/httpsOnly: true/);
    expect(site).toMatch(/alwaysOn: true/);
    expect(site).toMatch(/healthCheckPath: '\/healthz'/);
    expect(read('bot/server.ts')).toMatch(/server\.get\('\/healthz'/);
    // The start command is the one `npm start` runs after the build.
    const start = /appCommandLine: '([^']+)'/.exec(site)?.[1];
    expect(start).toBe('node dist/bot/index.js');
    expect((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start).toContain(start);
    expect(site).toMatch(/type: 'UserAssigned'/);
  });

  test('SQLite allows one instance; only PostgreSQL lets the plan scale out', () => {
    expect(text).toMatch(/^param usePostgres bool = false$/m);
    expect(text).toMatch(/^param instanceCount int = 1$/m);
    expect(text).toMatch(/^var effectiveInstanceCount = usePostgres \? instanceCount : 1$/m);
    expect(bicepResource(main, 'serverfarm')).toMatch(/capacity: effectiveInstanceCount/);
    expect(text).toMatch(/^module postgres '\.\/postgres\.bicep' = if \(usePostgres\) \{/m);
  });

  test('PostgreSQL flexible server with a database, the Azure-services firewall rule and a TLS connection string', () => {
    const pg = read('infra/postgres.bicep');
    expect(pg).toMatch(/^resource server 'Microsoft\.DBforPostgreSQL\/flexibleServers@[\d-]+' = \{/m);
    expect(pg).toMatch(/^resource database 'Microsoft\.DBforPostgreSQL\/flexibleServers\/databases@[\d-]+' = \{/m);
    const rule = bicepResource('infra/postgres.bicep', 'allowAzureServices');
    expect(rule).toMatch(/startIpAddress: '0\.0\.0\.0'/);
    expect(rule).toMatch(/endIpAddress: '0\.0\.0\.0'/);
    expect(bicepResource('infra/postgres.bicep', 'databaseUrlSecret')).toMatch(/value: 'postgres:\/\/.*\?sslmode=require'/);
  });

  test('the Azure Bot uses the user-assigned managed identity and has the Teams channel', () => {
    const botFile = 'infra/botRegistration/azurebot.bicep';
    const bot = bicepResource(botFile, 'botService');
    expect(bot).toMatch(/msaAppType: 'UserAssignedMSI'/);
    expect(bot).toMatch(/msaAppId: identityClientId/);
    expect(bot).toMatch(/msaAppTenantId: identityTenantId/);
    expect(bot).toMatch(/msaAppMSIResourceId: identityResourceId/);
    expect(bot).toMatch(/endpoint: 'https:\/\/\$\{botAppDomain\}\/api\/messages'/);
    expect(bicepResource(botFile, 'teamsChannel')).toMatch(/channelName: 'MsTeamsChannel'/);
    const module = /^module azureBotRegistration '\.\/botRegistration\/azurebot\.bicep' = \{/m.exec(text);
    expect(module).not.toBeNull();
    expect(text).toMatch(/identityClientId: identity\.properties\.clientId/);
    expect(appSettings.get('BOT_ID')).toBe('identity.properties.clientId');
    expect(appSettings.get('BOT_MANAGED_IDENTITY_CLIENT_ID')).toBe('identity.properties.clientId');
    expect(exists('infra/botRegistration/readme.md')).toBe(true);
  });

  test('modules get every parameter they require and none they do not declare', () => {
    for (const m of text.matchAll(/^module\s+(\w+)\s+'([^']+)'\s*=/gm)) {
      const file = `infra/${m[2].replace(/^\.\//, '')}`;
      expect(exists(file)).toBe(true);
      const block = text.slice(m.index);
      const paramsBlock = /params:\s*\{([\s\S]*?)\n\s*\}/.exec(block)?.[1] ?? '';
      const given = [...bicepObjectEntries(paramsBlock).keys()];
      const declared = bicepParams(file);
      expect(given.filter((g) => !declared.some((d) => d.name === g))).toEqual([]);
      expect(declared.filter((d) => !d.hasDefault && !given.includes(d.name)).map((d) => d.name)).toEqual([]);
    }
  });

  test('outputs the values the toolkit writes to the env file', () => {
    expect(bicepOutputs(main)).toEqual(
      expect.arrayContaining(['AZURE_APP_SERVICE_RESOURCE_ID', 'BOT_DOMAIN', 'BOT_ENDPOINT', 'BOT_ID', 'BOT_TENANT_ID']),
    );
    expect(text).toMatch(/^output AZURE_APP_SERVICE_RESOURCE_ID string = webApp\.id$/m);
    expect(text).toMatch(/^output BOT_DOMAIN string = webApp\.properties\.defaultHostName$/m);
  });

  test('braces balance and every resource names an API version', () => {
    for (const file of ['infra/azure.bicep', 'infra/postgres.bicep', 'infra/botRegistration/azurebot.bicep']) {
      const source = read(file).replace(/'(?:[^'\\]|\\.)*'/g, "''").replace(/\/\/.*$/gm, '');
      expect((source.match(/\{/g) ?? []).length).toBe((source.match(/\}/g) ?? []).length);
      expect((source.match(/\[/g) ?? []).length).toBe((source.match(/\]/g) ?? []).length);
      for (const r of read(file).matchAll(/^resource\s+\w+\s+'([^']+)'/gm)) expect(r[1]).toMatch(/^[\w.]+\/[\w/]+@\d{4}-\d{2}-\d{2}(-preview)?$/);
    }
  });
});

describe('infra/azure.parameters.json', () => {
  const parameters = JSON.parse(read('infra/azure.parameters.json')) as { parameters: Record<string, { value: unknown }> };
  const declared = bicepParams(main);

  test('names only parameters azure.bicep declares, and gives every one without a default', () => {
    const names = Object.keys(parameters.parameters);
    expect(names.filter((n) => !declared.some((d) => d.name === n))).toEqual([]);
    expect(declared.filter((d) => !d.hasDefault && !names.includes(d.name)).map((d) => d.name)).toEqual([]);
  });

  test('values have the parameter\'s type (placeholders only in strings: the toolkit substitutes text)', () => {
    for (const [name, { value }] of Object.entries(parameters.parameters)) {
      const type = declared.find((d) => d.name === name)?.type;
      expect([name, typeof value]).toEqual([name, type === 'int' ? 'number' : type === 'bool' ? 'boolean' : 'string']);
    }
  });

  test('the Entra app registration and its secret come from provision, the modes from the env file', () => {
    expect(parameters.parameters.aadAppClientId.value).toBe('${{AAD_APP_CLIENT_ID}}');
    expect(parameters.parameters.aadAppTenantId.value).toBe('${{AAD_APP_TENANT_ID}}');
    expect(parameters.parameters.aadAppClientSecret.value).toBe('${{SECRET_AAD_APP_CLIENT_SECRET}}');
    expect(parameters.parameters.portierGraph.value).toBe('${{PORTIER_GRAPH}}');
    expect(parameters.parameters.portierDirectory.value).toBe('${{PORTIER_DIRECTORY}}');
    expect(text).toMatch(/@secure\(\)\n(@description\([^\n]*\)\n)?param aadAppClientSecret string/);
  });
});
