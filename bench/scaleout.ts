import { randomBytes } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { Pool } from 'pg';
import { issueDevToken } from '../bot/auth/tokens';
import { newId, systemClock } from '../bot/context';
import { seedDemoTenant } from '../bot/seed/demo';
import { demo } from '../bot/seed/tenant';
import { openStore, type Store } from '../bot/store/db';
import { type ServerProcess, startServerProcess } from '../tests/helpers/process';
import { type BenchModule, expectStatus, fmt, printTable, runPool, type Summary } from './lib';
import { startProfiledServer } from './processStats';

/**
 * Scale-out on PostgreSQL: N Fabrikam partners request the demo's hidden package and the sponsor
 * approves each, all over HTTP, spread round-robin over 1 and then 3 Portier processes sharing one
 * PostgreSQL schema (a fresh schema per configuration, dropped afterwards). The job runners of all
 * instances process the requests and deliver the assignments meanwhile; the figure is items per
 * second until the last one is processed (submits) or delivered with every outbox delivery done
 * (decisions). Afterwards the database is checked for work done twice: one assignment per request,
 * no event or audit record written twice, every outbox delivery done once.
 *
 * PostgreSQL: BENCH_SCALEOUT_DATABASE_URL, else BENCH_DATABASE_URL when it is PostgreSQL, else
 * PORTIER_TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test; skipped when none answers.
 * Knobs: BENCH_SCALEOUT_REQUESTS (per configuration, default 2,000), BENCH_SCALEOUT_CLIENTS (HTTP
 * clients, default 24), BENCH_SCALEOUT_INSTANCES (default "1,3"), BENCH_PROFILE_DIR=<dir> (a CPU profile of
 * each server process, written there when it stops; summarize with `npx tsx bench/profileSummary.ts`).
 */

const envInt = (name: string, fallback: number) => {
  const value = process.env[name];
  const n = value === undefined || value === '' ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number`);
  return n;
};
const requestCount = envInt('BENCH_SCALEOUT_REQUESTS', 2_000);
const clients = envInt('BENCH_SCALEOUT_CLIENTS', 24);
const configurations = (process.env.BENCH_SCALEOUT_INSTANCES ?? '1,3').split(',').map((s) => Number(s.trim()));
const targetItemsPerSec = 600;
const profileDir = process.env.BENCH_PROFILE_DIR ? resolve(process.env.BENCH_PROFILE_DIR) : null;
const settleTimeoutMs = 300_000;
const em = 'identityGovernance/entitlementManagement';
const n = (value: number) => value.toLocaleString('en-US');

function postgresUrl(): string {
  const candidates = [process.env.BENCH_SCALEOUT_DATABASE_URL, process.env.BENCH_DATABASE_URL, process.env.PORTIER_TEST_DATABASE_URL];
  return candidates.find((u) => u && /^postgres(ql)?:\/\//.test(u)) ?? 'postgres://postgres@127.0.0.1:5432/test';
}

export const scaleoutBenchmark: BenchModule = {
  name: `Scale-out on PostgreSQL: ${n(requestCount)} requests submitted, processed, approved and delivered by ${configurations.join(' and ')} Portier processes`,
  run: runScaleoutBenchmark,
};

interface HttpResult {
  status: number;
  text: string;
}

/** A keep-alive client per instance; calls go to the instance `i % instances`. */
function httpClients(urls: readonly string[], pids: readonly number[], sockets: number) {
  const agents = urls.map(() => new HttpAgent({ keepAlive: true, maxSockets: Math.ceil(sockets / urls.length) }));
  const call = (i: number, method: string, path: string, token: string, body?: unknown, retried = false): Promise<HttpResult> =>
    new Promise<HttpResult>((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: Record<string, string | number> = { authorization: `Bearer ${token}` };
      if (payload) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = payload.length;
      }
      const k = i % urls.length;
      const req = httpRequest(new URL(path, urls[k]), { method, agent: agents[k], headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed after its idle timeout just as we reused it (one
        // instance was slow, so the others' sockets sat idle): the request never reached the server,
        // and Node's documentation advises sending it again.
        if (req.reusedSocket && error.code === 'ECONNRESET' && !retried) {
          call(i, method, path, token, body, true).then(resolve, reject);
          return;
        }
        const alive = (() => {
          try {
            process.kill(pids[k], 0);
            return 'alive';
          } catch {
            return 'gone';
          }
        })();
        reject(new Error(`${method} ${path} on instance ${k + 1} (${urls[k]}, pid ${pids[k]} ${alive}): ${error.message}`));
      });
      req.end(payload);
    });
  return { call, destroy: () => agents.forEach((a) => a.destroy()) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 20 ms until it holds; the elapsed milliseconds since `since`. */
async function waitUntil(what: string, since: number, check: () => Promise<boolean>): Promise<number> {
  for (;;) {
    if (await check()) return performance.now() - since;
    if (performance.now() - since > settleTimeoutMs) throw new Error(`${what}: not done after ${settleTimeoutMs / 1000} s`);
    await sleep(20);
  }
}

/** CPU seconds (user + system) process `pid` used so far; null off Linux. */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

function load(): string {
  return `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

interface RunFigures {
  instances: number;
  submits: Summary;
  processedMs: number;
  decisions: Summary;
  deliveredMs: number;
  cpuMsPerRequest: number | null;
  problems: string[];
}

const partnerUpn = (i: number) => `scale${String(i).padStart(6, '0')}@${demo.fabrikam.domain}`;

/** One configuration: a fresh schema, `instances` servers on it, the whole flow, then the checks. */
async function runConfiguration(base: string, instances: number): Promise<RunFigures> {
  const schema = `bench_scale_${randomBytes(5).toString('hex')}`;
  const url = new URL(base);
  url.searchParams.set('schema', schema);
  let store: Store | undefined;
  const servers: ServerProcess[] = [];
  let http: ReturnType<typeof httpClients> | undefined;
  try {
    store = await openStore(url.toString());
    const db = store.db;
    await seedDemoTenant(db, store.dialect, systemClock, { entitlements: true });
    for (let first = 0; first < requestCount; first += 2_000) {
      const rows = [];
      for (let i = first; i < Math.min(requestCount, first + 2_000); i++) rows.push({ tenantId: demo.fabrikam.id, id: newId(), userPrincipalName: partnerUpn(i), displayName: `Scale Partner ${i}`, mail: partnerUpn(i) });
      await db.insertInto('external_accounts').values(rows).execute();
    }
    await sql`analyze`.execute(db);
    const pkg = await db.selectFrom('access_packages').select(['id']).where('displayName', '=', demo.packageName).executeTakeFirstOrThrow();
    const policy = await db.selectFrom('assignment_policies').select(['questions']).where('accessPackageId', '=', pkg.id).executeTakeFirstOrThrow();
    const [question] = JSON.parse(policy.questions) as Array<{ id: string }>;
    const tokens: string[] = [];
    for (let i = 0; i < requestCount; i++) tokens.push((await issueDevToken(db, partnerUpn(i))).access_token);
    const sponsorToken = (await issueDevToken(db, demo.partners.ruth.upn)).access_token;

    // The instances start one after another (the demo seed is there already; each only checks it).
    // With BENCH_PROFILE_DIR each instance is started with a CPU profile, written there when it stops.
    for (let k = 0; k < instances; k++) {
      const env = { DATABASE_URL: url.toString(), PORTIER_SEED: 'demo', AUTH_MODE: 'dev' };
      servers.push(profileDir ? await startProfiledServer(env, profileDir) : await startServerProcess(env));
    }
    // Fresh keep-alive sockets per phase: a socket left idle while the runners settle may be closed by
    // the server (keep-alive timeout) just as the next phase reuses it.
    const fresh = () => {
      http?.destroy();
      http = httpClients(
        servers.map((s) => s.url),
        servers.map((s) => s.pid),
        clients,
      );
    };
    const call: ReturnType<typeof httpClients>['call'] = (...args) => (http as ReturnType<typeof httpClients>).call(...args);
    fresh();
    const cpuBefore = servers.map((s) => cpuSeconds(s.pid));
    const runStarted = new Date().toISOString();

    const countState = async (state: string) =>
      Number((await db.selectFrom('assignment_requests').select((eb) => eb.fn.countAll<number>().as('n')).where('accessPackageId', '=', pkg.id).where('state', '=', state).executeTakeFirstOrThrow()).n);
    const pendingDeliveries = async () => Number((await db.selectFrom('outbox_deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'pending').executeTakeFirstOrThrow()).n);

    // -- submits, spread over the instances; each instance's runner processes them meanwhile.
    const requestIds: string[] = new Array<string>(requestCount);
    const submitStarted = performance.now();
    const submits = await runPool(requestCount, clients, async (i) => {
      const res = await call(i, 'POST', `/graph/v1.0/${em}/assignmentRequests`, tokens[i], {
        requestType: 'userAdd',
        assignment: { accessPackageId: pkg.id },
        justification: `Scale-out partner ${i}`,
        answers: [{ '@odata.type': '#microsoft.graph.accessPackageAnswerString', value: `Rig ${i % 17}`, answeredQuestion: { id: question.id } }],
      });
      expectStatus(res, 201, `POST assignmentRequests as ${partnerUpn(i)}`);
      requestIds[i] = (JSON.parse(res.text) as { id: string }).id;
    });
    const processedMs = await waitUntil('processing', submitStarted, async () => (await countState('submitted')) === 0);

    // -- the sponsor finds each stage (not measured), then decides each, spread over the instances.
    const stageIds: string[] = new Array<string>(requestCount);
    fresh();
    await runPool(requestCount, clients, async (i) => {
      let res = await call(i + 1, 'GET', `/graph/v1.0/${em}/accessPackageAssignmentApprovals/${requestIds[i]}`, sponsorToken);
      // A read that runs out of its 1 s budget on a busy machine is answered 400; this phase is not measured, so ask again.
      for (let attempt = 0; res.status === 400 && res.text.includes('Request_UnsupportedQuery') && attempt < 5; attempt++) {
        res = await call(i + 1, 'GET', `/graph/v1.0/${em}/accessPackageAssignmentApprovals/${requestIds[i]}`, sponsorToken);
      }
      expectStatus(res, 200, `GET approval ${requestIds[i]}`);
      const stage = (JSON.parse(res.text) as { stages: Array<{ id: string; status: string; assignedToMe: boolean }> }).stages.find((s) => s.assignedToMe && s.status === 'InProgress');
      if (!stage) throw new Error(`request ${requestIds[i]} has no stage in progress for the sponsor`);
      stageIds[i] = stage.id;
    });
    fresh();
    const decideStarted = performance.now();
    const decisions = await runPool(requestCount, clients, async (i) => {
      const res = await call(i, 'PATCH', `/graph/v1.0/${em}/accessPackageAssignmentApprovals/${requestIds[i]}/stages/${stageIds[i]}`, sponsorToken, { reviewResult: 'Approve', justification: 'Known Fabrikam engineer' });
      expectStatus(res, 204, `PATCH stage of ${requestIds[i]}`);
    });
    const deliveredMs = await waitUntil('delivery', decideStarted, async () => (await countState('delivered')) === requestCount && (await pendingDeliveries()) === 0);
    const cpuAfter = servers.map((s) => cpuSeconds(s.pid));
    const cpuTotal = cpuBefore.every((c) => c !== null) && cpuAfter.every((c) => c !== null) ? cpuAfter.reduce((sum: number, c, k) => sum + (c as number) - (cpuBefore[k] as number), 0) : null;

    // -- each item once.
    const problems: string[] = [];
    const doubleAssignments = await sql<{ requestId: string; n: number }>`
      select "requestId", count(*) as n from assignments where "requestId" is not null group by "requestId" having count(*) > 1`.execute(db);
    if (doubleAssignments.rows.length > 0) problems.push(`${doubleAssignments.rows.length} requests with more than one assignment`);
    const assignments = Number((await sql<{ n: number }>`select count(*) as n from assignments where "accessPackageId" = ${pkg.id} and state = 'delivered'`.execute(db)).rows[0].n);
    if (assignments !== requestCount) problems.push(`${assignments} delivered assignments, expected ${requestCount}`);
    const doubleEvents = await sql<{ type: string; n: number }>`
      select type, count(*) as n from (select type, "subjectId" from outbox_events where "createdDateTime" >= ${runStarted} group by type, "subjectId" having count(*) > 1) d group by type`.execute(db);
    for (const row of doubleEvents.rows) problems.push(`${row.n} subjects with event ${row.type} written more than once`);
    const doubleAudits = await sql<{ activity: string; n: number }>`
      select "activityDisplayName" as activity, count(*) as n from (
        select "activityDisplayName", "targetResources" from directory_audits where "activityDateTime" >= ${runStarted}
         group by "activityDisplayName", "targetResources", "additionalDetails" having count(*) > 1) d group by "activityDisplayName"`.execute(db);
    for (const row of doubleAudits.rows) problems.push(`${row.n} audit records "${row.activity}" written more than once`);
    const deliveries = await sql<{ state: string; n: number }>`select state, count(*) as n from outbox_deliveries group by state`.execute(db);
    for (const row of deliveries.rows) if (row.state !== 'done') problems.push(`${row.n} outbox deliveries ${row.state}`);
    const retried = Number((await sql<{ n: number }>`select count(*) as n from outbox_deliveries where attempts > 1`.execute(db)).rows[0].n);
    if (retried > 0) console.log(`(${instances} instance(s): ${retried} outbox deliveries took more than one attempt: a failure, a lost lease or a deadlock)`);
    const events = Number((await sql<{ n: number }>`select count(*) as n from outbox_events where "createdDateTime" >= ${runStarted}`.execute(db)).rows[0].n);
    const expectedEvents = requestCount * 4; // submitted, stage started, stage decided, delivered
    if (events !== expectedEvents) problems.push(`${events} events, expected ${expectedEvents} (submitted, stage started, decided, delivered per request)`);
    const notices = await sql<{ n: number; distinct: number }>`select count(*) as n, count(distinct ("eventId", "recipientId")) as distinct from notifications`.execute(db);
    if (Number(notices.rows[0].n) !== Number(notices.rows[0].distinct)) problems.push('a notification was written twice');
    const timersLeft = Number((await sql<{ n: number }>`select count(*) as n from timers where "subjectId" <> 'global' and "dueAt" <= ${new Date().toISOString()}`.execute(db)).rows[0].n);
    if (timersLeft > 0) problems.push(`${timersLeft} due timers left`);

    return { instances, submits, processedMs, decisions, deliveredMs, cpuMsPerRequest: cpuTotal === null ? null : (1000 * cpuTotal) / requestCount, problems };
  } finally {
    http?.destroy();
    await Promise.all(servers.map((s) => s.stop()));
    await store?.close();
    const admin = new Pool({ connectionString: base, max: 1 });
    try {
      await admin.query(`drop schema if exists "${schema}" cascade`);
    } finally {
      await admin.end();
    }
  }
}

async function runScaleoutBenchmark(): Promise<void> {
  const out = console.log;
  const base = postgresUrl();
  const probe = new Pool({ connectionString: base, max: 1, connectionTimeoutMillis: 3_000 });
  try {
    await probe.query('select 1');
  } catch (error) {
    out(`SKIP  no PostgreSQL at ${base} (${error instanceof Error ? error.message : String(error)}); set BENCH_SCALEOUT_DATABASE_URL`);
    return;
  } finally {
    await probe.end();
  }
  out(`database: PostgreSQL ${new URL(base).host}${new URL(base).pathname}, a fresh schema per configuration`);
  out(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; ${load()}`);
  out(`sizes: ${n(requestCount)} requests per configuration by ${clients} HTTP clients, round-robin over the instances`);

  const results: RunFigures[] = [];
  for (const instances of configurations) {
    const figures = await runConfiguration(base, instances);
    results.push(figures);
    out(
      `${instances} instance${instances === 1 ? '' : 's'}: submits ${fmt(figures.submits.opsPerSec, 0)}/s over HTTP (p99 ${fmt(figures.submits.p99, 0)} ms), all processed after ${fmt(figures.processedMs / 1000, 1)} s; ` +
        `decisions ${fmt(figures.decisions.opsPerSec, 0)}/s (p99 ${fmt(figures.decisions.p99, 0)} ms), all delivered and notified after ${fmt(figures.deliveredMs / 1000, 1)} s; ${load()}`,
    );
  }

  printTable(
    ['instances', 'submits/s', 'submit p99 ms', 'processed/s', 'decisions/s', 'decision p99 ms', 'delivered/s', 'server CPU ms/request', 'each item once'],
    results.map((r) => [
      String(r.instances),
      fmt(r.submits.opsPerSec, 0),
      fmt(r.submits.p99, 0),
      fmt(requestCount / (r.processedMs / 1000), 0),
      fmt(r.decisions.opsPerSec, 0),
      fmt(r.decisions.p99, 0),
      fmt(requestCount / (r.deliveredMs / 1000), 0),
      fmt(r.cpuMsPerRequest, 2),
      r.problems.length === 0 ? 'yes' : 'NO',
    ]),
  );
  for (const r of results) for (const p of r.problems) out(`FAIL  ${r.instances} instance(s): ${p}`);
  out('processed/s: requests from the first submit until none is left unprocessed; delivered/s: from the first decision until every one is delivered and every outbox delivery done.');
  for (const r of results) {
    const processed = requestCount / (r.processedMs / 1000);
    const delivered = requestCount / (r.deliveredMs / 1000);
    out(`${Math.min(processed, delivered) >= targetItemsPerSec ? 'PASS' : 'MISS'}  ${r.instances} instance(s) keep up with ${targetItemsPerSec} items/s: processed ${fmt(processed, 0)}/s, delivered ${fmt(delivered, 0)}/s`);
  }
  if (results.some((r) => r.problems.length > 0)) throw new Error('scale-out: some work was done twice or not at all (see FAIL above)');
}
