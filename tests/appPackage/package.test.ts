import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import JSZip from 'jszip';
import { decodePng } from '../../scripts/icons';
import { placeholdersIn, validateLocalization, validateManifest } from '../../scripts/manifest';
import { PackageError, buildPackage, parseArgs, parseEnvFile, pngSize } from '../../scripts/package';
import { APP_DIR, ROOT, SAMPLE_VARS, envFile, readJson } from './fixtures';

const run = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run package -- <args>` from the repository root. */
async function npmPackage(...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'package', '--', ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portier-package-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Opens a package and checks what Teams requires of it; returns the manifest inside. */
async function expectValidPackage(zipFile: string): Promise<Record<string, unknown>> {
  const zip = await JSZip.loadAsync(readFileSync(zipFile));
  const names = Object.values(zip.files).map((entry) => entry.name);
  expect(names.sort()).toEqual(['color.png', 'manifest.json', 'nl.json', 'outline.png']);
  expect(Object.values(zip.files).every((entry) => !entry.dir)).toBe(true);

  const color = await zip.file('color.png')!.async('nodebuffer');
  const outline = await zip.file('outline.png')!.async('nodebuffer');
  expect([color.readUInt32BE(16), color.readUInt32BE(20)]).toEqual([192, 192]);
  expect([outline.readUInt32BE(16), outline.readUInt32BE(20)]).toEqual([32, 32]);
  const { data } = decodePng(outline);
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] !== 0) expect([data[i], data[i + 1], data[i + 2]]).toEqual([255, 255, 255]);
  }

  const manifestText = await zip.file('manifest.json')!.async('string');
  const nlText = await zip.file('nl.json')!.async('string');
  expect(manifestText).not.toContain('${{');
  expect(nlText).not.toContain('${{');
  const manifest = JSON.parse(manifestText) as Record<string, unknown>;
  expect(validateManifest(manifest)).toEqual([]);
  expect(validateLocalization(JSON.parse(nlText), manifest)).toEqual([]);
  return manifest;
}

describe('npm run package', () => {
  it('fails when variables are missing, naming each one on its own line', async () => {
    writeFileSync(
      join(dir, '.env.test'),
      ['# only some of them', 'TEAMS_APP_ID=' + SAMPLE_VARS.TEAMS_APP_ID, 'APP_NAME_SUFFIX=-test', 'BOT_ID=', ''].join('\n'),
    );
    const result = await npmPackage('--env', 'test', '--env-dir', dir, '--out-dir', join(dir, 'build'));
    expect(result.code).toBe(1);
    const lines = result.stderr.split('\n').map((line) => line.trim());
    expect(lines).toEqual(expect.arrayContaining(['BOT_ID', 'BOT_DOMAIN', 'AAD_APP_CLIENT_ID']));
    expect(lines).not.toContain('TEAMS_APP_ID');
    expect(lines).not.toContain('APP_NAME_SUFFIX');
    expect(result.stderr).toContain("Missing environment variables for 'test'");
    expect(existsSync(join(dir, 'build'))).toBe(false);
  });

  it('writes appPackage.<env>.zip with exactly manifest, icons and nl.json, and manifest.<env>.json', async () => {
    writeFileSync(join(dir, '.env.test'), envFile({ ...SAMPLE_VARS, BOT_DOMAIN: 'wrong.example.com' }));
    // The .user file wins over the shared one.
    writeFileSync(join(dir, '.env.test.user'), `BOT_DOMAIN=${SAMPLE_VARS.BOT_DOMAIN}\n`);
    const out = join(dir, 'build');
    const result = await npmPackage('--env', 'test', '--env-dir', dir, '--out-dir', out);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('appPackage.test.zip');

    const manifest = await expectValidPackage(join(out, 'appPackage.test.zip'));
    expect(manifest.validDomains).toEqual([SAMPLE_VARS.BOT_DOMAIN]);
    expect(manifest.id).toBe(SAMPLE_VARS.TEAMS_APP_ID);
    expect(JSON.parse(readFileSync(join(out, 'manifest.test.json'), 'utf8'))).toEqual(manifest);
  });

  it('refuses environment names that could leave env/ (../x, /etc/x, upper case)', async () => {
    for (const name of ['../x', '/etc/passwd', 'Dev', 'a.b', '']) {
      expect(() => parseArgs(['--env', name])).toThrow(PackageError);
    }
    const result = await npmPackage('--env', '../x', '--env-dir', dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('invalid environment name "../x"');
  });

  it('fails with a clear message for an unknown environment or a missing --env', async () => {
    const unknown = await npmPackage('--env', 'nowhere', '--env-dir', dir);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`no environment file ${join(dir, '.env.nowhere')}`);
    expect(() => parseArgs([])).toThrow('--env <name> is required');
    expect(() => parseArgs(['--env', 'dev', '--zip'])).toThrow('--zip needs a value');
  });
});

describe(buildPackage.name, () => {
  const options = () => ({ env: 'test', envDir: dir, outDir: join(dir, 'build'), appDir: APP_DIR });

  it('accepts an empty APP_NAME_SUFFIX (production) and produces the same zip twice', async () => {
    writeFileSync(join(dir, '.env.test'), envFile({ ...SAMPLE_VARS, APP_NAME_SUFFIX: '' }));
    const first = await buildPackage(options());
    const manifest = await expectValidPackage(first.zip);
    expect(manifest.name).toMatchObject({ short: 'Portier' });
    const bytes = readFileSync(first.zip);
    await buildPackage(options());
    expect(readFileSync(first.zip).equals(bytes)).toBe(true);
  });

  it('refuses a package whose resolved manifest does not validate, listing the schema errors', async () => {
    writeFileSync(join(dir, '.env.test'), envFile({ ...SAMPLE_VARS, BOT_ID: 'not-a-guid' }));
    await expect(buildPackage(options())).rejects.toThrow(/manifest\.json: \/bots\/0\/botId must match pattern/);
    expect(existsSync(join(dir, 'build'))).toBe(false);
  });

  it('refuses a placeholder it cannot read instead of shipping it', async () => {
    const appDir = join(dir, 'app');
    mkdirSync(appDir);
    for (const name of ['color.png', 'outline.png', 'nl.json']) copyFileSync(join(APP_DIR, name), join(appDir, name));
    const text = readFileSync(join(APP_DIR, 'manifest.json'), 'utf8').replace('"1.0.0"', '"${{APP-VERSION}}"');
    writeFileSync(join(appDir, 'manifest.json'), text);
    writeFileSync(join(dir, '.env.test'), envFile(SAMPLE_VARS));
    await expect(buildPackage({ ...options(), appDir })).rejects.toThrow('manifest.json: ${{APP-VERSION}} is no valid placeholder');
  });

  // The env samples of the repository: before provisioning they leave the ids empty; once the toolkit has filled
  // them in (here: a .user file with sample values), the package builds from them.
  for (const env of ['local', 'dev']) {
    it(`builds from the real env/.env.${env} once provisioning has filled its empty values`, async () => {
      const sample = join(ROOT, 'env', `.env.${env}`);
      expect(existsSync(sample)).toBe(true);
      const text = readFileSync(sample, 'utf8');
      const vars = parseEnvFile(text);
      for (const name of placeholdersIn(readJson(join(APP_DIR, 'manifest.json')))) {
        expect([name, Object.prototype.hasOwnProperty.call(vars, name)]).toEqual([name, true]);
      }
      writeFileSync(join(dir, `.env.${env}`), text);

      const provisioned = Object.fromEntries(
        Object.entries(SAMPLE_VARS).filter(([name]) => vars[name] === '' && name !== 'APP_NAME_SUFFIX'),
      );
      if (Object.keys(provisioned).length > 0) {
        await expect(buildPackage({ ...options(), env })).rejects.toThrow(Object.keys(provisioned).join('\n  '));
      }
      writeFileSync(join(dir, `.env.${env}.user`), envFile(provisioned));
      const result = await buildPackage({ ...options(), env });
      expect(result.zip).toBe(join(dir, 'build', `appPackage.${env}.zip`));
      const manifest = await expectValidPackage(result.zip);
      expect(manifest.name).toMatchObject({ short: `Portier${vars.APP_NAME_SUFFIX}` });
    });
  }
});

describe(parseEnvFile.name, () => {
  it('reads KEY=value lines, skipping comments and blank lines, with quotes and trailing comments', () => {
    expect(
      parseEnvFile(['# comment', '', 'A=1', '  B = two words ', 'C="quoted # not a comment"', "D='x'", 'E=v # comment', 'F=', 'G=a#b'].join('\n')),
    ).toEqual({ A: '1', B: 'two words', C: 'quoted # not a comment', D: 'x', E: 'v', F: '', G: 'a#b' });
  });

  it('names the line it cannot read', () => {
    expect(() => parseEnvFile('A=1\nnot a line\n', '.env.x')).toThrow('.env.x:2: expected KEY=value');
  });
});

describe(pngSize.name, () => {
  it('reads width and height of the committed icons', () => {
    expect(pngSize(readFileSync(join(APP_DIR, 'color.png')))).toEqual({ width: 192, height: 192 });
    expect(pngSize(readFileSync(join(APP_DIR, 'outline.png')))).toEqual({ width: 32, height: 32 });
  });
});
