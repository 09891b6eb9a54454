import BetterSqlite3 from 'better-sqlite3';
import { jwtVerify } from 'jose';
import restify from 'restify';

/**
 * The minimal server the lifecycle benchmark measures Portier against (issue 11): restify, an HS256
 * bearer token verified with jose, one INSERT in `BEGIN IMMEDIATE … COMMIT` on SQLite with Portier's
 * pragmas (bot/store/db.ts), and a 201 with a small JSON body. It runs in its own process like
 * Portier, so the benchmark reads both processes' CPU time the same way (/proc).
 *
 * Environment: MINIMAL_DB (SQLite file), MINIMAL_KEY (the HS256 key, hex). Prints
 * "minimal server at http://…" once it listens.
 */

const file = process.env.MINIMAL_DB;
const keyHex = process.env.MINIMAL_KEY;
if (!file || !keyHex) throw new Error('MINIMAL_DB and MINIMAL_KEY are required');
const key = Buffer.from(keyHex, 'hex');

const db = new BetterSqlite3(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
db.pragma('cache_size = -65536');
db.pragma('temp_store = MEMORY');
db.exec('create table if not exists minimal_requests (id text primary key, subject text not null, body text not null, createdDateTime text not null)');
const begin = db.prepare('begin immediate');
const commit = db.prepare('commit');
const rollback = db.prepare('rollback');
const insert = db.prepare('insert into minimal_requests (id, subject, body, createdDateTime) values (?, ?, ?, ?)');

const server = restify.createServer({ handleUncaughtExceptions: false });

server.post('/requests', async (req, res) => {
  try {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return res.send(401, { error: 'unauthenticated' });
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    const row = { id: crypto.randomUUID(), subject: String(payload.sub), createdDateTime: new Date().toISOString() };
    begin.run();
    try {
      insert.run(row.id, row.subject, JSON.stringify(body), row.createdDateTime);
      commit.run();
    } catch (error) {
      if (db.inTransaction) rollback.run();
      throw error;
    }
    res.send(201, { ...row, state: 'submitted' });
  } catch {
    res.send(400, { error: 'bad request' });
  }
});

server.listen(0, '127.0.0.1', () => {
  console.log(`minimal server at http://127.0.0.1:${(server.address() as { port: number }).port}`);
});

process.on('SIGTERM', () => {
  server.close();
  db.close();
  process.exit(0);
});
