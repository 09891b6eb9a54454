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

// PostgreSQL only: there the schema of a new database is created by whoever comes first, and
// `CREATE SCHEMA IF NOT EXISTS` racing itself must not fail the others. (SQLite has no such step, and
// several SQLite connections in one thread would wait on each other's busy timeout; the processes
// above cover SQLite.)
(process.env.PORTIER_TEST_DATABASE_URL ? describe : describe.skip)('several connections opening one new PostgreSQL schema', () => {
  it('each opens it, migrated', async () => {
    const url = testDatabaseUrl();
    const opened = await Promise.allSettled(Array.from({ length: 8 }, () => openStore(url)));
    try {
      for (const o of opened) if (o.status === 'rejected') throw o.reason;
      for (const o of opened) if (o.status === 'fulfilled') expect(o.value.migration).toBe(latestMigration());
    } finally {
      await Promise.all(opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value.close()] : [])));
      await dropTestDatabase(url);
    }
  }, 60_000);
});
