import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config, loadConfig } from '../../bot/config';
import type { Clock } from '../../bot/context';
import { Portier, startPortier } from '../../bot/server';
import { assertGraphConformance, preloadGraphConformance } from './conformance';

/** The database URL for a new, empty test database: SQLite in a temp dir, or a fresh PostgreSQL schema. */
export function testDatabaseUrl(): string {
  const pg = process.env.PORTIER_TEST_DATABASE_URL;
  if (pg) {
    const url = new URL(pg);
    url.searchParams.set('schema', `t_${randomBytes(6).toString('hex')}`);
    return url.toString();
  }
  return `sqlite:${join(mkdtempSync(join(tmpdir(), 'portier-test-')), 'portier.db')}`;
}

/** Drops the PostgreSQL schema a test database URL names (nothing to do for SQLite temp files). */
export async function dropTestDatabase(url: string): Promise<void> {
  if (!url.startsWith('postgres')) return;
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  if (!schema?.startsWith('t_')) return;
  parsed.searchParams.delete('schema');
  const { Client } = await import('pg');
  const client = new Client({ connectionString: parsed.toString() });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export function testConfig(env: Record<string, string> = {}): Config {
  const result = loadConfig({ PORT: '0', DATABASE_URL: testDatabaseUrl(), LOG_LEVEL: 'silent', PORTIER_SEED: 'demo', ...env }, 'test');
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config;
}

export interface TestServer {
  portier: Portier;
  url: string;
  /** A dev token for `upn` (cached). */
  token(upn: string): Promise<string>;
  /** Calls the embedded Graph as `as` (a UPN) and returns status and parsed body. */
  graph<T = any>(method: string, path: string, options?: { as?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<{ status: number; body: T; headers: Headers }>;
  close(): Promise<void>;
}

/** Starts a real Portier server on a random port with the demo tenant, on SQLite or PostgreSQL. */
export async function startTestServer(options: { env?: Record<string, string>; clock?: Clock } = {}): Promise<TestServer> {
  preloadGraphConformance();
  const portier = await startPortier(testConfig(options.env), { clock: options.clock });
  const tokens = new Map<string, string>();
  const token = async (upn: string) => {
    const cached = tokens.get(upn);
    if (cached) return cached;
    const res = await fetch(`${portier.url}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ upn }) });
    if (res.status !== 200) throw new Error(`dev token for ${upn}: ${res.status} ${await res.text()}`);
    const { access_token } = (await res.json()) as { access_token: string };
    tokens.set(upn, access_token);
    return access_token;
  };
  return {
    portier,
    url: portier.url,
    token,
    async graph(method, path, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (opts.as !== undefined) headers.authorization = `Bearer ${await token(opts.as)}`;
      let body: string | undefined;
      if (opts.rawBody !== undefined) body = opts.rawBody;
      else if (opts.body !== undefined) body = JSON.stringify(opts.body);
      if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
      const res = await fetch(`${portier.url}/graph/v1.0/${path.replace(/^\//, '')}`, { method, headers, body });
      const text = await res.text();
      const parsed = text ? JSON.parse(text) : undefined;
      // Every response an API test sees is checked: successes against Graph v1.0's typings, errors against Graph's error body.
      if (res.status < 300 || (res.status >= 400 && parsed !== undefined)) assertGraphConformance(method, path, parsed, res.status);
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async close() {
      await portier.close();
      await dropTestDatabase(portier.config.databaseUrl);
    },
  };
}

export const em = 'identityGovernance/entitlementManagement';
