import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Pool } from 'pg';

/**
 * Timing helpers shared by the benchmarks: run an operation N times after a warm-up, summarize the
 * latencies as percentiles, print aligned tables, and give each benchmark a fresh database.
 */

/** One benchmark file: `bench/index.ts` runs every module of its list in order. */
export interface BenchModule {
  name: string;
  /** Prints its own figures; throws only when the benchmark itself could not run. */
  run(): Promise<void>;
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  /** Operations per second over the whole run (n / wall time), which is what concurrent runs need. */
  opsPerSec: number;
}

/** The `p`-th percentile (0–100) of ascending `sorted` values, by the nearest-rank method. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Summarizes latencies (ms); `wallMs` is the elapsed time of the whole run when it differs from their sum. */
export function summarize(latenciesMs: readonly number[], wallMs?: number): Summary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const total = sorted.reduce((sum, v) => sum + v, 0);
  const wall = wallMs ?? total;
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean: sorted.length > 0 ? total / sorted.length : Number.NaN,
    opsPerSec: wall > 0 ? (sorted.length * 1000) / wall : Number.NaN,
  };
}

let gc: (() => void) | null | undefined;

/**
 * Collects garbage now, so that the garbage of one run (or of seeding) is not paid for inside the
 * next. Works without `--expose-gc`: the flag is set at run time and `gc` taken from a new context.
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}

/** A pool run's summary, with its latencies and wall time (to combine runs). */
export interface PoolRun extends Summary {
  latencies: number[];
  wallMs: number;
}

/**
 * Runs `op(i)` for i = 0..count-1 with `concurrency` loops taking the next index in turn (HTTP
 * clients, say): the latency of each is its own, the throughput is all operations over the wall time.
 */
export async function runPool(count: number, concurrency: number, op: (i: number) => Promise<void>): Promise<PoolRun> {
  collectGarbage();
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t0 = performance.now();
        await op(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const wallMs = performance.now() - started;
  return { ...summarize(latencies, wallMs), latencies, wallMs };
}

/** Throws, naming `what`, unless an HTTP answer has `status`. */
export function expectStatus(res: { status: number; text: string }, status: number, what: string): void {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text.slice(0, 400)}`);
}

/**
 * Runs `op` `warmup` times unmeasured, then `iterations` times one after another, and returns the
 * latency summary. `op` receives the iteration number so callers can vary their input.
 */
export async function measure(iterations: number, warmup: number, op: (i: number) => Promise<unknown>): Promise<Summary> {
  collectGarbage();
  for (let i = 0; i < warmup; i++) await op(i);
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await op(i);
    latencies.push(performance.now() - t0);
  }
  return summarize(latencies, performance.now() - started);
}

/**
 * Runs several variants of one operation in turns: round `i` runs every variant on input `i`, in an
 * order that rotates each round. On a shared machine, noise (another process, a GC, a checkpoint)
 * then falls on all variants alike instead of on whichever ran during it, which is what a ratio
 * between them needs. Returns one summary per variant, in the order given.
 */
export async function measureInterleaved(iterations: number, warmup: number, ops: ReadonlyArray<(i: number) => Promise<unknown>>): Promise<Summary[]> {
  collectGarbage();
  for (let i = 0; i < warmup; i++) for (const op of ops) await op(i);
  const latencies = ops.map(() => [] as number[]);
  for (let i = 0; i < iterations; i++) {
    for (let k = 0; k < ops.length; k++) {
      const v = (i + k) % ops.length;
      const t0 = performance.now();
      await ops[v](i + warmup);
      latencies[v].push(performance.now() - t0);
    }
  }
  // No wall time of its own: ops/s is the rate one variant would reach back to back.
  return latencies.map((l) => summarize(l));
}

/**
 * Runs `clients` loops at once, each doing `perClient` operations in sequence; the latency of each
 * operation is its own, the throughput is all operations over the wall time.
 */
export async function measureConcurrent(clients: number, perClient: number, op: (client: number, i: number) => Promise<unknown>): Promise<Summary> {
  collectGarbage();
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let i = 0; i < perClient; i++) {
        const t0 = performance.now();
        await op(client, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return summarize(latencies, performance.now() - started);
}

/** Elapsed milliseconds of `work`, with its result. */
export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const t0 = performance.now();
  const result = await work();
  return { ms: performance.now() - t0, result };
}

/** A number for a table cell: fixed decimals, or '—' when there is nothing to show. */
export function fmt(value: number | null | undefined, decimals = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toFixed(decimals);
}

/** Prints rows as an aligned text table; numeric-looking cells are right-aligned. */
export function printTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, out: (line: string) => void = console.log): void {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const numeric = (cell: string) => /^[-+]?[\d.,]+[x%×]?$|^—$/.test(cell);
  const line = (cells: readonly string[]) => cells.map((cell, c) => (c > 0 && numeric(cell) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  out(line(headers));
  out(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) out(line(row));
}

/** A section title. */
export function heading(title: string, out: (line: string) => void = console.log): void {
  out('');
  out(`== ${title} ${'='.repeat(Math.max(0, 96 - title.length))}`);
}

/** A deterministic pseudo-random generator (mulberry32), so every run measures the same inputs. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}


/** The database a benchmark runs on. */
export interface Target {
  url: string;
  dialect: 'sqlite' | 'postgres';
  describe: string;
  cleanup(): Promise<void>;
}

/** A fresh SQLite file in a temp dir, or a fresh schema of `BENCH_DATABASE_URL` (dropped at the end). */
export function benchDatabase(): Target {
  const pg = process.env.BENCH_DATABASE_URL;
  if (pg && /^postgres(ql)?:\/\//.test(pg)) {
    const schema = `bench_${randomBytes(5).toString('hex')}`;
    const url = new URL(pg);
    url.searchParams.set('schema', schema);
    return {
      url: url.toString(),
      dialect: 'postgres',
      describe: `PostgreSQL ${url.host}${url.pathname}, schema ${schema}`,
      async cleanup() {
        const admin = new URL(pg);
        admin.searchParams.delete('schema');
        const pool = new Pool({ connectionString: admin.toString(), max: 1 });
        try {
          await pool.query(`drop schema if exists "${schema}" cascade`);
        } finally {
          await pool.end();
        }
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'portier-bench-'));
  const file = join(dir, 'portier.db');
  return {
    url: `sqlite:${file}`,
    dialect: 'sqlite',
    describe: `SQLite (WAL) ${file}`,
    async cleanup() {
      // BENCH_KEEP_TMP=1 keeps the seeded file, to look at plans or profile requests afterwards.
      if (process.env.BENCH_KEEP_TMP) return;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
