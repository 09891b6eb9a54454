/**
 * The env/ samples: only environment files and .user samples, no secret values anywhere in them, and the
 * real .user files (where the toolkit writes secrets) ignored by git.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { read, readEnvFile, root } from './project';

const userFile = /^\.env\.[a-z0-9-]+\.user$/; // git-ignored: `env/.env.*.user`
const files = readdirSync(join(root, 'env')).filter((f) => !userFile.test(f));
const secretName = /SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PRIVATE|(^|_)KEY$|CONNECTION_STRING/;

describe('env/', () => {
  test('holds the samples for dev, local and playground, and .user samples', () => {
    expect(files).toEqual(expect.arrayContaining(['.env.dev', '.env.local', '.env.playground', '.env.dev.user.sample', '.env.local.user.sample']));
    for (const file of files) expect(file).toMatch(/^\.env\.[a-z0-9-]+(\.user\.sample)?$/);
  });

  test.each(files)('%s has no secret values', (file) => {
    const values = readEnvFile(`env/${file}`);
    for (const [key, value] of values) {
      if (secretName.test(key) || file.endsWith('.user.sample')) expect([key, value]).toEqual([key, '']);
      // No credentials inside URLs either (postgres://user:password@host).
      expect(value).not.toMatch(/^[a-z][a-z0-9+.-]*:\/\/[^/@:\s]+:[^/@\s]+@/i);
    }
  });

  test('the real .user files are git-ignored, the samples are not', () => {
    const ignore = read('.gitignore').split('\n').map((l) => l.trim());
    expect(ignore).toContain('env/.env.*.user');
    // `env/.env.*.user` matches `.env.dev.user` but not `.env.dev.user.sample`.
    const pattern = /^\.env\.[^/]*\.user$/;
    expect(pattern.test('.env.dev.user')).toBe(true);
    for (const file of files) expect(pattern.test(file)).toBe(false);
  });
});
