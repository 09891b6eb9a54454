import { openStore } from '../../bot/store/db';
import { latestMigration } from '../../bot/store/migrations';
import { dropTestDatabase, testDatabaseUrl } from '../helpers/server';
import { startServerProcess } from '../helpers/process';

describe('several server processes starting on one empty database', () => {
  it('migrate and seed it exactly once, and all serve', async () => {
    const url = testDatabaseUrl();
    const started = await Promise.allSettled([1, 2, 3].map(() => startServerProcess({ DATABASE_URL: url, PORTIER_SEED: 'demo' })));
    const processes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    try {
      // Every one of them must have started; a failure says why (e.g. a migration that ran twice).
      for (const s of started) if (s.status === 'rejected') throw s.reason;
      for (const server of processes) {
        const health = await fetch(`${server.url}/healthz`);
        expect(health.status).toBe(200);
        expect(await health.json()).toMatchObject({ migration: latestMigration() });
      }
      const store = await openStore(url);
      try {
        const count = async (table: 'tenants' | 'catalogs' | 'users' | 'assignment_policies') => Number((await store.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
        expect(await count('tenants')).toBe(3);
        expect(await count('users')).toBe(6);
        expect(await count('catalogs')).toBe(1);
        expect(await count('assignment_policies')).toBe(1);
      } finally {
        await store.close();
      }
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
      await dropTestDatabase(url);
    }
  }, 60_000);
});
