/**
 * Reads the Teams Toolkit / Microsoft 365 Agents Toolkit project (teamsapp*.yml, env/, aad.manifest.json,
 * infra/) the way the toolkit does, for the tests in this folder. Everything here is offline and read-only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { parseDocument } from 'yaml';

export const root = resolve(__dirname, '..', '..');

export function read(path: string): string {
  return readFileSync(join(root, path), 'utf8');
}

export function exists(path: string): boolean {
  return existsSync(join(root, path));
}

/** The project files, with the environment each one provisions by default. */
export const projectFiles = [
  { file: 'teamsapp.yml', env: 'dev' },
  { file: 'teamsapp.local.yml', env: 'local' },
  { file: 'm365agents.playground.yml', env: 'playground' },
] as const;

/**
 * Actions of the toolkit's YAML schema v1.7 (https://aka.ms/teams-toolkit/v1.7/yaml.schema.json, the `uses`
 * constants of its `lifeCycleArray`; https://aka.ms/teamsfx-actions documents them).
 */
export const knownActions: ReadonlySet<string> = new Set([
  'aadApp/create',
  'aadApp/update',
  'apiKey/register',
  'apiKey/update',
  'arm/deploy',
  'azureAppService/zipDeploy',
  'azureFunctions/zipDeploy',
  'azureStaticWebApps/getDeploymentToken',
  'azureStorage/deploy',
  'azureStorage/enableStaticWebsite',
  'botAadApp/create',
  'botFramework/create',
  'cli/runDotnetCommand',
  'cli/runNpmCommand',
  'cli/runNpxCommand',
  'devTool/install',
  'file/createOrUpdateEnvironmentFile',
  'file/createOrUpdateJsonFile',
  'oauth/register',
  'oauth/update',
  'script',
  'spfx/deploy',
  'teamsApp/copyAppPackageToSPFx',
  'teamsApp/create',
  'teamsApp/extendToM365',
  'teamsApp/publishAppPackage',
  'teamsApp/update',
  'teamsApp/validateAppPackage',
  'teamsApp/validateManifest',
  'teamsApp/validateWithTestCases',
  'teamsApp/zipAppPackage',
]);

export const lifecycles = ['provision', 'deploy', 'publish'] as const;
export type Lifecycle = (typeof lifecycles)[number];

export interface Action {
  uses: string;
  name?: string;
  with?: Record<string, unknown>;
  writeToEnvironmentFile?: Record<string, string>;
  env?: Record<string, string>;
}

export interface ProjectYaml {
  version: string;
  environmentFolderPath?: string;
  provision?: Action[];
  deploy?: Action[];
  publish?: Action[];
}

/** Parses a YAML file strictly: syntax errors and warnings (duplicate keys, ...) throw. */
export function loadYaml(file: string): ProjectYaml {
  const doc = parseDocument(read(file), { prettyErrors: true, uniqueKeys: true });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) throw new Error(`${file}: ${problems.map((p) => p.message).join('; ')}`);
  return doc.toJS() as ProjectYaml;
}

/** `KEY=value` lines of a toolkit env file (comments and blank lines skipped, surrounding quotes removed). */
export function readEnvFile(path: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const [i, raw] of read(path).split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new Error(`${path}:${i + 1}: not a KEY=value line: ${raw}`);
    let value = match[2].trim();
    if (/^(".*"|'.*')$/.test(value)) value = value.slice(1, -1);
    if (values.has(match[1])) throw new Error(`${path}:${i + 1}: ${match[1]} is defined twice`);
    values.set(match[1], value);
  }
  return values;
}

const placeholderPattern = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Names of the `${{VAR}}` placeholders in a text. */
export function placeholders(text: string): Set<string> {
  return new Set([...text.matchAll(placeholderPattern)].map((m) => m[1]));
}

/** Every string inside a value (objects and arrays walked). */
export function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}

/** `output NAME type = ...` declarations of a Bicep file: arm/deploy writes each of them to the env file. */
export function bicepOutputs(path: string): string[] {
  return [...read(path).matchAll(/^output\s+([A-Za-z_][A-Za-z0-9_]*)\s+\w+/gm)].map((m) => m[1]);
}

export interface BicepParam {
  name: string;
  type: string;
  hasDefault: boolean;
  allowed?: string[];
}

/** `param NAME type [= default]` declarations of a Bicep file, with their `@allowed([...])` values. */
export function bicepParams(path: string): BicepParam[] {
  const text = read(path);
  const params: BicepParam[] = [];
  const pattern = /^param\s+([A-Za-z_][A-Za-z0-9_]*)\s+(\w+)(\s*=\s*.+)?$/gm;
  for (const m of text.matchAll(pattern)) {
    // The decorators directly above the declaration (until the previous blank line or statement).
    const before = text.slice(0, m.index).split('\n');
    const decorators: string[] = [];
    for (let i = before.length - 2; i >= 0 && before[i].trim().startsWith('@'); i--) decorators.unshift(before[i].trim());
    const allowedLine = decorators.find((d) => d.startsWith('@allowed('));
    const allowed = allowedLine ? [...allowedLine.matchAll(/'([^']*)'/g)].map((a) => a[1]) : undefined;
    params.push({ name: m[1], type: m[2], hasDefault: m[3] !== undefined, allowed });
  }
  return params;
}

/** The text between the `{` that follows `start` and its matching `}` (Bicep objects; quotes respected). */
export function blockAfter(text: string, start: number): string {
  const open = text.indexOf('{', start);
  if (open < 0) throw new Error('no block found');
  let depth = 0;
  let quote = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === "'") quote = false;
      continue;
    }
    if (c === "'") quote = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(open + 1, i);
  }
  throw new Error('unbalanced braces');
}

/** The body of `resource <symbol> '<type>@...' = ... {` in a Bicep file. */
export function bicepResource(path: string, symbol: string): string {
  const text = read(path);
  const m = new RegExp(`^resource\\s+${symbol}\\s+'[^']+'\\s*=`, 'm').exec(text);
  if (!m) throw new Error(`${path}: no resource ${symbol}`);
  return blockAfter(text, m.index);
}

/** Top-level `KEY: value` lines of a Bicep object body (nested objects skipped). */
export function bicepObjectEntries(body: string): Map<string, string> {
  const entries = new Map<string, string>();
  let depth = 0;
  for (const raw of body.split('\n')) {
    const line = raw.replace(/\s\/\/.*$/, '').trim();
    if (depth === 0) {
      const m = /^'?([A-Za-z_][A-Za-z0-9_.-]*)'?\s*:\s*(.*)$/.exec(line);
      if (m) entries.set(m[1], m[2].trim());
    }
    depth += (line.match(/[{[]/g) ?? []).length - (line.match(/[}\]]/g) ?? []).length;
  }
  return entries;
}

/** A path as an action names it (`./appPackage/x.json`), relative to the project root (the YAML's folder). */
export function projectPath(path: string): string {
  return posix.normalize(path.replace(/\\/g, '/')).replace(/^\.\//, '').replace(/\/$/, '');
}
