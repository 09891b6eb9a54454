'use strict';
/**
 * Preload (`node --require bench/sqlStats.cjs`) that times every better-sqlite3 and node-pg statement of the
 * process by SQL text and writes the totals to $BENCH_SQL_STATS_FILE when the process exits. The
 * benchmarks load it into the server process when BENCH_PROFILE_DIR is set: a CPU profile shows
 * the time inside SQLite as Kysely's `executeQuery`, this says which statements it is. SIGUSR2
 * writes the times so far to `<file>-phase<n>.json` and starts over (one file per benchmark phase).
 * The bot's in-process Graph calls (bot/graph/inProcess.ts publishes each on the diagnostics channel
 * `portier:graph`) are counted beside them, as rows named `graph <METHOD> <path, ids as {id}>` (ms 0).
 */
const { performance } = require('node:perf_hooks');
const { writeFileSync } = require('node:fs');
const Database = require('better-sqlite3');
const diagnostics = require('node:diagnostics_channel');

const file = process.env.BENCH_SQL_STATS_FILE;
const stats = new Map();
const patched = new WeakSet();

function wrap(proto, method) {
  const original = proto[method];
  proto[method] = function timed(...args) {
    const t0 = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      const ms = performance.now() - t0;
      const key = this.source;
      const entry = stats.get(key) || { calls: 0, ms: 0, maxMs: 0 };
      entry.calls++;
      entry.ms += ms;
      if (ms > entry.maxMs) entry.maxMs = ms;
      stats.set(key, entry);
    }
  };
}

const prepare = Database.prototype.prepare;
Database.prototype.prepare = function prepareTimed(source, ...rest) {
  const statement = prepare.call(this, source, ...rest);
  const proto = Object.getPrototypeOf(statement);
  if (!patched.has(proto)) {
    patched.add(proto);
    for (const method of ['run', 'get', 'all', 'iterate']) wrap(proto, method);
  }
  return statement;
};

/** Writes the statement times so far to `to`, slowest in all first. */
function dump(to) {
  const rows = [...stats].map(([sql, s]) => ({ sql, ...s })).sort((a, b) => b.ms - a.ms);
  writeFileSync(to, JSON.stringify(rows, null, 1));
}

const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
diagnostics.subscribe('portier:graph', (message) => {
  const key = `graph ${message.method} ${message.path.replace(uuid, '{id}')}`;
  const entry = stats.get(key) || { calls: 0, ms: 0, maxMs: 0 };
  entry.calls++;
  stats.set(key, entry);
});

// node-pg: every query of the process by SQL text, from its submission to its result (a round trip,
// plus the wait for the connection's earlier queries). Counts show the round trips per operation.
try {
  const { Client } = require('pg');
  const query = Client.prototype.query;
  Client.prototype.query = function queryTimed(config, ...rest) {
    const text = typeof config === 'string' ? config : config && config.text;
    const result = query.call(this, config, ...rest);
    if (!text || !result || typeof result.then !== 'function') return result;
    const t0 = performance.now();
    const record = () => {
      const ms = performance.now() - t0;
      const entry = stats.get(text) || { calls: 0, ms: 0, maxMs: 0 };
      entry.calls++;
      entry.ms += ms;
      if (ms > entry.maxMs) entry.maxMs = ms;
      stats.set(text, entry);
    };
    result.then(record, record);
    return result;
  };
} catch {
  // pg not installed: SQLite only.
}

// Patch the shared Statement prototype now, so statements prepared before this loaded are timed too.
new Database(':memory:').prepare('select 1').get();

process.on('exit', () => {
  if (file) dump(file);
});

// SIGUSR2 (sent by the benchmark between phases): write the times of the phase so far, then start over.
let phase = 0;
process.on('SIGUSR2', () => {
  if (!file) return;
  dump(file.replace(/\.json$/, `-phase${++phase}.json`));
  stats.clear();
});

/** In-process use (the benchmark's own sweep): start over, and write the times so far. */
module.exports = { reset: () => stats.clear(), dump };
