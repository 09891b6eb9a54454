import { createWriteStream, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ServerProcess, startServerProcess } from '../tests/helpers/process';

/**
 * CPU seconds used so far by process `pid` and its descendants, from /proc (null off Linux). CPU per
 * operation holds up under load where latency and throughput do not: the figure to judge a change by
 * on a shared machine.
 */
export function processCpu(pid: number): { user: number; system: number } | null {
  try {
    let user = 0;
    let system = 0;
    const visit = (p: number) => {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // After "(comm)": utime is the 14th and stime the 15th field, in clock ticks (USER_HZ = 100).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      user += Number(fields[11]) / 100;
      system += Number(fields[12]) / 100;
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        for (const child of children ? children.split(' ') : []) visit(Number(child));
      }
    };
    visit(pid);
    return { user, system };
  } catch {
    return null;
  }
}

/** CPU milliseconds `pid` spends from now until the returned function is called. */
export function cpuSince(pid: number): () => number | null {
  const before = processCpu(pid);
  return () => {
    const now = processCpu(pid);
    return now && before ? 1000 * (now.user + now.system - before.user - before.system) : null;
  };
}

/**
 * `startServerProcess` with `node --cpu-prof` and the SQL statement timer (`sqlStats.cjs`) when `dir`
 * is given (the server's profile is written there when it stops), and its log (level info) copied to
 * `logFile` when given.
 */
export async function startProfiledServer(env: Record<string, string>, dir: string | null, logFile?: string): Promise<ServerProcess & { sqlStatsFile: string | null }> {
  const sqlStats = dir ? join(dir, `server-sql-${Date.now()}.json`) : '';
  if (dir) mkdirSync(dir, { recursive: true });
  const server = await startServerProcess(
    { ...(logFile ? { LOG_LEVEL: 'info' } : {}), ...(dir ? { BENCH_SQL_STATS_FILE: sqlStats } : {}), ...env },
    {
      nodeArgs: dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=500', '--require', join(__dirname, 'sqlStats.cjs')] : [],
      log: logFile ? createWriteStream(logFile) : undefined,
    },
  );
  if (dir) console.log(`server process ${server.pid} profiled into ${dir} (SQL statement times: ${sqlStats})`);
  if (logFile) console.log(`server process ${server.pid} logs to ${logFile}`);
  return Object.assign(server, { sqlStatsFile: sqlStats || null });
}
