import { SignJWT } from 'jose';
import { devTokenVerifier, issueDevToken, issueOnBehalfToken, withOnBehalfTokens } from '../../bot/auth/tokens';
import { demo } from '../../bot/seed/tenant';
import { seedDemoTenant } from '../../bot/seed/demo';
import { openStore, type Store } from '../../bot/store/db';
import { UnauthorizedError } from '../../bot/domain/errors';
import { systemClock } from '../../bot/context';
import { dropTestDatabase, testDatabaseUrl } from '../helpers/server';

/**
 * Tokens signed with Portier's own keys (dev sign-in, the bot's on-behalf tokens) are verified once
 * and then trusted until they expire: the cache must trust exactly the token it verified, never a
 * forged or expired one, and never one past its `exp`.
 */
describe('tokens of our own keys', () => {
  let store: Store;
  let url: string;
  beforeAll(async () => {
    url = testDatabaseUrl();
    store = await openStore(url);
    await seedDemoTenant(store.db, store.dialect, systemClock, { entitlements: false });
  });
  afterAll(async () => {
    await store.close();
    await dropTestDatabase(url);
  });

  const refused = (promise: Promise<unknown>) => expect(promise).rejects.toBeInstanceOf(UnauthorizedError);

  it('verifies an on-behalf token, trusts that exact token again, and refuses a forged or altered one', async () => {
    const verifier = withOnBehalfTokens(devTokenVerifier(store.db), store.db);
    const { token } = await issueOnBehalfToken(store.db, { objectId: demo.users.lee.id, tenantId: demo.contoso.id });
    expect((await verifier.verify(token)).objectId).toBe(demo.users.lee.id);
    expect((await verifier.verify(token)).objectId).toBe(demo.users.lee.id);
    // Same claims, another key: the cache keys on the whole token, so the forgery is verified, and fails.
    const forged = await new SignJWT({ oid: demo.users.lee.id, tid: demo.contoso.id, scp: 'access_as_user' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('https://portier.local/teams')
      .setAudience('portier-graph')
      .setIssuedAt()
      .setExpirationTime('15m')
      .sign(new Uint8Array(32));
    await refused(verifier.verify(forged));
    await refused(verifier.verify(`${token.slice(0, -2)}xx`));
  });

  it('stops trusting a verified dev token once it expires', async () => {
    const verifier = devTokenVerifier(store.db);
    const { access_token: token } = await issueDevToken(store.db, demo.users.alex.upn);
    expect((await verifier.verify(token)).objectId).toBe(demo.users.alex.id);
    // Nine hours on (dev tokens live eight): only the clock is faked, timers run as usual.
    jest.useFakeTimers({ now: Date.now() + 9 * 3600 * 1000, doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'] });
    try {
      await refused(verifier.verify(token));
    } finally {
      jest.useRealTimers();
    }
  });
});
