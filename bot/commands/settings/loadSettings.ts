import type { Kysely } from 'kysely';
import type { Database, EntitlementSettingsTable } from '../../store/schema';
import { defaultSettings, settingsId } from './schemas';

/** The entitlement management settings; the defaults when they were never stored. */
export async function loadSettings(db: Kysely<Database>): Promise<EntitlementSettingsTable> {
  return (await db.selectFrom('entitlement_settings').selectAll().where('id', '=', settingsId).executeTakeFirst()) ?? defaultSettings;
}
