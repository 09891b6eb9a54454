import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPortier, Portier } from '../../bot/server';
import { dropTestDatabase, testConfig } from '../helpers/server';

/** The server serves the built tabs at `/` with caching headers, and `/api/config` for sign-in. */
describe('serving the tabs', () => {
  let portier: Portier;
  const dir = mkdtempSync(join(tmpdir(), 'portier-tab-'));
  const script = `console.log(${JSON.stringify('x'.repeat(2000))});`;

  beforeAll(async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Portier</title><script type="module" src="/assets/index-abc123.js"></script>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), script);
    portier = await startPortier(testConfig(), { tabDirectory: dir });
  });
  afterAll(async () => {
    await portier.close();
    await dropTestDatabase(portier.config.databaseUrl);
  });

  it('serves index.html at / to be revalidated every time', async () => {
    const res = await fetch(`${portier.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toContain('<title>Portier</title>');
    const again = await fetch(`${portier.url}/`, { headers: { 'if-none-match': res.headers.get('etag') ?? '' } });
    expect(again.status).toBe(304);
  });

  it('serves hashed assets as immutable, gzipped when the client accepts it', async () => {
    const res = await fetch(`${portier.url}/assets/index-abc123.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await res.text()).toBe(script);
  });

  it('falls back to index.html for page paths, but never for a missing asset or outside the folder', async () => {
    const page = await fetch(`${portier.url}/my-access`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Portier</title>');
    expect((await fetch(`${portier.url}/assets/gone-999.js`)).status).toBe(404);
    expect((await fetch(`${portier.url}/..%2f..%2fetc%2fpasswd`)).status).toBe(404);
  });

  it('leaves the API alone: unknown API paths are not the tab', async () => {
    expect((await fetch(`${portier.url}/api/nothing`)).status).toBe(404);
    expect((await fetch(`${portier.url}/healthz`)).status).toBe(200);
    const graph = await fetch(`${portier.url}/graph/v1.0/me`);
    expect(graph.status).toBe(401);
  });

  it('tells the tab how to sign in: dev mode lists the demo people, partners home accounts included', async () => {
    const res = await fetch(`${portier.url}/api/config`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { authMode: string; graphBaseUrl: string; devAccounts: { upn: string; organization: string }[] };
    expect(body.authMode).toBe('dev');
    expect(body.graphBaseUrl).toBe('/graph/');
    // The base of direct links to packages (PUBLIC_URL).
    expect(body).toHaveProperty('publicUrl', portier.config.publicUrl);
    const upns = body.devAccounts.map((a) => a.upn);
    expect(upns).toEqual(expect.arrayContaining(['megan@contoso.test', 'ruth@fabrikam.test', 'pradeep@fabrikam.test', 'diego@litware.test']));
    expect(upns).not.toContain('ruth_fabrikam.test#EXT#@contoso.test');
    expect(body.devAccounts.find((a) => a.upn === 'pradeep@fabrikam.test')?.organization).toBe('Fabrikam');
  });
});

describe('the tab configuration in entra mode', () => {
  it('gives the multi-tenant authority and the API scope, and no dev accounts or secrets', async () => {
    const clientId = '11111111-2222-4333-8444-555555555555';
    const config = testConfig({
      AUTH_MODE: 'entra',
      AAD_APP_CLIENT_ID: clientId,
      AAD_APP_TENANT_ID: 'c0c0c0c0-0000-4000-8000-000000000001',
      AAD_APP_CLIENT_SECRET: 'not-for-the-page',
      BOT_ID: '22222222-2222-4333-8444-555555555555',
      BOT_PASSWORD: 'bot-secret',
      HOST: '127.0.0.1',
      PUBLIC_URL: 'https://portier.example.com',
    });
    const portier = await startPortier(config);
    try {
      const text = await (await fetch(`${portier.url}/api/config`)).text();
      expect(JSON.parse(text)).toEqual({
        authMode: 'entra',
        graphBaseUrl: '/graph/',
        publicUrl: 'https://portier.example.com',
        clientId,
        authority: 'https://login.microsoftonline.com/organizations',
        scopes: [`api://portier.example.com/${clientId}/access_as_user`],
      });
      expect(text).not.toContain('secret');
    } finally {
      await portier.close();
      await dropTestDatabase(config.databaseUrl);
    }
  });
});
