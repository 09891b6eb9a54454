import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// restify's HTTP/2 dependency touches process.binding('http_parser') as it loads; Node warns (DEP0111) on stderr.
describe('loading restify for the server', () => {
  const run = (script: string) =>
    spawnSync(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, '-e', script], {
      cwd: join(__dirname, '../..'),
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
      timeout: 20000,
    });

  it('restify on its own makes Node print DEP0111 (what the loader hides)', () => {
    const result = run("require('restify')");
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('DEP0111');
  });

  it('through bot/http/restify: no DEP0111, and other warnings, later ones too, still print', () => {
    const result = run(
      "const { restify } = require('./bot/http/restify'); if (typeof restify.createServer !== 'function') process.exit(2); process.emitWarning('still shown', 'DeprecationWarning', 'DEP9999'); process.emitWarning('and this', { type: 'Warning', code: 'X1' });",
    );
    expect(result.status).toBe(0);
    expect(result.stderr).not.toContain('DEP0111');
    expect(result.stderr).toContain('[DEP9999] DeprecationWarning: still shown');
    expect(result.stderr).toContain('[X1] Warning: and this');
  });
});
