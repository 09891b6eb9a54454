import { Worker } from 'node:worker_threads';

/**
 * SQLite's write-ahead log, checkpointed off the request thread.
 *
 * By default the connection that commits the page which takes the WAL past 1,000 pages runs the
 * checkpoint itself, synchronously: better-sqlite3 runs on the event loop, so that one commit (and
 * every request queued behind it) waits while the WAL is copied into the database — the p99 of a
 * submit or a decision was mostly these commits. The serving connection therefore turns
 * auto-checkpointing off, and a worker thread with its own connection checkpoints instead:
 * - PASSIVE every `intervalMs`: copies what no reader still needs, never waits for or blocks the
 *   writer; a page changed by many commits in between is copied once;
 * - under steady writes a passive checkpoint never quite catches up (commits land while it copies),
 *   and only a caught-up WAL starts over from its beginning: once more than `restartAboveFrames` are in
 *   the log, RESTART copies the little that is left while holding the write lock (a commit waits a
 *   millisecond or two, on the busy timeout), and the next commit starts the WAL over; should the
 *   write lock stay busy, the serving connection's own auto-checkpoint at `backstopCheckpointFrames`
 *   does it in a commit (cheaply: the worker has copied most of the log by then);
 * - TRUNCATE when the file is larger than `truncateAboveBytes` all the same (a long read kept the log
 *   from starting over), so the WAL stays bounded whatever happens.
 * `journal_size_limit` on the serving connection shrinks the file back when the WAL starts over.
 * Several processes on one file each run one: checkpoints of one database exclude each other, and a
 * busy one is simply tried again at the next tick.
 */
export interface CheckpointOptions {
  intervalMs?: number;
  restartAboveFrames?: number;
  truncateAboveBytes?: number;
}

export const defaultCheckpointIntervalMs = 100;
/** 8,192 frames: 32 MB with 4 KB pages (a submit writes ~40 pages). */
export const defaultRestartAboveFrames = 8192;
/**
 * The serving connection's own auto-checkpoint, a backstop only: at 16,384 frames (64 MB) the worker
 * has not kept up (a RESTART found the database busy), and the committing writer checkpoints, which
 * copies just what the worker has not copied yet, and lets the log start over.
 */
export const backstopCheckpointFrames = 16384;
export const defaultWalLimitBytes = 64 * 1024 * 1024;

/** The worker's code: plain CommonJS (no TypeScript loader needed in a worker, under tsx, jest or node). */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 20');
const walSize = () => { try { return statSync(workerData.file + '-wal').size; } catch { return 0; } };
let stopped = false;
const tick = () => {
  if (stopped) return;
  try {
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)');
    if (walSize() > workerData.truncateAboveBytes) db.pragma('wal_checkpoint(TRUNCATE)');
    else if (passive && passive.log > workerData.restartAboveFrames) db.pragma('wal_checkpoint(RESTART)');
  } catch (error) {
    // SQLITE_BUSY / LOCKED: another checkpoint or a long writer; the next tick tries again.
    if (!/busy|locked/i.test(String(error && error.message))) parentPort.postMessage({ error: String(error && error.message) });
  }
  setTimeout(tick, workerData.intervalMs);
};
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  stopped = true;
  db.close();
  parentPort.postMessage('stopped');
});
setTimeout(tick, workerData.intervalMs);
`;

/** A running checkpointer; `stop` ends it (before the serving connection closes). */
export interface Checkpointer {
  stop(): Promise<void>;
}

/** Starts the checkpoint worker for the SQLite database `file` (a real file, not `:memory:`). */
export function startCheckpointer(file: string, options: CheckpointOptions = {}): Checkpointer {
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: {
      driver: require.resolve('better-sqlite3'),
      file,
      intervalMs: options.intervalMs ?? defaultCheckpointIntervalMs,
      restartAboveFrames: options.restartAboveFrames ?? defaultRestartAboveFrames,
      truncateAboveBytes: options.truncateAboveBytes ?? defaultWalLimitBytes,
    },
  });
  // It must never keep a process alive that is otherwise done.
  worker.unref();
  worker.on('message', (message: unknown) => {
    if (typeof message === 'object' && message !== null && 'error' in message) process.emitWarning(`SQLite checkpoint failed: ${String((message as { error: unknown }).error)}`);
  });
  worker.on('error', (error) => process.emitWarning(`SQLite checkpoint worker stopped: ${error.message}`));
  let stopping: Promise<void> | null = null;
  return {
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        const done = () => resolve();
        worker.once('exit', done);
        worker.on('message', (message) => {
          if (message === 'stopped') void worker.terminate();
        });
        worker.postMessage('stop');
        // A worker busy in a long checkpoint is not waited for.
        setTimeout(() => void worker.terminate(), 2_000).unref();
      });
      return stopping;
    },
  };
}
