import Database from 'better-sqlite3';
import { statSync, rmSync, mkdirSync } from 'node:fs';
import { startCheckpointer } from '../bot/store/checkpoint';
(async () => {
  for (const mode of ['inline', 'worker']) {
    rmSync('/tmp/hp/ck2', { recursive: true, force: true }); mkdirSync('/tmp/hp/ck2');
    const f = '/tmp/hp/ck2/z.db';
    const db = new Database(f); db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL'); db.pragma('busy_timeout = 5000');
    db.exec('create table t (id integer primary key, v text)');
    let ck;
    if (mode === 'worker') { db.pragma('wal_autocheckpoint = 0'); db.pragma('journal_size_limit = 67108864'); ck = startCheckpointer(f); }
    const ins = db.prepare('insert into t (v) values (?)'); const b = db.prepare('begin immediate'); const c = db.prepare('commit');
    const lat: number[] = []; let max = 0; const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < 20000; i++) { const a = performance.now(); b.run(); for (let k = 0; k < 10; k++) ins.run('x'.repeat(400) + i); c.run(); lat.push(performance.now() - a); if (i % 100 === 0) { max = Math.max(max, statSync(f + '-wal').size); await new Promise((r) => setImmediate(r)); } }
    const cpu = process.cpuUsage(cpu0);
    lat.sort((x, y) => x - y);
    console.log(mode, 'ms', (performance.now() - t0).toFixed(0), 'cpu ms', ((cpu.user + cpu.system) / 1000).toFixed(0), 'p50', lat[10000].toFixed(3), 'p99', lat[19800].toFixed(2), 'p999', lat[19980].toFixed(2), 'max', lat[19999].toFixed(1), 'max wal MB', (max / 1e6).toFixed(1));
    await ck?.stop(); db.close();
  }
})();
