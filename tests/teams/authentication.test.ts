import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { ConnectorStandIn } from '../helpers/connector';
import { startTestServer, TestServer } from '../helpers/server';
import { activity, people, postActivity } from '../helpers/teams';

const botId = '7e570000-0000-4000-8000-00000000b07d';
const issuer = 'https://api.botframework.com';
type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/**
 * The authenticated path, offline: botbuilder's configuration points at stand-ins of the test's own
 * (OpenID metadata whose keys carry `endorsements: ["msteams"]`, and a token endpoint). A correctly
 * signed activity is served and the replies reach the connector with the bot's bearer token; forged,
 * unsigned, expired, garbage and missing tokens get 401, as does any activity when the keys cannot be read.
 */
describe('bot authentication (BOT_ID set)', () => {
  let server: TestServer;
  let connector: ConnectorStandIn;
  let identity: Server;
  let identityUrl: string;
  let key: SigningKey;
  let otherKey: SigningKey;
  const tokenRequests: string[] = [];

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    key = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', use: 'sig', alg: 'RS256' };
    identity = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        if (req.url === '/openid') return res.end(JSON.stringify({ issuer, jwks_uri: `${identityUrl}/keys`, id_token_signing_alg_values_supported: ['RS256'] }));
        if (req.url === '/keys') return res.end(JSON.stringify({ keys: [{ ...jwk, endorsements: ['msteams'] }] }));
        if (req.url === '/botframework.test/oauth2/v2.0/token' && req.method === 'POST') {
          tokenRequests.push(Buffer.concat(chunks).toString('utf8'));
          return res.end(JSON.stringify({ token_type: 'Bearer', expires_in: 3600, access_token: 'bot-access-token' }));
        }
        res.statusCode = 404;
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => identity.listen(0, '127.0.0.1', resolve));
    identityUrl = `http://127.0.0.1:${(identity.address() as AddressInfo).port}`;
    connector = await new ConnectorStandIn().start();
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000', ...botEnv(identityUrl) } });
  });
  afterAll(async () => {
    await server.close();
    await connector.close();
    identity.closeAllConnections();
    identity.close();
  });

  function botEnv(base: string): Record<string, string> {
    return {
      BOT_ID: botId,
      BOT_PASSWORD: 'bot-secret',
      BOT_OPENID_METADATA_URL: `${base}/openid`,
      BOT_TOKEN_ISSUER: issuer,
      BOT_LOGIN_URL: `${base}/botframework.test`,
      BOT_OAUTH_SCOPE: 'https://api.botframework.com',
      BOT_OAUTH_URL: `${base}/oauth`,
    };
  }

  const sign = (claims: Record<string, unknown>, signingKey: SigningKey = key, expires = '5m') =>
    new SignJWT({ serviceurl: connector.url, ...claims }).setProtectedHeader({ alg: 'RS256', kid: 'test-key', typ: 'JWT' }).setIssuer(issuer).setAudience(botId).setIssuedAt().setNotBefore('-1m').setExpirationTime(expires).sign(signingKey);

  it('serves a correctly signed activity; the reply reaches the connector with the bot token', async () => {
    const res = await postActivity(server.url, activity(connector.url, people.alex, { text: 'help' }), { authorization: `Bearer ${await sign({})}` });
    expect(res.status).toBe(200);
    const [reply] = connector.sent(people.alex.conversationId);
    expect(reply.authorization).toBe('Bearer bot-access-token');
    expect(tokenRequests.at(-1)).toContain('grant_type=client_credentials');
    expect(tokenRequests.at(-1)).toContain(`client_id=${botId}`);
  });

  it('refuses forged, unsigned, expired, garbage and missing tokens with 401 and writes nothing', async () => {
    connector.clear();
    const db = server.portier.store.db;
    const before = (await db.selectFrom('teams_conversations').select('id').execute()).length;
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ iss: issuer, aud: botId, serviceurl: connector.url, exp: Math.floor(Date.now() / 1000) + 300 })).toString('base64url')}.`;
    const cases: Record<string, Record<string, string>> = {
      forged: { authorization: `Bearer ${await sign({}, otherKey)}` },
      unsigned: { authorization: `Bearer ${unsigned}` },
      expired: { authorization: `Bearer ${await sign({}, key, '-10m')}` },
      wrongAudience: { authorization: `Bearer ${await new SignJWT({ serviceurl: connector.url }).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).setIssuer(issuer).setAudience('someone-else').setExpirationTime('5m').sign(key)}` },
      garbage: { authorization: 'Bearer not.a.token' },
      missing: {},
    };
    for (const [name, headers] of Object.entries(cases)) {
      const res = await postActivity(server.url, activity(connector.url, people.lee, { text: 'help' }), headers);
      expect({ name, status: res.status }).toEqual({ name, status: 401 });
    }
    expect((await db.selectFrom('teams_conversations').select('id').execute()).length).toBe(before);
    expect(connector.calls).toEqual([]);
  });

  it('refuses every activity when the key service cannot be reached (fail closed)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const other = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000', ...botEnv(deadUrl) } });
    try {
      const res = await postActivity(other.url, activity(connector.url, people.alex, { text: 'help' }), { authorization: `Bearer ${await sign({})}` });
      expect(res.status).toBe(401);
    } finally {
      await other.close();
    }
  });
});
