import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { demo } from '../bot/seed/tenant';
import { openStore, type Store } from '../bot/store/db';
import { verbs } from '../bot/teams/verbs';
import { type ServerProcess, startServerProcess } from '../tests/helpers/process';
import { type ConnectorCall, type LocalConnector, startLocalConnector } from './connector';
import { cpuSince, startProfiledServer } from './processStats';
import { benchDatabase, type BenchModule, expectStatus, fmt, type PoolRun, printTable, runPool, summarize, type Summary } from './lib';

/**
 * The Teams bot under load, everything over HTTP into Portier in its own process, with a local stand-in
 * of the Bot Framework connector (bench/connector.ts) as the `serviceUrl` of every activity:
 *
 * 1. Approval invokes: `adaptiveCard/action` invokes (`Action.Execute`, the approval card's own verb and
 *    `data`, taken from the cards the bot sent) posted to `/api/messages` by 20 clients at once, each a real
 *    decision through the engine (Graph as the approver, conditional write, events, the refreshed card in
 *    the invoke response). Beside it, in the same run, a bare botbuilder echo bot on the same restify set-up
 *    (bench/echoBot.ts, its own process) answering the same kind of invoke with a card, and messages with
 *    a reply through the connector. Targets: p99 < 100 ms; throughput ≥ 0.5 × the echo bot's invokes.
 * 2. Card updates: every request has two approvers (Ruth and Isabel, Fabrikam's external sponsors); the delay
 *    from Ruth's click (invoke sent) to the connector receiving the update of Isabel's card. Target p99 < 1 s.
 * 3. Notices: the notice sender turning `notifications` rows into messages to the connector, notices per
 *    second from the rows being written to the last one received. Target ≥ 200/s.
 *
 * Knobs: BENCH_TEAMS_APPROVALS (requests decided, default 200), BENCH_TEAMS_CLIENTS (20),
 * BENCH_TEAMS_NOTICES (notices sent, default 1,000), BENCH_DATABASE_URL (PostgreSQL instead of SQLite),
 * BENCH_PROFILE_DIR=<dir> (a CPU profile of the server process and its SQL statement times per phase),
 * BENCH_SERVER_LOG=<file> (the server's log, level info).
 * Beside the timings, the CPU milliseconds the server and the echo bot spend per operation (from /proc):
 * on a busy machine those hold where latency and throughput do not.
 */

const envInt = (name: string, fallback: number) => {
  const value = process.env[name];
  const n = value === undefined || value === '' ? fallback : Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number`);
  return n;
};
const approvals = envInt('BENCH_TEAMS_APPROVALS', 200);
const clients = envInt('BENCH_TEAMS_CLIENTS', 20);
const noticeCount = envInt('BENCH_TEAMS_NOTICES', 1_000);
/** Decisions made before the measured ones (warming Portier's code and sockets as the echo bot's warm-up invokes warm its own). */
const warmups = clients * 3;
const targets = { p99Ms: 100, echoRatio: 0.5, noticesPerSec: 200, updateP99Ms: 1000 };
const settleMs = 300_000;
const em = 'identityGovernance/entitlementManagement';
const n = (value: number) => value.toLocaleString('en-US');
const profileDir = process.env.BENCH_PROFILE_DIR ? resolve(process.env.BENCH_PROFILE_DIR) : null;

export const teamsBenchmark: BenchModule = {
  name: `Teams bot: ${n(approvals)} approval invokes at ${clients} concurrent beside an echo bot; card updates; ${n(noticeCount)} notices`,
  run: runTeamsBenchmark,
};

// ---- HTTP --------------------------------------------------------------------------------------------

interface HttpResult {
  status: number;
  text: string;
}

/** Node's http client on a keep-alive agent (one socket per client), as bench/lifecycle.ts. */
function httpClient(base: string, sockets: number) {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: sockets });
  const call = (method: string, path: string, body?: unknown, token?: string, retried = false): Promise<HttpResult> =>
    new Promise<HttpResult>((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: Record<string, string | number> = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (payload) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = payload.length;
      }
      const req = httpRequest(new URL(path, base), { method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed while idle (its keep-alive timeout) just as it was reused: the request
        // never reached the server; Node's documentation says to send it again.
        if (req.reusedSocket && error.code === 'ECONNRESET' && !retried) return resolve(call(method, path, body, token, true));
        reject(new Error(`${method} ${path}: ${error.message}`, { cause: error }));
      });
      req.end(payload);
    });
  return { call, destroy: () => agent.destroy() };
}

/** One summary of several runs: all their latencies, throughput over the sum of their wall times. */
const summarizeRuns = (...runs: PoolRun[]): Summary =>
  summarize(
    runs.flatMap((r) => r.latencies),
    runs.reduce((sum, r) => sum + r.wallMs, 0),
  );

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = settleMs): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (await check()) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`${what}: not done after ${timeoutMs / 1000} s`);
    await sleep(20);
  }
}

// ---- activities ----------------------------------------------------------------------------------------

interface Person {
  id: string;
  name: string;
}

const bot = { id: '28:bench-portier', name: 'Portier' };

/** An activity as Teams sends it to a bot in a personal chat with `person`. */
function activity(connector: LocalConnector, person: Person, fields: Record<string, unknown>): Record<string, unknown> {
  return {
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl: connector.serviceUrl,
    from: { id: `29:${person.id}`, aadObjectId: person.id, name: person.name },
    recipient: bot,
    conversation: { id: personalChat(person), conversationType: 'personal', tenantId: demo.contoso.id },
    channelData: { tenant: { id: demo.contoso.id } },
    locale: 'en-US',
    ...fields,
  };
}

const personalChat = (person: Person) => `a:bench-personal-${person.id}`;

/** An `Action.Execute` click on a card the bot sent to `person` (Teams merges the inputs into `data`). */
function cardAction(connector: LocalConnector, person: Person, replyToId: string, verb: string, data: Record<string, unknown>): Record<string, unknown> {
  return activity(connector, person, { type: 'invoke', name: 'adaptiveCard/action', replyToId, value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' } });
}

interface CardAction {
  verb: string;
  data: Record<string, unknown>;
}

/** Every `Action.Execute` in the cards of a connector call (body, actions, nested containers). */
function executeActions(call: ConnectorCall): CardAction[] {
  const found: CardAction[] = [];
  const visit = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (o.type === 'Action.Execute' && typeof o.verb === 'string') found.push({ verb: o.verb, data: (o.data ?? {}) as Record<string, unknown> });
    for (const value of Object.values(o)) visit(value);
  };
  visit(call.body?.attachments);
  return found;
}

/** The approval card the connector received for `person`: its activity id and its Approve action. */
function approvalCardsOf(connector: LocalConnector, person: Person): Map<string, { activityId: string; approve: CardAction }> {
  const cards = new Map<string, { activityId: string; approve: CardAction }>();
  for (const call of connector.calls) {
    if (call.kind !== 'send' || call.conversationId !== personalChat(person) || !call.activityId) continue;
    const approve = executeActions(call).find((a) => a.verb === verbs.approve);
    const requestId = approve?.data.requestId;
    if (approve && typeof requestId === 'string') cards.set(requestId, { activityId: call.activityId, approve });
  }
  return cards;
}

// ---- the run -------------------------------------------------------------------------------------------

/** Starts `bench/echoBot.ts` in its own process and resolves with its URL. */
function startEchoProcess(): Promise<{ url: string; pid: number; stop(): void }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, join(__dirname, 'echoBot.ts')], {
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the echo bot did not start within 30 s: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Echo bot is running at (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1], pid: child.pid ?? -1, stop: () => child.kill('SIGTERM') });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the echo bot exited with ${code}: ${output}`));
    });
  });
}

async function runTeamsBenchmark(): Promise<void> {
  const target = benchDatabase();
  console.log(`database: ${target.describe}`);
  const connector = await startLocalConnector();
  let portier: ServerProcess | undefined;
  let echo: { url: string; pid: number; stop(): void } | undefined;
  let store: Store | undefined;
  try {
    echo = await startEchoProcess();
    const serverEnv = { DATABASE_URL: target.url, PORTIER_SEED: 'demo', PORTIER_JOB_INTERVAL_MS: '100', PUBLIC_URL: 'http://localhost:3978' };
    const logFile = process.env.BENCH_SERVER_LOG ? resolve(process.env.BENCH_SERVER_LOG) : undefined;
    const profiled = profileDir || logFile ? await startProfiledServer(serverEnv, profileDir, logFile) : null;
    portier = profiled ?? (await startServerProcess(serverEnv));
    const serverPid = portier.pid;
    // With BENCH_PROFILE_DIR, the server writes its SQL statement times (and the bot's Graph calls) so far on SIGUSR2
    // (one file per phase); the phase's window in the CPU profile is printed for bench/profileSummary.ts.
    let phases = 0;
    let phaseStartUs = 0n;
    const sqlPhase = (name?: string) => {
      if (!profileDir) return;
      process.kill(serverPid, 'SIGUSR2');
      phases++;
      const nowUs = process.hrtime.bigint() / 1000n;
      if (name) console.log(`profile window of ${name}: ${phaseStartUs}-${nowUs}; its statements and Graph calls: ${profiled?.sqlStatsFile?.replace(/\.json$/, `-phase${phases}.json`)}`);
      phaseStartUs = nowUs;
    };
    store = await openStore(target.url);
    const http = httpClient(portier.url, clients + 4);
    const echoHttp = httpClient(echo.url, clients);
    const tokens = new Map<string, string>();
    const token = async (upn: string) => {
      const cached = tokens.get(upn);
      if (cached) return cached;
      const res = await http.call('POST', '/api/dev/token', { upn });
      expectStatus(res, 200, `dev token for ${upn}`);
      const value = (JSON.parse(res.text) as { access_token: string }).access_token;
      tokens.set(upn, value);
      return value;
    };
    const graph = async (as: string, method: string, path: string, body?: unknown) => http.call(method, `/graph/v1.0/${path}`, body, await token(as));

    const ruth: Person = { id: demo.ruthGuest.id, name: demo.ruthGuest.name };
    // A second external sponsor of Fabrikam (sponsors must be guests): Isabel, invited as a guest.
    const invited = await graph('admin@contoso.test', 'POST', 'invitations', { invitedUserEmailAddress: demo.partners.isabel.upn, inviteRedirectUrl: 'https://myaccess.microsoft.com', invitedUserDisplayName: demo.partners.isabel.name });
    expectStatus(invited, 201, 'Isabel invited');
    const other: Person = { id: (JSON.parse(invited.text) as { invitedUser: { id: string } }).invitedUser.id, name: demo.partners.isabel.name };
    const orgs = await graph('admin@contoso.test', 'GET', `${em}/connectedOrganizations?$filter=displayName eq '${demo.fabrikam.name}'`);
    expectStatus(orgs, 200, 'connected organizations');
    const fabrikamOrg = (JSON.parse(orgs.text) as { value: { id: string }[] }).value[0].id;
    expectStatus(
      await graph('admin@contoso.test', 'POST', `${em}/connectedOrganizations/${fabrikamOrg}/externalSponsors/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/users/${other.id}` }),
      204,
      'Isabel as a second external sponsor',
    );
    for (const person of [ruth, other]) {
      expectStatus(await http.call('POST', '/api/messages', activity(connector, person, { type: 'message', text: 'help' })), 200, `${person.name} says help`);
    }
    await waitUntil('help answered', () => connector.calls.filter((c) => c.kind === 'send' || c.kind === 'reply').length >= 2, 30_000);

    const pkg = await graph('admin@contoso.test', 'GET', `${em}/accessPackages?$filter=displayName eq '${demo.packageName}'`);
    expectStatus(pkg, 200, 'the demo package');
    const packageId = (JSON.parse(pkg.text) as { value: { id: string }[] }).value[0].id;
    const policy = await store.db.selectFrom('assignment_policies').select('questions').where('accessPackageId', '=', packageId).executeTakeFirstOrThrow();
    const questionId = (JSON.parse(policy.questions) as Array<{ id: string }>)[0].id;

    // Fabrikam partners (home accounts in Fabrikam's tenant), each requesting the hidden package once.
    const partners = Array.from({ length: approvals + warmups }, (_, i) => {
      const upn = `bench${String(i).padStart(5, '0')}@${demo.fabrikam.domain}`;
      return { tenantId: demo.fabrikam.id, id: randomUUID(), userPrincipalName: upn, displayName: `Bench Partner ${i}`, mail: upn };
    });
    for (let i = 0; i < partners.length; i += 500) await store.db.insertInto('external_accounts').values(partners.slice(i, i + 500)).execute();
    const submitted = await runPool(partners.length, 16, async (i) => {
      const res = await graph(partners[i].userPrincipalName, 'POST', `${em}/assignmentRequests`, {
        requestType: 'userAdd',
        assignment: { accessPackageId: packageId },
        justification: 'Benchmark',
        answers: [{ '@odata.type': '#microsoft.graph.accessPackageAnswerString', value: 'Firmware', answeredQuestion: { id: questionId } }],
      });
      expectStatus(res, 201, 'request');
    });
    const cardsArrived = await waitUntil(`${approvals + warmups} approval cards to each approver`, () => approvalCardsOf(connector, ruth).size >= approvals + warmups && approvalCardsOf(connector, other).size >= approvals + warmups);
    const ruthCards = approvalCardsOf(connector, ruth);
    const otherCards = approvalCardsOf(connector, other);
    console.log(`set-up: ${n(approvals + warmups)} requests submitted (${warmups} of them decided as a warm-up) (${fmt(summarizeRuns(submitted).opsPerSec, 0)}/s); both approvers' cards at the connector ${fmt(cardsArrived / 1000, 1)} s later`);

    // -- 1. approval invokes beside the echo bot ------------------------------------------------------------
    const echoInvoke = (i: number) => async () => {
      const res = await echoHttp.call('POST', '/api/messages', cardAction(connector, ruth, `echo-${i}`, verbs.approve, { requestId: `echo-${i}` }));
      expectStatus(res, 200, 'echo invoke');
    };
    const echoMessage = (i: number) => async () => {
      expectStatus(await echoHttp.call('POST', '/api/messages', activity(connector, ruth, { type: 'message', text: `hello ${i}` })), 200, 'echo message');
    };
    const approve = async (requestId: string) => {
      const card = ruthCards.get(requestId);
      if (!card) throw new Error(`no card for ${requestId}`);
      const res = await http.call('POST', '/api/messages', cardAction(connector, ruth, card.activityId, card.approve.verb, { ...card.approve.data, justification: 'Known partner' }));
      expectStatus(res, 200, 'approval invoke');
      const body = JSON.parse(res.text) as { statusCode?: number; type?: string };
      if (body.statusCode !== 200 || body.type !== 'application/vnd.microsoft.card.adaptive') throw new Error(`approval invoke answered ${res.text.slice(0, 300)}`);
    };
    // Warm both up the same way, then echo, approvals, echo again: noise falls on both sides alike. Each side answers
    // `warmups` of the very invokes it is measured on, at the same concurrency: that compiles their code (the first
    // decisions ran in V8's interpreter) and gives each side one kept-alive socket per client (a request on a new
    // connection waited up to five times as long as the others, most of a run's p99 on the side with more of them).
    // Portier's warm-up decisions are delivered and their cards updated before the measured run starts.
    const allIds = [...ruthCards.keys()];
    const warmIds = allIds.slice(0, warmups);
    const requestIds = allIds.slice(warmups);
    await runPool(warmups, clients, (i) => echoInvoke(i)());
    await runPool(warmIds.length, clients, (i) => approve(warmIds[i]));
    await waitUntil('the warm-up decisions delivered', async () => {
      const open = await store!.db.selectFrom('assignment_requests').select('id').where('id', 'in', warmIds).where('state', '!=', 'delivered').limit(1).execute();
      return open.length === 0;
    });
    const warmCards = new Set(warmIds.flatMap((id) => otherCards.get(id)?.activityId ?? []));
    await waitUntil("the warm-up decisions' cards updated", () => new Set(connector.calls.filter((c) => c.kind === 'update' && c.activityId && warmCards.has(c.activityId)).map((c) => c.activityId)).size >= warmCards.size, 60_000);
    const echoCpu = cpuSince(echo.pid);
    const echoBefore = await runPool(Math.ceil(approvals / 2), clients, (i) => echoInvoke(i)());
    const echoCpuBefore = echoCpu();
    const clickedAt = new Map<string, number>();
    sqlPhase();
    const approvalsCpu = cpuSince(serverPid);
    // And until every decision has run its course (delivered, the other cards updated, the notices written): the
    // figure that does not depend on how much of that background work happened to fall inside the invokes' run.
    const lifeCpu = cpuSince(serverPid);
    const approvalsRun = await runPool(requestIds.length, clients, async (i) => {
      clickedAt.set(requestIds[i], performance.now());
      await approve(requestIds[i]);
    });
    // The server's CPU over the invokes, with what the job runner does meanwhile (delivery, notices, card updates).
    const approvalsCpuMs = approvalsCpu();
    sqlPhase('the approval invokes');
    const approvalsPhaseFile = profiled?.sqlStatsFile?.replace(/\.json$/, `-phase${phases}.json`);
    const echoCpu2 = cpuSince(echo.pid);
    const echoAfter = await runPool(Math.floor(approvals / 2), clients, (i) => echoInvoke(i + approvals)());
    const echoCpuMs = (echoCpuBefore ?? NaN) + (echoCpu2() ?? NaN);
    const echoMessages = await runPool(approvals, clients, (i) => echoMessage(i)());
    const echoInvokes = summarizeRuns(echoBefore, echoAfter);
    const echoRate = echoInvokes.opsPerSec;
    const approvalRun = summarizeRuns(approvalsRun);
    const echoMessageRun = summarizeRuns(echoMessages);

    const decided = await store.db
      .selectFrom('assignment_requests')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('id', 'in', requestIds)
      .where('state', '!=', 'pendingApproval')
      .executeTakeFirstOrThrow();
    if (Number(decided.count) !== requestIds.length) throw new Error(`only ${decided.count} of ${requestIds.length} requests were decided`);

    // -- 2. Isabel's cards updated after Ruth's clicks ------------------------------------------------------------
    const otherCardOf = new Map([...otherCards].map(([requestId, card]) => [card.activityId, requestId]));
    await waitUntil("the other approver's cards updated", () => new Set(connector.calls.filter((c) => c.kind === 'update' && c.activityId && otherCardOf.has(c.activityId)).map((c) => c.activityId)).size >= requestIds.length, 60_000);
    const updateDelays: number[] = [];
    for (const call of connector.calls) {
      const requestId = call.kind === 'update' && call.activityId ? otherCardOf.get(call.activityId) : undefined;
      const clicked = requestId ? clickedAt.get(requestId) : undefined;
      if (clicked !== undefined && requestId) {
        updateDelays.push(call.at - clicked);
        otherCardOf.delete(call.activityId as string); // the first update of each card counts
      }
    }
    const updates = summarize(updateDelays);
    await waitUntil(`${requestIds.length} requests delivered`, async () => {
      const open = await store!.db.selectFrom('assignment_requests').select('id').where('id', 'in', requestIds).where('state', '!=', 'delivered').limit(1).execute();
      return open.length === 0;
    });
    // The decisions' notices handled by the sender too (the partners have no chat yet: each is recorded as such).
    await waitUntil("the decisions' notices handled", async () => {
      const open = await store!.db.selectFrom('notifications').select('id').where('teamsState', '=', 'pending').where('teamsNextAttemptDateTime', 'is', null).limit(1).execute();
      return open.length === 0;
    });
    const lifeCpuMs = lifeCpu();

    // -- 3. notices through the sender ------------------------------------------------------------------------
    // The partners are guests now; each says hello to the bot (its personal chat is stored), so notices go to
    // many people at once, as they do in production, and not to two queues in order.
    const guests = await store.db
      .selectFrom('users')
      .select(['id', 'displayName'])
      .where(
        'mailLower',
        'in',
        partners.map((p) => p.mail.toLowerCase()),
      )
      .execute();
    // A partner is told about their request by their subject's id until they are a guest: their notices are
    // copied to the guest they became.
    const guestOf = new Map<string, string>(guests.map((g) => [g.id, g.id]));
    for (let i = 0; i < guests.length; i += 500) {
      const subjects = await store.db
        .selectFrom('subjects')
        .select(['id', 'objectId'])
        .where(
          'objectId',
          'in',
          guests.slice(i, i + 500).map((g) => g.id),
        )
        .execute();
      for (const subject of subjects) if (subject.objectId) guestOf.set(subject.id, subject.objectId);
    }
    await runPool(guests.length, clients, async (i) => {
      expectStatus(await http.call('POST', '/api/messages', activity(connector, { id: guests[i].id, name: guests[i].displayName }, { type: 'message', text: 'help' })), 200, 'a partner says help');
    });
    sqlPhase();
    const noticesCpu = cpuSince(serverPid);
    const notices = await measureNotices(store, connector, guestOf);
    const noticesCpuMs = noticesCpu();
    sqlPhase('the notices');

    printTable(
      ['what', 'n', 'p50 ms', 'p99 ms', 'per s', 'target'],
      [
        ['approval invoke (a decision), Portier', n(approvalRun.n), fmt(approvalRun.p50), fmt(approvalRun.p99), fmt(approvalRun.opsPerSec, 0), `p99 < ${targets.p99Ms} ms: ${approvalRun.p99 < targets.p99Ms ? 'met' : 'MISSED'}`],
        ['invoke answered with a card, echo bot', n(echoInvokes.n), fmt(echoInvokes.p50), fmt(echoInvokes.p99), fmt(echoRate, 0), 'baseline'],
        ['message echoed via the connector, echo bot', n(echoMessageRun.n), fmt(echoMessageRun.p50), fmt(echoMessageRun.p99), fmt(echoMessageRun.opsPerSec, 0), '—'],
        [
          'approvals / echo invokes (throughput)',
          '—',
          '—',
          '—',
          `${fmt(approvalRun.opsPerSec / echoRate, 2)}x`,
          `≥ ${targets.echoRatio}x: ${approvalRun.opsPerSec / echoRate >= targets.echoRatio ? 'met' : 'MISSED'}`,
        ],
        ["click → other approver's card updated", n(updates.n), fmt(updates.p50), fmt(updates.p99), '—', `p99 < ${targets.updateP99Ms} ms: ${updates.p99 < targets.updateP99Ms ? 'met' : 'MISSED'}`],
        [`notices sent to the connector (${n(notices.recipients)} people)`, n(notices.count), '—', '—', fmt(notices.perSec, 0), `≥ ${targets.noticesPerSec}/s: ${notices.perSec >= targets.noticesPerSec ? 'met' : 'MISSED'}`],
      ],
    );
    const perOp = (ms: number | null, ops: number) => (ms === null || Number.isNaN(ms) ? 'n/a' : `${fmt(ms / ops, 2)} ms`);
    console.log(
      `CPU per operation (load-robust): approval invoke, Portier ${perOp(approvalsCpuMs, approvalRun.n)} while the invokes ran, ${perOp(lifeCpuMs, approvalRun.n)} over each decision's whole life (invoke, card updates, delivery, notices); invoke, echo bot ${perOp(echoCpuMs, echoInvokes.n)}; notice sent, Portier ${perOp(noticesCpuMs, notices.count)}`,
    );
    if (approvalsPhaseFile) {
      await sleep(500); // the server writes the phase's file on the signal
      const rows = JSON.parse(readFileSync(approvalsPhaseFile, 'utf8')) as Array<{ sql: string; calls: number }>;
      const count = (graph: boolean) => rows.filter((r) => r.sql.startsWith('graph ') === graph).reduce((a, r) => a + r.calls, 0);
      console.log(`per approval invoke (with the job runner's work meanwhile): ${fmt(count(true) / approvalRun.n, 1)} in-process Graph calls, ${fmt(count(false) / approvalRun.n, 1)} SQL statements`);
    }
    console.log(`(load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on this machine's shared cores; the echo bot runs under the same load.)`);
    console.log(`(${clients} concurrent clients; approval latency is the invoke's HTTP round trip, including the decision and the refreshed card; the update delay runs from the click being sent.)`);
    http.destroy();
    echoHttp.destroy();
  } finally {
    await store?.close();
    await portier?.stop();
    echo?.stop();
    await connector.close();
    await target.cleanup();
  }
}

/**
 * The sender's throughput: `noticeCount` copies of notices the recipients really received (same event type,
 * subject and payload; new ids; pending), spread over the recipients, written at once; the time until the
 * connector has received them all. One recipient's notices go in order, recipients in parallel.
 */
async function measureNotices(store: Store, connector: LocalConnector, recipientOf: ReadonlyMap<string, string>): Promise<{ count: number; perSec: number; recipients: number }> {
  const ids0 = [...recipientOf.keys()];
  // Wait until the sender has handled what the run so far produced for them (it may still be busy).
  await waitUntil('earlier notices handled', async () => {
    for (let i = 0; i < ids0.length; i += 500) {
      const pending = await store.db.selectFrom('notifications').select('id').where('recipientId', 'in', ids0.slice(i, i + 500)).where('teamsState', '=', 'pending').limit(1).execute();
      if (pending.length > 0) return false;
    }
    return true;
  });
  const templates: Awaited<ReturnType<typeof noticesOf>> = [];
  for (let i = 0; i < ids0.length; i += 500) templates.push(...(await noticesOf(store, ids0.slice(i, i + 500))));
  if (templates.length === 0) throw new Error('no notices to the recipients to copy');
  const now = new Date().toISOString();
  const rows = Array.from({ length: noticeCount }, (_, i) => {
    const { id: _id, ...template } = templates[i % templates.length];
    return {
      ...template,
      recipientId: recipientOf.get(template.recipientId) ?? template.recipientId,
      id: randomUUID(),
      // The sender renders from the payload; a new event id keeps (eventId, recipientId) unique.
      eventId: randomUUID(),
      createdDateTime: now,
      sentDateTime: null,
      teamsState: 'pending',
      teamsAttempts: 0,
      teamsNextAttemptDateTime: null,
      teamsLeaseOwner: null,
      teamsLeaseExpiresDateTime: null,
      teamsError: null,
    };
  });
  const before = connector.calls.length;
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i += 500) await store.db.insertInto('notifications').values(rows.slice(i, i + 500)).execute();
  const ids = rows.map((r) => r.id);
  const stillPending = async () => {
    let pending = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const row = await store.db
        .selectFrom('notifications')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('id', 'in', ids.slice(i, i + 500))
        .where('teamsState', '=', 'pending')
        .executeTakeFirstOrThrow();
      pending += Number(row.count);
    }
    return pending;
  };
  await waitUntil(`${noticeCount} notices handled by the sender`, async () => (await stillPending()) === 0, settleMs);
  const calls = connector.calls.slice(before);
  if (calls.length === 0) throw new Error('the sender sent nothing to the connector');
  const notSent = await store.db.selectFrom('notifications').select(['teamsState', 'teamsError']).where('id', 'in', ids.slice(0, 500)).where('teamsState', '!=', 'sent').limit(3).execute();
  if (notSent.length > 0) throw new Error(`notices not sent: ${JSON.stringify(notSent)}`);
  return { count: calls.length, perSec: (calls.length * 1000) / (calls[calls.length - 1].at - t0), recipients: new Set(rows.map((r) => r.recipientId)).size };
}

/** The notices already handled for `recipientIds` (sent, or kept for want of a chat), oldest first. */
function noticesOf(store: Store, recipientIds: string[]) {
  return store.db.selectFrom('notifications').selectAll().where('recipientId', 'in', recipientIds).where('teamsState', 'in', ['sent', 'noConversation']).orderBy('createdDateTime').execute();
}
