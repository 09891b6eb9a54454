import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

describe('start-up with a bad configuration', () => {
  it('prints every problem on its own line and exits with code 1', () => {
    const result = spawnSync(process.execPath, [join(__dirname, '../../node_modules/tsx/dist/cli.mjs'), join(__dirname, '../../bot/index.ts')], {
      env: { PATH: process.env.PATH, PORT: '-1', PORTIER_SEED: 'everything' },
      encoding: 'utf8',
      timeout: 20000,
    });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toBe('Portier cannot start; fix the configuration:');
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^ {2}- PORT: /), expect.stringMatching(/^ {2}- PORTIER_SEED: must be one of demo, directory, none/)]);
  });
});
