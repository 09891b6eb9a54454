import { createServer, Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, SignJWT } from 'jose';
import { demo } from '../../bot/seed/tenant';
import { em, startTestServer, TestServer } from '../helpers/server';

const clientId = '5e3a4c1b-0000-4000-8000-00000000c11e';

/** A "JWKS endpoint" that accepts connections and resets them at once, counting them: down, but observable. */
async function startBrokenJwks(): Promise<{ url: string; server: Server; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket: Socket) => {
    connections += 1;
    socket.resetAndDestroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/discovery/v2.0/keys`, server, connections: () => connections };
}

/** A loopback port nobody listens on (bound, then closed). */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/discovery/v2.0/keys`;
}

function entraEnv(jwksUrl: string): Record<string, string> {
  return {
    AUTH_MODE: 'entra',
    HOST: '127.0.0.1',
    AAD_APP_CLIENT_ID: clientId,
    AAD_APP_TENANT_ID: demo.contoso.id,
    BOT_ID: '5e3a4c1b-0000-4000-8000-0000000000b0',
    BOT_PASSWORD: 'test-secret',
    AAD_JWKS_URL: jwksUrl,
  };
}

async function validLookingToken(): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ oid: demo.users.admin.id, tid: demo.contoso.id, scp: 'access_as_user' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' })
    .setIssuer(`https://login.microsoftonline.com/${demo.contoso.id}/v2.0`)
    .setAudience(clientId)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
}

async function call(server: TestServer, bearer: string) {
  const res = await fetch(`${server.url}/graph/v1.0/${em}/catalogs`, { headers: { authorization: `Bearer ${bearer}` } });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { error?: { code: string; message: string } } };
}

describe('Entra ID sign-in while the signing keys cannot be fetched', () => {
  it('answers 503 with Retry-After and a Graph error body, and fetches once per cooldown, not per request', async () => {
    const jwks = await startBrokenJwks();
    const server = await startTestServer({ env: entraEnv(jwks.url) });
    try {
      const token = await validLookingToken();
      const answers = await Promise.all([call(server, token), call(server, token)]);
      answers.push(await call(server, token), await call(server, token));
      for (const answer of answers) {
        expect(answer.status).toBe(503);
        expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
        expect(answer.body.error?.code).toBe('ServiceUnavailable');
        expect(answer.body.error?.message).not.toMatch(/ECONN|socket|fetch failed/i);
      }
      expect(jwks.connections()).toBe(1);
    } finally {
      await server.close();
      jwks.server.close();
    }
  });

  it('answers 503, never 500, when nothing listens at the JWKS address', async () => {
    const server = await startTestServer({ env: entraEnv(await closedPortUrl()) });
    try {
      const answer = await call(server, await validLookingToken());
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).toMatch(/^\d+$/);
    } finally {
      await server.close();
    }
  });
});
