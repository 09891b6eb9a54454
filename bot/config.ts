import { z } from 'zod';

/**
 * Portier's configuration, read from the environment (DESIGN §4). Every problem is reported, one line
 * each, so an operator fixes them all in one go; `bot/index.ts` prints them and exits with code 1.
 */
export interface Config {
  port: number;
  /** Address to bind. Dev mode always binds to loopback: it accepts unsigned tokens. */
  host: string;
  databaseUrl: string;
  /** PostgreSQL: connections of an instance's pool for writes and the job runner (reads have a pool of 5 more). */
  databasePoolSize: number;
  graph: 'embedded' | 'entra';
  directory: 'embedded' | 'graph';
  /** `demo`: the demo tenant with its extranet configured; `directory`: only its people, team and partners; `none`: nothing. */
  seed: 'demo' | 'directory' | 'none';
  authMode: 'dev' | 'entra';
  bot: {
    id?: string;
    password?: string;
    tenantId?: string;
    managedIdentityClientId?: string;
    /**
     * Bot Framework endpoints, as botbuilder's `ConfigurationBotFrameworkAuthentication` names them. Unset: Microsoft's
     * public cloud (botbuilder's defaults). Set for a sovereign cloud, or local stand-ins in offline tests.
     */
    endpoints?: { openIdMetadataUrl: string; tokenIssuer: string; loginUrl: string; oauthScope: string; oauthUrl: string };
  };
  aad: {
    clientId?: string;
    tenantId?: string;
    clientSecret?: string;
    certificatePath?: string;
    /** The app's one Application ID URI; with the client id, the only audiences a token may name. */
    appIdUri?: string;
    jwksUrl: string;
    authorityHost: string;
  };
  publicUrl: string;
  jobIntervalMs: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  version: string;
}

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const portNumber = z.coerce.number().int().min(0, 'must be a port number (0-65535)').max(65535, 'must be a port number (0-65535)');

const envSchema = z.object({
  PORT: portNumber.default(3978),
  HOST: optionalText,
  DATABASE_URL: z
    .string()
    .default('sqlite:./data/portier.db')
    .refine((v) => /^sqlite:.+/.test(v) || /^postgres(ql)?:\/\/.+/.test(v), 'must be sqlite:<file> or postgres://…'),
  DATABASE_POOL_SIZE: z.coerce.number().int('must be a whole number of connections').min(2, 'must be at least 2').max(500, 'must be at most 500').default(20),
  PORTIER_GRAPH: z.enum(['embedded', 'entra']).default('embedded'),
  PORTIER_DIRECTORY: z.enum(['embedded', 'graph']).default('embedded'),
  PORTIER_SEED: z.enum(['demo', 'directory', 'none']).default('demo'),
  AUTH_MODE: z.enum(['dev', 'entra']).optional(),
  BOT_ID: optionalText,
  BOT_PASSWORD: optionalText,
  BOT_TENANT_ID: optionalText,
  BOT_MANAGED_IDENTITY_CLIENT_ID: optionalText,
  BOT_OPENID_METADATA_URL: optionalText,
  BOT_TOKEN_ISSUER: optionalText,
  BOT_LOGIN_URL: optionalText,
  BOT_OAUTH_SCOPE: optionalText,
  BOT_OAUTH_URL: optionalText,
  AAD_APP_CLIENT_ID: optionalText,
  AAD_APP_TENANT_ID: optionalText,
  AAD_APP_CLIENT_SECRET: optionalText,
  AAD_APP_CERTIFICATE_PATH: optionalText,
  AAD_APP_ID_URI: optionalText,
  AAD_JWKS_URL: z.string().url('must be a URL').default('https://login.microsoftonline.com/common/discovery/v2.0/keys'),
  AAD_AUTHORITY_HOST: z.string().url('must be a URL').default('https://login.microsoftonline.com'),
  PUBLIC_URL: z.string().url('must be an absolute URL such as https://portier.example.com').default('http://localhost:3978'),
  PORTIER_JOB_INTERVAL_MS: z.coerce.number().int('must be a whole number of milliseconds').min(10, 'must be at least 10').default(1000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Every environment variable the server reads (the schema's keys, HOST included); infra tests compare app settings to it. */
export const configurationVariables: readonly string[] = Object.freeze(Object.keys(envSchema.shape));

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/** Validates `env` and returns the configuration, or every problem found. Pure: reads nothing else. */
export function loadConfig(env: NodeJS.ProcessEnv, version = '0.0.0'): ConfigResult {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${describeIssue(issue)}`),
    };
  }
  const e = parsed.data;
  const errors: string[] = [];
  const authMode = e.AUTH_MODE ?? (e.AAD_APP_CLIENT_ID ? 'entra' : 'dev');

  for (const [name, value] of [
    ['AAD_APP_CLIENT_ID', e.AAD_APP_CLIENT_ID],
    ['AAD_APP_TENANT_ID', e.AAD_APP_TENANT_ID],
    ['BOT_ID', e.BOT_ID],
    ['BOT_TENANT_ID', e.BOT_TENANT_ID],
  ] as const) {
    if (value && !guid.test(value)) errors.push(`${name}: must be a GUID`);
  }
  if (authMode === 'entra') {
    if (!e.AAD_APP_CLIENT_ID) errors.push('AAD_APP_CLIENT_ID: required when AUTH_MODE=entra');
    if (!e.AAD_APP_TENANT_ID) errors.push('AAD_APP_TENANT_ID: required when AUTH_MODE=entra');
    if (!e.BOT_ID) errors.push('BOT_ID: required when AUTH_MODE=entra (unauthenticated bot traffic is only accepted in dev mode)');
  }
  if (e.AAD_APP_ID_URI) {
    const problem = appIdUriProblem(e.AAD_APP_ID_URI, e.AAD_APP_CLIENT_ID);
    if (problem) errors.push(`AAD_APP_ID_URI: ${problem}`);
  }
  if (e.BOT_ID && !e.BOT_PASSWORD && !e.BOT_MANAGED_IDENTITY_CLIENT_ID) {
    errors.push('BOT_PASSWORD: required with BOT_ID unless BOT_MANAGED_IDENTITY_CLIENT_ID is set');
  }
  const endpointVariables = [
    ['BOT_OPENID_METADATA_URL', e.BOT_OPENID_METADATA_URL],
    ['BOT_TOKEN_ISSUER', e.BOT_TOKEN_ISSUER],
    ['BOT_LOGIN_URL', e.BOT_LOGIN_URL],
    ['BOT_OAUTH_SCOPE', e.BOT_OAUTH_SCOPE],
    ['BOT_OAUTH_URL', e.BOT_OAUTH_URL],
  ] as const;
  const endpointsSet = endpointVariables.filter(([, v]) => v !== undefined);
  // botbuilder takes either all endpoints or none (then Microsoft's public cloud): half a set would mix clouds.
  if (endpointsSet.length > 0 && endpointsSet.length < endpointVariables.length) {
    for (const [name, value] of endpointVariables) if (value === undefined) errors.push(`${name}: required when any BOT_*_URL/BOT_TOKEN_ISSUER/BOT_OAUTH_SCOPE endpoint is set`);
  }
  for (const [name, value] of endpointVariables) {
    if (value !== undefined && name !== 'BOT_TOKEN_ISSUER' && name !== 'BOT_OAUTH_SCOPE' && !/^https?:\/\/./.test(value)) errors.push(`${name}: must be an http(s) URL`);
  }
  const needsAppCredential = e.PORTIER_GRAPH === 'entra' || e.PORTIER_DIRECTORY === 'graph';
  if (needsAppCredential && !e.AAD_APP_CLIENT_SECRET && !e.AAD_APP_CERTIFICATE_PATH) {
    errors.push('AAD_APP_CLIENT_SECRET: required (or AAD_APP_CERTIFICATE_PATH) when PORTIER_GRAPH=entra or PORTIER_DIRECTORY=graph');
  }
  if (e.PORTIER_GRAPH === 'entra' && authMode !== 'entra') {
    errors.push('AUTH_MODE: must be entra when PORTIER_GRAPH=entra (Microsoft Graph needs real user tokens)');
  }
  if (e.PORTIER_GRAPH === 'entra' && e.PORTIER_DIRECTORY === 'graph') {
    // Not an error in itself, but PORTIER_DIRECTORY only applies to the embedded engine.
  }
  if (authMode === 'dev' && e.HOST && !isLoopback(e.HOST)) {
    errors.push(`HOST: dev mode accepts unsigned tokens and binds to loopback only; ${e.HOST} is not a loopback address`);
  }
  if (errors.length > 0) return { ok: false, errors };

  return {
    ok: true,
    config: {
      port: e.PORT,
      host: e.HOST ?? (authMode === 'dev' ? '127.0.0.1' : '0.0.0.0'),
      databaseUrl: e.DATABASE_URL,
      databasePoolSize: e.DATABASE_POOL_SIZE,
      graph: e.PORTIER_GRAPH,
      directory: e.PORTIER_DIRECTORY,
      seed: e.PORTIER_SEED,
      authMode,
      bot: {
        id: e.BOT_ID,
        password: e.BOT_PASSWORD,
        tenantId: e.BOT_TENANT_ID,
        managedIdentityClientId: e.BOT_MANAGED_IDENTITY_CLIENT_ID,
        endpoints:
          e.BOT_OPENID_METADATA_URL && e.BOT_TOKEN_ISSUER && e.BOT_LOGIN_URL && e.BOT_OAUTH_SCOPE && e.BOT_OAUTH_URL
            ? { openIdMetadataUrl: e.BOT_OPENID_METADATA_URL, tokenIssuer: e.BOT_TOKEN_ISSUER, loginUrl: e.BOT_LOGIN_URL, oauthScope: e.BOT_OAUTH_SCOPE, oauthUrl: e.BOT_OAUTH_URL }
            : undefined,
      },
      aad: {
        clientId: e.AAD_APP_CLIENT_ID,
        tenantId: e.AAD_APP_TENANT_ID,
        clientSecret: e.AAD_APP_CLIENT_SECRET,
        certificatePath: e.AAD_APP_CERTIFICATE_PATH,
        appIdUri: e.AAD_APP_ID_URI ?? (e.AAD_APP_CLIENT_ID ? defaultAppIdUri(e.PUBLIC_URL, e.AAD_APP_CLIENT_ID) : undefined),
        jwksUrl: e.AAD_JWKS_URL,
        authorityHost: e.AAD_AUTHORITY_HOST.replace(/\/+$/, ''),
      },
      publicUrl: e.PUBLIC_URL.replace(/\/+$/, ''),
      jobIntervalMs: e.PORTIER_JOB_INTERVAL_MS,
      logLevel: e.LOG_LEVEL,
      version,
    },
  };
}

/**
 * Teams SSO needs the Application ID URI `api://<domain>/<client id>` (aad.manifest.json), with the domain the app
 * is served from; PUBLIC_URL is that address unless the operator says otherwise.
 */
function defaultAppIdUri(publicUrl: string, clientId: string): string {
  return `api://${new URL(publicUrl).host}/${clientId}`;
}

/**
 * An Application ID URI Entra accepts (api://…, https://…, urn:…), exact — no wildcard, query or fragment — and, when
 * it ends with a GUID, the app's own client id (the Teams form `api://<domain>/<client id>`).
 */
function appIdUriProblem(value: string, clientId: string | undefined): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an Application ID URI such as api://portier.example.com/<client id>';
  }
  if (!['api:', 'https:', 'urn:'].includes(url.protocol)) return 'must start with api://, https:// or urn:';
  if (value.includes('*') || url.search || url.hash || value.endsWith('/')) return 'must be one exact URI (no wildcard, query, fragment or trailing slash)';
  const last = value.split('/').at(-1) ?? '';
  if (guid.test(last) && clientId && last.toLowerCase() !== clientId.toLowerCase()) return `ends with ${last}, which is not AAD_APP_CLIENT_ID`;
  return undefined;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return `must be one of ${(issue.values as unknown[]).map(String).join(', ')}`;
  }
  return issue.message;
}
