import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, JWK, jwtVerify, KeyLike, SignJWT } from 'jose';
import { cachedRemoteJwks } from '../../bot/auth/jwks';
import { ServiceUnavailableError } from '../../bot/domain/errors';

/**
 * The JWKS cache on its own, with a clock the test moves: a failed fetch closes the door for the
 * cooldown and opens it after; stale keys keep verifying while a refresh fails; a key Entra rotated in
 * is fetched once per cooldown.
 */
describe(cachedRemoteJwks.name, () => {
  let server: Server;
  let url: URL;
  let fetches = 0;
  let answer: { status: number; keys: JWK[] } = { status: 500, keys: [] };
  let first: { key: KeyLike; jwk: JWK };
  let second: { key: KeyLike; jwk: JWK };

  beforeAll(async () => {
    const make = async (kid: string) => {
      const pair = await generateKeyPair('RS256');
      return { key: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' } };
    };
    first = await make('k1');
    second = await make('k2');
    server = createServer((_req, res) => {
      fetches += 1;
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: answer.keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/keys`);
  });
  afterAll(() => server.close());

  const sign = (signer: { key: KeyLike; jwk: JWK }) =>
    new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'RS256', kid: signer.jwk.kid }).setIssuedAt().setExpirationTime('1h').sign(signer.key);

  it('waits out the cooldown after a failure, then recovers; keeps stale keys; fetches a rotated key once per cooldown', async () => {
    let now = 1_000_000;
    const jwks = cachedRemoteJwks(url, { cooldownMs: 30_000, maxAgeMs: 3_600_000, now: () => now });
    const token1 = await sign(first);

    // Down: 503 with the time left, and no second fetch within the cooldown.
    answer = { status: 500, keys: [] };
    const down = await jwtVerify(token1, jwks).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(ServiceUnavailableError);
    expect((down as ServiceUnavailableError).retryAfterSeconds).toBe(30);
    now += 10_000;
    answer = { status: 200, keys: [first.jwk] };
    const stillClosed = await jwtVerify(token1, jwks).catch((e: unknown) => e);
    expect((stillClosed as ServiceUnavailableError).retryAfterSeconds).toBe(20);
    expect(fetches).toBe(1);

    // After the cooldown: fetched, verified, and then served from the cache.
    now += 20_000;
    await expect(jwtVerify(token1, jwks)).resolves.toBeDefined();
    await expect(jwtVerify(token1, jwks)).resolves.toBeDefined();
    expect(fetches).toBe(2);

    // Stale keys keep verifying while the refresh fails (one attempt, then the cooldown).
    now += 3_600_001;
    answer = { status: 500, keys: [] };
    await expect(jwtVerify(token1, jwks)).resolves.toBeDefined();
    await expect(jwtVerify(token1, jwks)).resolves.toBeDefined();
    expect(fetches).toBe(3);

    // A key rotated in: fetched once the cooldown has passed, then known.
    now += 30_000;
    answer = { status: 200, keys: [first.jwk, second.jwk] };
    const token2 = await sign(second);
    await expect(jwtVerify(token2, jwks)).resolves.toBeDefined();
    expect(fetches).toBe(4);
    // An unknown key id right after a fetch does not fetch again: refused without a request.
    const stranger = await sign({ key: second.key, jwk: { ...second.jwk, kid: 'k3' } });
    await expect(jwtVerify(stranger, jwks)).rejects.toThrow();
    expect(fetches).toBe(4);
    // Once the cooldown has passed, the unknown key id is looked up (keys still fresh: only the miss fetches).
    now += 30_000;
    answer = { status: 200, keys: [first.jwk, second.jwk, { ...second.jwk, kid: 'k3' }] };
    await expect(jwtVerify(stranger, jwks)).resolves.toBeDefined();
    expect(fetches).toBe(5);
  });
});
