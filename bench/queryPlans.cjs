'use strict';
// Records, per distinct SQL text run through better-sqlite3, its EXPLAIN QUERY PLAN (with the first
// call's parameters), and writes them to $PLAN_DIR/plans-<pid>.json at exit.
const { writeFileSync } = require('node:fs');
const Database = require('better-sqlite3');
const dir = process.env.PLAN_DIR;
const plans = new Map();
const patched = new WeakSet();
function wrap(proto, method) {
  const original = proto[method];
  proto[method] = function planned(...args) {
    const key = this.source;
    if (dir && !plans.has(key) && !/^\s*(explain|pragma|begin|commit|rollback|savepoint|release|create|drop|alter)/i.test(key)) {
      plans.set(key, null);
      try {
        const rows = this.database.prepare('explain query plan ' + key).all(...args);
        plans.set(key, rows.map((r) => r.detail));
      } catch (e) { plans.set(key, ['ERR ' + e.message]); }
    }
    return original.apply(this, args);
  };
}
const prepare = Database.prototype.prepare;
Database.prototype.prepare = function p(source, ...rest) {
  const st = prepare.call(this, source, ...rest);
  const proto = Object.getPrototypeOf(st);
  if (!patched.has(proto)) { patched.add(proto); for (const m of ['run', 'get', 'all', 'iterate']) wrap(proto, m); }
  return st;
};
new Database(':memory:').prepare('select 1').get();
function dump() { if (dir && plans.size) writeFileSync(`${dir}/plans-${process.pid}.json`, JSON.stringify([...plans], null, 0)); }
process.on('exit', dump);
for (const s of ['SIGTERM', 'SIGINT']) process.once(s, () => { dump(); process.exit(130); });
