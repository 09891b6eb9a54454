import { Kysely, PostgresDialect, sql } from 'kysely';
import { Pool } from 'pg';
import { cancelStageTimers, stageTimerKinds } from '../../bot/commands/approvals/requestFlow';
import { openStore, type Store } from '../../bot/store/db';
import type { Database } from '../../bot/store/schema';
import { dropTestDatabase, testDatabaseUrl } from '../helpers/server';

/**
 * A decision deletes its stage's timers by (kind, subject id) on PostgreSQL whatever the table statistics say.
 * Timers come and go all day, so statistics are often taken while few stage timers exist; with the stages as a
 * subquery the planner then searched `timers_subject` by kind alone and walked every undecided stage's timer in
 * the database per decision (~15 ms each at 2,000 open requests). Here the statistics are taken on an empty
 * table, 2,000 stage timers are added, and the plans of `cancelStageTimers` (auto_explain, to this client) must
 * search the index on both columns. PostgreSQL only: SQLite's one statement is checked by the approval tests.
 */
const postgresOnly = process.env.PORTIER_TEST_DATABASE_URL ? describe : describe.skip;

postgresOnly('stage timers on PostgreSQL', () => {
  let url: string;
  let store: Store;
  let pool: Pool;
  let db: Kysely<Database>;
  const notices: string[] = [];

  beforeAll(async () => {
    url = testDatabaseUrl();
    store = await openStore(url);
    const parsed = new URL(url);
    const schema = parsed.searchParams.get('schema') as string;
    parsed.searchParams.delete('schema');
    pool = new Pool({ connectionString: parsed.toString(), max: 1, options: `-c search_path="${schema}"` });
    pool.on('connect', (client) => client.on('notice', (notice) => notices.push(notice.message ?? '')));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  });
  afterAll(async () => {
    await db?.destroy();
    await store?.close();
    await dropTestDatabase(url);
  });

  it('a decision finds its stages first and deletes their timers by (kind, subject id), with statistics taken before they existed', async () => {
    await sql`analyze timers`.execute(db);
    await sql`alter table timers set (autovacuum_enabled = false)`.execute(db);
    const requests = Array.from({ length: 2000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    await db.transaction().execute(async (tx) => {
      // Stages without their requests: the foreign keys are not what this is about.
      await sql`set local session_replication_role = replica`.execute(tx);
      await tx.insertInto('approval_stages').values(requests.map((requestId, i) => ({ id: `10000000-0000-4000-8000-${String(i).padStart(12, '0')}`, requestId, stageIndex: 0, displayName: 'Stage 1', status: 'InProgress', reviewResult: 'NotReviewed', justification: null, reviewedById: null, reviewedBy: null, reviewedDateTime: null, startedDateTime: null, dueDateTime: null, escalationDateTime: null, isEscalated: 0, settings: '{}' }))).execute();
      await tx.insertInto('timers').values(requests.map((_, i) => ({ id: `20000000-0000-4000-8000-${String(i).padStart(12, '0')}`, kind: stageTimerKinds.autoDeny, subjectId: `10000000-0000-4000-8000-${String(i).padStart(12, '0')}`, dueAt: '2030-01-01T00:00:00.000Z', payload: '{}', attempts: 0, leaseOwner: null, leaseUntil: null, lastError: null, createdDateTime: '2026-01-01T00:00:00.000Z' }))).execute();
    });

    notices.length = 0;
    await db.transaction().execute(async (tx) => {
      await sql`load 'auto_explain'`.execute(tx);
      await sql`set local auto_explain.log_min_duration = 0`.execute(tx);
      await sql`set local auto_explain.log_level = notice`.execute(tx);
      await cancelStageTimers(tx, requests[1234]);
    });
    const timerSearches = notices.join('\n').split('\n').filter((line) => /Index Cond: .*\bkind\b/.test(line));
    expect(timerSearches.length).toBeGreaterThan(0);
    for (const line of timerSearches) expect(line).toMatch(/"subjectId"/);
    expect(await db.selectFrom('timers').select('subjectId').where('kind', '=', stageTimerKinds.autoDeny).where('subjectId', '=', '10000000-0000-4000-8000-000000001234').execute()).toEqual([]);
    expect(Number((await db.selectFrom('timers').select((eb) => eb.fn.countAll().as('n')).where('kind', '=', stageTimerKinds.autoDeny).executeTakeFirstOrThrow()).n)).toBe(1999);
  });
});
