import { readFileSync } from 'node:fs';

/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`, or BENCH_PROFILE_DIR in the benchmarks)
 * as text: where the samples fall by function (self time), by file or package, and the inclusive
 * time of Portier's own functions (bot/), which names the use cases that cost.
 *
 *   npx tsx bench/profileSummary.ts <file.cpuprofile> [top=25] [fromUs-toUs]
 *
 * With a window (CLOCK_MONOTONIC microseconds, as the profile's own `startTime` and `process.hrtime`; the
 * benchmarks print the window of each phase), only the samples taken inside it count.
 */

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function place(url: string): string {
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return `npm:${pkg[1]}`;
  if (path.startsWith('node:')) return path;
  const own = /\/(bot|bench|tests)\/(.*)$/.exec(path);
  return own ? `${own[1]}/${own[2]}` : path;
}

function main(): void {
  const [file, topArg, windowArg] = process.argv.slice(2);
  if (!file) {
    console.error('usage: tsx bench/profileSummary.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  const top = Number(topArg ?? 25);
  if (file.endsWith('.json')) return printSqlStats(file, top);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Self time per node: each sample's delta goes to the node sampled.
  const [from, to] = windowArg ? windowArg.split('-').map(Number) : [-Infinity, Infinity];
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at >= from && at <= to) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idle = profile.nodes.filter((n) => ['(idle)', '(program)', '(garbage collector)'].includes(n.callFrame.functionName));
  const ms = (us: number) => (us / 1000).toFixed(0);
  const pct = (us: number) => `${((100 * us) / total).toFixed(1)}%`;

  console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
  for (const n of idle) console.log(`  ${n.callFrame.functionName}: ${ms(selfUs.get(n.id) ?? 0)} ms (${pct(selfUs.get(n.id) ?? 0)})`);

  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  const selfByFunction = new Map<string, number>();
  const selfByPlace = new Map<string, number>();
  const inclusiveOwn = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id) as Node;
    const f = node.callFrame;
    add(selfByFunction, `${f.functionName || '(anonymous)'}  ${place(f.url)}:${f.lineNumber + 1}`, us);
    add(selfByPlace, place(f.url), us);
    // Inclusive: every distinct bot/ frame on the stack gets the sample once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = (byId.get(cur) as Node).callFrame;
      const where = place(frame.url);
      if (!where.startsWith('bot/')) continue;
      const key = `${frame.functionName || '(anonymous)'}  ${where}:${frame.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      add(inclusiveOwn, key, us);
    }
  }
  const print = (title: string, map: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${ms(us).padStart(7)} ms ${pct(us).padStart(6)}  ${key}`);
  };
  print('self time by file or package', selfByPlace);
  print('self time by function', selfByFunction);
  print("inclusive time of Portier's functions (bot/)", inclusiveOwn);
}

/** The statement times bench/sqlStats.cjs wrote: the statements that take the most time in all. */
function printSqlStats(file: string, top: number): void {
  const all = JSON.parse(readFileSync(file, 'utf8')) as Array<{ sql: string; calls: number; ms: number; maxMs: number }>;
  // Rows named `graph …` count the bot's in-process Graph calls (bench/sqlStats.cjs), not statements.
  const graph = all.filter((r) => r.sql.startsWith('graph '));
  const rows = all.filter((r) => !r.sql.startsWith('graph '));
  if (graph.length > 0) {
    console.log(`${file}: ${graph.reduce((a, r) => a + r.calls, 0).toLocaleString('en-US')} in-process Graph calls of the bot`);
    for (const r of graph.sort((a, b) => b.calls - a.calls).slice(0, top)) console.log(`  ${String(r.calls).padStart(7)} × ${r.sql.slice(6)}`);
  }
  const total = rows.reduce((a, r) => a + r.ms, 0);
  console.log(`${file}: ${(total / 1000).toFixed(1)} s inside SQLite, ${rows.reduce((a, r) => a + r.calls, 0).toLocaleString('en-US')} statement runs`);
  for (const r of rows.slice(0, top)) {
    const text = r.sql.replace(/\s+/g, ' ').replace(/(\?, )+\?/g, '?…');
    console.log(`  ${r.ms.toFixed(0).padStart(7)} ms ${((100 * r.ms) / total).toFixed(1).padStart(5)}%  ${String(r.calls).padStart(7)} × ${(r.ms / r.calls).toFixed(3)} ms (max ${r.maxMs.toFixed(1)})  ${text.slice(0, 260)}`);
  }
}

main();
