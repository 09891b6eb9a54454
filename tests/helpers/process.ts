import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface ServerProcess {
  url: string;
  pid: number;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `bot/index.ts` in its own process (as production runs it) with `env` added to ours, and
 * resolves with its URL once it listens. PORT defaults to 0 (any free port). `nodeArgs` go before
 * the script (e.g. `--cpu-prof`, which NODE_OPTIONS refuses); `log` receives all its output.
 */
export async function startServerProcess(env: Record<string, string>, options: { nodeArgs?: readonly string[]; log?: NodeJS.WritableStream } = {}): Promise<ServerProcess> {
  // tsx as a loader of this very process (not its CLI, which runs the server in a grandchild that a
  // SIGKILL of the child would leave running): a signal reaches the server itself.
  const args = [...(options.nodeArgs ?? []), '--import', pathToFileURL(require.resolve('tsx')).href, join(__dirname, '../../bot/index.ts')];
  const child = spawn(process.execPath, args, {
    // tsx's cache is keyed by a file's content, not its path: a checkout beside another (a git worktree) could
    // be handed the other's compiled module, paths and all, and start the other checkout's server.
    env: { ...process.env, TSX_DISABLE_CACHE: '1', PORT: '0', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    options.log?.write(chunk);
  });
  if (options.log) child.stdout.on('data', (chunk: Buffer) => options.log?.write(chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within 30 s: ${output}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Portier is running at (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}: ${output}`));
    });
  });
  return {
    url,
    pid: child.pid ?? -1,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}
