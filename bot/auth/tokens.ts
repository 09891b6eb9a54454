import { randomBytes } from 'node:crypto';
import { decodeJwt, errors as joseErrors, jwtVerify, JWTPayload, SignJWT } from 'jose';
import type { Kysely } from 'kysely';
import type { Config } from '../config';
import { NotFoundError, UnauthorizedError, ValidationError } from '../domain/errors';
import type { Database } from '../store/schema';
import { cachedRemoteJwks } from './jwks';
import type { VerifiedIdentity } from './principal';

/** Turns a bearer token into a verified identity, or throws `UnauthorizedError`. */
export interface TokenVerifier {
  verify(token: string): Promise<VerifiedIdentity>;
}

const devIssuer = 'https://portier.local/dev';
const devAudience = 'portier-dev';
const devLifetimeSeconds = 8 * 3600;

async function devSecret(db: Kysely<Database>): Promise<Uint8Array> {
  const existing = await db.selectFrom('instance_secrets').select('value').where('name', '=', 'devTokenKey').executeTakeFirst();
  if (existing) return Buffer.from(existing.value, 'base64');
  // Several instances may start at once: insert-if-absent, then read whichever won.
  await db
    .insertInto('instance_secrets')
    .values({ name: 'devTokenKey', value: randomBytes(32).toString('base64') })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('instance_secrets').select('value').where('name', '=', 'devTokenKey').executeTakeFirstOrThrow();
  return Buffer.from(row.value, 'base64');
}

/**
 * Issues a dev-mode token shaped like the one Entra ID would issue for that account, and only for an
 * account that could use it (none for a disabled one):
 * - a partner's home account (`ruth@fabrikam.test`) signs in as a user of its own tenant (`tid` = partner);
 * - a guest of this directory, named by its `#EXT#` UPN or its mail, signs in as that guest user of the
 *   resource tenant (`tid` = ours, `oid` = the guest) with `idp` naming their home organization;
 * - a member signs in as a user of this tenant.
 * Only reachable when AUTH_MODE=dev.
 */
export async function issueDevToken(db: Kysely<Database>, upn: string): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number }> {
  const name = upn.trim().toLowerCase();
  const home = await db.selectFrom('tenants').select('id').where('isHome', '=', 1).executeTakeFirstOrThrow();
  const external = await db.selectFrom('external_accounts').selectAll().where('userPrincipalName', '=', name).executeTakeFirst();
  let claims: Record<string, string>;
  if (external) {
    // The guest this home account redeemed, if any: a blocked guest cannot use Portier with any token.
    const guest = await db.selectFrom('users').select('accountEnabled').where('homeTenantId', '=', external.tenantId).where('homeObjectId', '=', external.id).executeTakeFirst();
    if (guest && guest.accountEnabled !== 1) throw disabledAccount(upn);
    claims = { oid: external.id, tid: external.tenantId, upn: external.userPrincipalName, preferred_username: external.userPrincipalName, name: external.displayName, email: external.mail };
  } else {
    const user = await db
      .selectFrom('users')
      .select(['id', 'userPrincipalName', 'displayName', 'mail', 'userType', 'accountEnabled', 'homeTenantId'])
      .where((eb) => eb.or([eb(eb.fn('lower', ['userPrincipalName']), '=', name), eb('mailLower', '=', name)]))
      .orderBy('userType', 'desc')
      .executeTakeFirst();
    if (!user) throw new NotFoundError(`No account '${upn}' exists in the directory or among the partners' home accounts.`, 'Request_ResourceNotFound');
    if (user.accountEnabled !== 1) throw disabledAccount(upn);
    if (user.userType === 'Guest') {
      // Entra's token for a guest in the resource tenant: no `upn`; the home sign-in name and the home
      // organization's issuer (`idp`), or `mail` for a one-time-passcode guest of no known tenant.
      const homeName = user.mail ?? user.userPrincipalName;
      const idp = await homeIdentityProvider(db, user.homeTenantId, homeName);
      claims = { oid: user.id, tid: home.id, idp, preferred_username: homeName, unique_name: homeName, name: user.displayName, ...(user.mail ? { email: user.mail } : {}) };
    } else {
      claims = { oid: user.id, tid: home.id, upn: user.userPrincipalName, preferred_username: user.userPrincipalName, name: user.displayName, ...(user.mail ? { email: user.mail } : {}) };
    }
  }
  const token = await new SignJWT({ ...claims, scp: 'access_as_user' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(devIssuer)
    .setAudience(devAudience)
    .setIssuedAt()
    .setExpirationTime(`${devLifetimeSeconds}s`)
    .sign(await devSecret(db));
  return { access_token: token, token_type: 'Bearer', expires_in: devLifetimeSeconds };
}

/** Entra refuses to sign in a disabled account (AADSTS50057); so does the dev sign-in. */
function disabledAccount(upn: string): ValidationError {
  return new ValidationError(`The account '${upn}' is disabled and cannot sign in.`, 'upn', 'AccountDisabled');
}

/** The issuer of a guest's home organization: their bound home tenant, else the tenant owning their mail domain. */
async function homeIdentityProvider(db: Kysely<Database>, homeTenantId: string | null, homeName: string): Promise<string> {
  if (homeTenantId) return `https://sts.windows.net/${homeTenantId}/`;
  const domain = homeName.split('@')[1]?.toLowerCase();
  if (domain) {
    for (const tenant of await db.selectFrom('tenants').select(['id', 'domains']).where('isHome', '=', 0).execute()) {
      if ((JSON.parse(tenant.domains) as string[]).some((d) => d.toLowerCase() === domain)) return `https://sts.windows.net/${tenant.id}/`;
    }
  }
  return 'mail';
}

/**
 * Tokens of our own key, once verified, trusted until they expire: a client sends the same token with
 * every call. Keyed by the whole token, so only that exact token is trusted; at most 10,000, the
 * oldest out first. (Who the token names is still resolved on every call: a disabled account stops at once.)
 */
function verifiedTokens() {
  const verified = new Map<string, { identity: VerifiedIdentity; expiresAt: number }>();
  return {
    get(token: string): VerifiedIdentity | undefined {
      const known = verified.get(token);
      if (known && known.expiresAt > Date.now()) return known.identity;
      if (known) verified.delete(token);
      return undefined;
    },
    keep(token: string, payload: JWTPayload): VerifiedIdentity {
      const identity = identityFrom(payload);
      if (verified.size >= 10_000) verified.delete(verified.keys().next().value as string);
      verified.set(token, { identity, expiresAt: (payload.exp ?? 0) * 1000 });
      return identity;
    },
  };
}

/** Verifies tokens minted by `issueDevToken`. The key never changes once made, so it is read once. */
export function devTokenVerifier(db: Kysely<Database>): TokenVerifier {
  let key: Promise<Uint8Array> | undefined;
  const verified = verifiedTokens();
  return {
    async verify(token) {
      const known = verified.get(token);
      if (known) return known;
      key ??= devSecret(db).catch((error: unknown) => {
        key = undefined;
        throw error;
      });
      const secret = await key;
      const { payload } = await verifying(() => jwtVerify(token, secret, { issuer: devIssuer, audience: devAudience, algorithms: ['HS256'], requiredClaims: ['exp'] }));
      return verified.keep(token, payload);
    },
  };
}

/**
 * Verifies Microsoft Entra ID access tokens: signature against the JWKS, issuer of the token's
 * tenant (v1 or v2 endpoint), audience = exactly our app (its client id, or its one Application ID
 * URI: any other `api://…/<client id>` may be someone else's app registration), expiry (required),
 * the `access_as_user` scope, and a tenant we know (ours, or one a connected organization names).
 */
export function entraTokenVerifier(config: Config, db: Kysely<Database>): TokenVerifier {
  const audiences = [config.aad.clientId, config.aad.appIdUri].filter((a): a is string => typeof a === 'string' && a !== '');
  const jwks = cachedRemoteJwks(new URL(config.aad.jwksUrl));
  return {
    async verify(token) {
      const { payload } = await verifying(() => jwtVerify(token, jwks, { algorithms: ['RS256'], clockTolerance: 60, requiredClaims: ['exp'] }));
      const tid = typeof payload.tid === 'string' ? payload.tid : '';
      const issuers = [`${config.aad.authorityHost}/${tid}/v2.0`, `https://sts.windows.net/${tid}/`];
      if (!tid || !issuers.includes(String(payload.iss))) throw new UnauthorizedError('The token was not issued by the tenant it names.');
      const named = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (!named.some((aud) => typeof aud === 'string' && audiences.includes(aud))) throw new UnauthorizedError('The token is meant for another application.');
      const scopes = typeof payload.scp === 'string' ? payload.scp.split(' ') : [];
      if (!scopes.includes('access_as_user')) throw new UnauthorizedError("The token lacks the 'access_as_user' scope.");
      if (tid !== config.aad.tenantId && !(await isKnownPartnerTenant(db, tid))) {
        throw new UnauthorizedError('The token comes from a tenant that is neither ours nor a connected organization.');
      }
      return identityFrom(payload);
    },
  };
}

async function isKnownPartnerTenant(db: Kysely<Database>, tenantId: string): Promise<boolean> {
  const row = await db
    .selectFrom('connected_organization_sources')
    .select('connectedOrganizationId')
    .where('kind', '=', 'tenant')
    .where('value', '=', tenantId.toLowerCase())
    .executeTakeFirst();
  if (row) return true;
  const guest = await db.selectFrom('users').select('id').where('homeTenantId', '=', tenantId).executeTakeFirst();
  return guest !== undefined;
}

async function verifying<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof UnauthorizedError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new UnauthorizedError('Lifetime validation failed, the token is expired.');
    if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'exp') throw new UnauthorizedError('Lifetime validation failed, the token has no expiry (exp).');
    if (error instanceof joseErrors.JOSEError) throw new UnauthorizedError(`Access token validation failure: ${error.code}.`);
    throw error;
  }
}

function identityFrom(payload: JWTPayload): VerifiedIdentity {
  const oid = typeof payload.oid === 'string' ? payload.oid : '';
  const tid = typeof payload.tid === 'string' ? payload.tid : '';
  if (!oid || !tid) throw new UnauthorizedError('The token does not name a user (oid) and tenant (tid).');
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  return {
    objectId: oid,
    tenantId: tid,
    userPrincipalName: text(payload.upn) ?? text(payload.preferred_username),
    displayName: text(payload.name),
    email: text(payload.email),
  };
}

/** An account the dev sign-in picker offers. */
export interface DevAccount {
  upn: string;
  displayName: string;
  organization: string;
}

/**
 * The accounts the tab's dev sign-in picker offers: the home tenant's members, then the partners'
 * home accounts (people who sign in from their own organization). Guests are left out: a partner
 * signs in with the home account, and the guest object follows from it. Dev mode only.
 */
export async function listDevAccounts(db: Kysely<Database>, limit = 50): Promise<DevAccount[]> {
  const home = await db.selectFrom('tenants').select(['displayName']).where('isHome', '=', 1).executeTakeFirst();
  const members = await db
    .selectFrom('users')
    .select(['userPrincipalName', 'displayName'])
    .where('userType', '=', 'Member')
    .where('accountEnabled', '=', 1)
    .orderBy('userPrincipalName')
    .limit(limit)
    .execute();
  const partners = await db
    .selectFrom('external_accounts')
    .innerJoin('tenants', 'tenants.id', 'external_accounts.tenantId')
    .select(['external_accounts.userPrincipalName', 'external_accounts.displayName', 'tenants.displayName as organization'])
    .orderBy('tenants.displayName')
    .orderBy('external_accounts.userPrincipalName')
    .limit(limit)
    .execute();
  return [
    ...members.map((m) => ({ upn: m.userPrincipalName, displayName: m.displayName, organization: home?.displayName ?? '' })),
    ...partners.map((p) => ({ upn: p.userPrincipalName, displayName: p.displayName, organization: p.organization })),
  ];
}

const onBehalfIssuer = 'https://portier.local/teams';
const onBehalfAudience = 'portier-graph';
const onBehalfLifetimeSeconds = 15 * 60;

/**
 * Issues a token for a directory user the Teams bot acts for (`from.aadObjectId` of an activity that
 * botbuilder authenticated), in embedded mode whatever `AUTH_MODE` is: the bot reaches the engine
 * only through Graph, as that person. Signed with a key of its own that never leaves the database.
 */
export async function issueOnBehalfToken(db: Kysely<Database>, user: { objectId: string; tenantId: string }): Promise<{ token: string; expiresAt: number }> {
  const token = await new SignJWT({ oid: user.objectId, tid: user.tenantId, scp: 'access_as_user' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(onBehalfIssuer)
    .setAudience(onBehalfAudience)
    .setIssuedAt()
    .setExpirationTime(`${onBehalfLifetimeSeconds}s`)
    .sign(await instanceSecret(db, 'teamsOnBehalfKey'));
  return { token, expiresAt: Date.now() + onBehalfLifetimeSeconds * 1000 };
}

/**
 * Accepts the bot's on-behalf tokens beside the tokens `inner` verifies (dev or Entra): the issuer
 * claim only picks the verifier; each verifies the signature with its own key.
 */
export function withOnBehalfTokens(inner: TokenVerifier, db: Kysely<Database>): TokenVerifier {
  let key: Promise<Uint8Array> | undefined;
  // The bot sends one person's token with each of their Graph calls (bot/teams/graphAccess.ts).
  const verified = verifiedTokens();
  return {
    async verify(token) {
      const known = verified.get(token);
      if (known) return known;
      let issuer: unknown;
      try {
        issuer = decodeJwt(token).iss;
      } catch {
        issuer = undefined;
      }
      if (issuer !== onBehalfIssuer) return inner.verify(token);
      key ??= instanceSecret(db, 'teamsOnBehalfKey').catch((error: unknown) => {
        key = undefined;
        throw error;
      });
      const secret = await key;
      const { payload } = await verifying(() => jwtVerify(token, secret, { issuer: onBehalfIssuer, audience: onBehalfAudience, algorithms: ['HS256'], requiredClaims: ['exp'] }));
      return verified.keep(token, payload);
    },
  };
}

async function instanceSecret(db: Kysely<Database>, name: string): Promise<Uint8Array> {
  const existing = await db.selectFrom('instance_secrets').select('value').where('name', '=', name).executeTakeFirst();
  if (existing) return Buffer.from(existing.value, 'base64');
  await db
    .insertInto('instance_secrets')
    .values({ name, value: randomBytes(32).toString('base64') })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('instance_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  return Buffer.from(row.value, 'base64');
}
