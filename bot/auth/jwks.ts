import { createLocalJWKSet, errors as joseErrors, JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import { ServiceUnavailableError } from '../domain/errors';

export interface JwksOptions {
  /** How long one fetch may take. */
  timeoutMs?: number;
  /** After a failed fetch, or a refresh for an unknown key id, no other fetch for this long. */
  cooldownMs?: number;
  /** Keys older than this are refreshed (Entra rotates keys; the old ones stay valid for a while). */
  maxAgeMs?: number;
  now?: () => number;
}

/**
 * Entra ID's signing keys, fetched once and kept. jose's `createRemoteJWKSet` fetches again on every
 * request while the endpoint is down and lets a connection error escape as a 500; here a failed fetch
 * closes the door for `cooldownMs` (callers get 503 with `Retry-After`), concurrent requests share one
 * fetch, and stale keys keep working while a refresh fails.
 */
export function cachedRemoteJwks(url: URL, options: JwksOptions = {}): JWTVerifyGetKey {
  const timeoutMs = options.timeoutMs ?? 5000;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const maxAgeMs = options.maxAgeMs ?? 3600_000;
  const now = options.now ?? Date.now;
  let local: JWTVerifyGetKey | undefined;
  let fetchedAt = 0;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let failedUntil = 0;
  let inflight: Promise<void> | undefined;

  const unavailable = (): ServiceUnavailableError =>
    new ServiceUnavailableError('The signing keys of the identity provider cannot be fetched right now; try again later.', Math.max(1, Math.ceil((failedUntil - now()) / 1000)));

  const fetchKeys = async (): Promise<void> => {
    lastAttemptAt = now();
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`JWKS endpoint answered ${res.status}`);
      const body = (await res.json()) as JSONWebKeySet;
      if (!body || !Array.isArray(body.keys)) throw new Error('JWKS endpoint answered without keys');
      local = createLocalJWKSet(body);
      fetchedAt = now();
      failedUntil = 0;
    } catch {
      failedUntil = now() + cooldownMs;
      throw unavailable();
    }
  };

  /** Fetches unless a fetch failed (or ran) within the cooldown; shares a fetch under way. */
  const refresh = async (): Promise<void> => {
    if (now() < failedUntil) throw unavailable();
    inflight ??= fetchKeys().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };

  return async (header, token) => {
    if (!local) await refresh();
    else if (now() - fetchedAt > maxAgeMs && now() >= failedUntil) await refresh().catch(() => undefined); // stale keys still verify
    try {
      return await local!(header, token);
    } catch (error) {
      // An unknown key id may be a key Entra rotated in: refetch, at most once per cooldown.
      if (!(error instanceof joseErrors.JWKSNoMatchingKey) || now() - lastAttemptAt < cooldownMs) throw error;
      await refresh();
      return local!(header, token);
    }
  };
}
