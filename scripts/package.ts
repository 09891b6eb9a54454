/**
 * `npm run package -- --env <name> [--env-dir <dir>] [--out-dir <dir>]`: builds the Teams app package.
 *
 * Reads `env/.env.<name>` and, when present, `env/.env.<name>.user` (its values win), replaces every `${{VAR}}` in
 * `appPackage/manifest.json` and the localization files it lists, validates the result offline against the official
 * schemas, and writes `appPackage/build/appPackage.<name>.zip` (manifest.json, the two icons and the localization
 * files, at the root) plus `appPackage/build/manifest.<name>.json`. Any problem is listed and the exit code is 1;
 * variables that are unset or empty are all named, one a line (only APP_NAME_SUFFIX may be defined empty).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import JSZip from 'jszip';
import { type Json, resolvePlaceholders, validateLocalization, validateManifest } from './manifest';

export const ROOT = resolve(__dirname, '..');
export const APP_PACKAGE_DIR = join(ROOT, 'appPackage');
export const ENV_NAME = /^[a-z0-9-]+$/;
/** The sizes Teams requires of the icons. */
export const ICON_SIZES = { color: 192, outline: 32 } as const;
/** Zip entries get this date, so that the same input yields the same zip. */
const ZIP_DATE = new Date(Date.UTC(2024, 0, 1));

export class PackageError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

export interface PackageOptions {
  env: string;
  envDir: string;
  outDir: string;
  appDir: string;
}

export interface PackageResult {
  zip: string;
  manifest: string;
  entries: string[];
}

/**
 * Parses a Teams Toolkit style env file: `KEY=value` lines, `#` comments and blank lines; values may be quoted
 * ('…' or "…"); an unquoted value ends at ` #` (a comment).
 */
export function parseEnvFile(text: string, file = 'env file'): Record<string, string> {
  const vars: Record<string, string> = {};
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) {
      problems.push(`${file}:${index + 1}: expected KEY=value, got ${JSON.stringify(raw)}`);
      return;
    }
    let value = match[2];
    const quoted = /^(["'])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2];
    else value = value.replace(/\s+#.*$/, '').trim();
    vars[match[1]] = value;
  });
  if (problems.length > 0) throw new PackageError(problems);
  return vars;
}

/** The variables of environment `env`: `.env.<env>`, overridden by `.env.<env>.user` when it exists. */
export function readEnv(envDir: string, env: string): Record<string, string> {
  if (!ENV_NAME.test(env)) {
    throw new PackageError([`invalid environment name ${JSON.stringify(env)}: use lower-case letters, digits and -`]);
  }
  const base = join(envDir, `.env.${env}`);
  if (!existsSync(base)) throw new PackageError([`no environment file ${shown(base)}`]);
  const vars = parseEnvFile(readFileSync(base, 'utf8'), base);
  const user = `${base}.user`;
  if (existsSync(user)) Object.assign(vars, parseEnvFile(readFileSync(user, 'utf8'), user));
  return vars;
}

/** Width and height from a PNG's IHDR chunk (bytes 16–23), or undefined when `file` is no PNG. */
export function pngSize(file: Buffer): { width: number; height: number } | undefined {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (file.length < 24 || !file.subarray(0, 8).equals(signature) || file.toString('latin1', 12, 16) !== 'IHDR') {
    return undefined;
  }
  return { width: file.readUInt32BE(16), height: file.readUInt32BE(20) };
}

/** A path as the user would type it: relative to the working directory when inside it. */
function shown(file: string): string {
  const path = relative(process.cwd(), file);
  return path === '' || path.startsWith('..') || isAbsolute(path) ? file : path;
}

function readJson(file: string): Json {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Json;
  } catch (error) {
    throw new PackageError([`${file}: ${error instanceof Error ? error.message : String(error)}`]);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A file name the manifest refers to: plain, at the package root. */
function packageFile(name: unknown, where: string, problems: string[]): string | undefined {
  if (typeof name === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) return name;
  problems.push(`${where} must name a file at the root of the package, not ${JSON.stringify(name)}`);
  return undefined;
}

export async function buildPackage(options: PackageOptions): Promise<PackageResult> {
  const vars = readEnv(options.envDir, options.env);
  const manifestTemplate = readJson(join(options.appDir, 'manifest.json'));
  const problems: string[] = [];

  // The files the manifest refers to: icons and localization files.
  const iconNames: Partial<Record<keyof typeof ICON_SIZES, string>> = {};
  const localizationNames: string[] = [];
  const icons = isObject(manifestTemplate) ? manifestTemplate.icons : undefined;
  for (const kind of ['color', 'outline'] as const) {
    const name = packageFile(isObject(icons) ? icons[kind] : undefined, `/icons/${kind}`, problems);
    if (name) iconNames[kind] = name;
  }
  const localizationInfo = isObject(manifestTemplate) ? manifestTemplate.localizationInfo : undefined;
  const languages = isObject(localizationInfo) ? localizationInfo.additionalLanguages : undefined;
  if (Array.isArray(languages)) {
    languages.forEach((language: unknown, i) => {
      const name = packageFile(isObject(language) ? language.file : undefined, `/localizationInfo/additionalLanguages/${i}/file`, problems);
      if (name) localizationNames.push(name);
    });
  }
  if (problems.length > 0) throw new PackageError(problems);

  // Resolve the placeholders everywhere first, so that every missing variable is named at once.
  const manifest = resolvePlaceholders(manifestTemplate, vars);
  const localizations = localizationNames.map((name) => ({
    name,
    ...resolvePlaceholders(readJson(join(options.appDir, name)), vars),
  }));
  const missing = [...new Set([...manifest.missing, ...localizations.flatMap((l) => l.missing)])];
  if (missing.length > 0) {
    const base = shown(join(options.envDir, `.env.${options.env}`));
    const files = `${base} or ${base}.user`;
    throw new PackageError([
      `Missing environment variables for '${options.env}' (unset or empty; set them in ${files}):`,
      ...missing.map((name) => `  ${name}`),
    ]);
  }

  for (const [name, value] of [['manifest.json', manifest.value], ...localizations.map((l) => [l.name, l.value] as const)] as const) {
    const left = /\$\{\{[^}]*\}\}?/.exec(JSON.stringify(value));
    if (left) problems.push(`${name}: ${left[0]} is no valid placeholder (use \${{NAME}}, NAME of letters, digits and _)`);
  }
  problems.push(...validateManifest(manifest.value).map((e) => `manifest.json: ${e}`));
  for (const localization of localizations) {
    problems.push(...validateLocalization(localization.value, manifest.value).map((e) => `${localization.name}: ${e}`));
  }

  const files = new Map<string, Buffer>();
  files.set('manifest.json', Buffer.from(JSON.stringify(manifest.value, null, 2) + '\n'));
  for (const kind of ['color', 'outline'] as const) {
    const name = iconNames[kind] as string;
    const file = join(options.appDir, name);
    if (!existsSync(file)) {
      problems.push(`${name}: missing (run npm run icons)`);
      continue;
    }
    const data = readFileSync(file);
    const size = pngSize(data);
    const want = ICON_SIZES[kind];
    if (!size) problems.push(`${name}: not a PNG file`);
    else if (size.width !== want || size.height !== want) {
      problems.push(`${name}: must be ${want}×${want}, is ${size.width}×${size.height} (run npm run icons)`);
    }
    files.set(name, data);
  }
  for (const localization of localizations) {
    files.set(localization.name, Buffer.from(JSON.stringify(localization.value, null, 2) + '\n'));
  }
  if (problems.length > 0) throw new PackageError(problems);

  const zip = new JSZip();
  for (const [name, data] of files) zip.file(name, data, { date: ZIP_DATE });
  const archive = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } });
  mkdirSync(options.outDir, { recursive: true });
  const zipPath = join(options.outDir, `appPackage.${options.env}.zip`);
  const manifestPath = join(options.outDir, `manifest.${options.env}.json`);
  writeFileSync(zipPath, archive);
  writeFileSync(manifestPath, files.get('manifest.json') as Buffer);
  return { zip: zipPath, manifest: manifestPath, entries: [...files.keys()] };
}

const USAGE = 'usage: npm run package -- --env <name> [--env-dir <dir>] [--out-dir <dir>]';

export function parseArgs(argv: string[]): PackageOptions {
  const options: Partial<PackageOptions> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = inline ?? argv[++i];
    if (value === undefined || value.startsWith('--')) throw new PackageError([`${flag} needs a value`, USAGE]);
    if (flag === '--env') options.env = value;
    else if (flag === '--env-dir') options.envDir = resolve(value);
    else if (flag === '--out-dir') options.outDir = resolve(value);
    else throw new PackageError([`unknown argument ${arg}`, USAGE]);
  }
  if (options.env === undefined) throw new PackageError(['--env <name> is required', USAGE]);
  if (!ENV_NAME.test(options.env)) {
    throw new PackageError([`invalid environment name ${JSON.stringify(options.env)}: use lower-case letters, digits and -`]);
  }
  return {
    env: options.env,
    envDir: options.envDir ?? join(ROOT, 'env'),
    outDir: options.outDir ?? join(APP_PACKAGE_DIR, 'build'),
    appDir: APP_PACKAGE_DIR,
  };
}

async function main(): Promise<void> {
  try {
    const result = await buildPackage(parseArgs(process.argv.slice(2)));
    console.log(`wrote ${shown(result.zip)} (${result.entries.join(', ')})`);
    console.log(`wrote ${shown(result.manifest)}`);
  } catch (error) {
    console.error(error instanceof PackageError ? error.message : error instanceof Error ? error.stack : String(error));
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
