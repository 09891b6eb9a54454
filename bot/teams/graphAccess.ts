import type { Client } from '@microsoft/microsoft-graph-client';
import type { Kysely } from 'kysely';
import { issueOnBehalfToken } from '../auth/tokens';
import { createGraphClient } from '../graph/client';
import { type GraphHandler, InProcessGraphHandler } from '../graph/inProcess';
import type { Database } from '../store/schema';

/** The person behind an activity, as Teams names them. */
export interface TeamsUser {
  /** `from.aadObjectId`: their object id in the tenant the bot serves (a guest's guest object). */
  aadObjectId: string;
  /** `channelData.tenant.id`. */
  tenantId: string;
}

/** The bot cannot act for this person (unknown tenant, no directory user). */
export class NotActingUserError extends Error {}

/**
 * The one "Teams user → Graph token" step. Embedded mode: Portier issues the token itself for the
 * directory user `from.aadObjectId` names. With Microsoft's Graph this becomes SSO/OBO, and nothing
 * else in the bot changes.
 */
export interface GraphTokenProvider {
  tokenFor(user: TeamsUser): Promise<string>;
}

export function embeddedTokenProvider(db: Kysely<Database>): GraphTokenProvider {
  let homeTenant: Promise<string> | undefined;
  const cache = new Map<string, { token: string; expiresAt: number }>();
  return {
    async tokenFor(user) {
      homeTenant ??= db
        .selectFrom('tenants')
        .select('id')
        .where('isHome', '=', 1)
        .executeTakeFirstOrThrow()
        .then((t) => t.id);
      // Only people of the tenant this Portier serves (members and its guests) act through the bot.
      if (user.tenantId.toLowerCase() !== (await homeTenant).toLowerCase()) throw new NotActingUserError('The activity comes from another tenant.');
      const key = user.aadObjectId.toLowerCase();
      const cached = cache.get(key);
      if (cached && cached.expiresAt - 60_000 > Date.now()) return cached.token;
      const issued = await issueOnBehalfToken(db, { objectId: key, tenantId: await homeTenant });
      if (cache.size > 10_000) cache.clear();
      cache.set(key, issued);
      return issued.token;
    },
  };
}

/**
 * A Graph client acting as `user` (Portier's own Graph client, the tab's too). With `inProcess` (the
 * embedded Graph of this very server) the calls skip the loopback socket, nothing else changes.
 */
export function graphFor(baseUrl: () => string, tokens: GraphTokenProvider, user: TeamsUser, inProcess?: GraphHandler): Client {
  return createGraphClient({
    baseUrl: baseUrl(),
    token: () => tokens.tokenFor(user),
    retries: 0,
    local: inProcess && ((base) => new InProcessGraphHandler(base, inProcess)),
  });
}
