/**
 * The Teams app manifest: placeholder resolution and offline validation against the official JSON schemas that
 * `@microsoft/app-manifest` bundles (`build/json-schemas/teams/v1.x/`). Used by `scripts/package.ts` and the tests.
 *
 * The schemas are draft-04, so they are compiled with `ajv-draft-04` and the formats the official validator adds
 * (`ManifestUtil.validateManifestAgainstSchema` in that package, which does the same but only with a schema in hand;
 * its other entry points fetch the schema from the `$schema` URL, which needs the network).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import type { ErrorObject, ValidateFunction } from 'ajv';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** `${{NAME}}`, as Teams Toolkit / Microsoft 365 Agents Toolkit writes placeholders (spaces inside allowed). */
const PLACEHOLDER = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Oldest manifest version Portier accepts (issue 4). */
export const MIN_MANIFEST_VERSION = '1.19';

/**
 * Limits of the Teams bot command menu. Manifest schemas 1.21 and newer allow longer command titles and
 * descriptions than the menu shows (1.19 and 1.20 enforced these limits); Portier keeps to them.
 */
export const COMMAND_LIMITS = { title: 32, description: 128, commands: 10 } as const;

export const SCHEMA_ROOT = join(
  dirname(require.resolve('@microsoft/app-manifest/package.json')),
  'build',
  'json-schemas',
  'teams',
);

export interface Resolved<T extends Json> {
  value: T;
  /** Names of the variables that are unset (or empty, see {@link MAY_BE_EMPTY}), each once, in order of first use. */
  missing: string[];
}

/** Every placeholder name used in `value`, each once, in order of first use. */
export function placeholdersIn(value: Json): string[] {
  const names: string[] = [];
  walkStrings(value, (text) => {
    for (const match of text.matchAll(PLACEHOLDER)) if (!names.includes(match[1])) names.push(match[1]);
  });
  return names;
}

/**
 * Variables that may be defined empty: the suffix of the app's name (`-dev`, `-local`; none in production).
 * They must still be defined.
 */
export const MAY_BE_EMPTY: readonly string[] = ['APP_NAME_SUFFIX'];

/**
 * Replaces every `${{NAME}}` in the strings of `value` (a parsed JSON document) by `vars[NAME]`. Unset variables,
 * and empty ones unless listed in `allowEmpty`, are left in place and reported in `missing`.
 */
export function resolvePlaceholders<T extends Json>(
  value: T,
  vars: Readonly<Record<string, string | undefined>>,
  allowEmpty: readonly string[] = MAY_BE_EMPTY,
): Resolved<T> {
  const missing: string[] = [];
  const resolved = mapStrings(value, (text) =>
    text.replace(PLACEHOLDER, (whole: string, name: string) => {
      const replacement = Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : undefined;
      if (replacement === undefined || (replacement === '' && !allowEmpty.includes(name))) {
        if (!missing.includes(name)) missing.push(name);
        return whole;
      }
      return replacement;
    }),
  );
  return { value: resolved as T, missing };
}

function walkStrings(value: Json, visit: (text: string) => void): void {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) for (const item of value) walkStrings(item, visit);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      visit(key);
      walkStrings(item, visit);
    }
  }
}

function mapStrings(value: Json, map: (text: string) => string): Json {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map));
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [key, item] of Object.entries(value)) out[map(key)] = mapStrings(item, map);
    return out;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Schemas

type SchemaKind = 'MicrosoftTeams' | 'MicrosoftTeams.Localization';

const compiled = new Map<string, ValidateFunction>();

/** Manifest versions with a bundled schema, oldest first (`1.0` … `1.30`; `devPreview` is left out). */
export function bundledVersions(): string[] {
  return readdirSync(SCHEMA_ROOT)
    .filter((name) => /^v\d+\.\d+$/.test(name))
    .map((name) => name.slice(1))
    .sort(compareVersions);
}

export function compareVersions(a: string, b: string): number {
  const [aMajor, aMinor] = a.split('.').map(Number);
  const [bMajor, bMinor] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

export function schemaPath(version: string, kind: SchemaKind): string {
  return join(SCHEMA_ROOT, `v${version}`, `${kind}.schema.json`);
}

function validatorFor(version: string, kind: SchemaKind): ValidateFunction | undefined {
  const key = `${version}/${kind}`;
  const cached = compiled.get(key);
  if (cached) return cached;
  const file = schemaPath(version, kind);
  if (!existsSync(file)) return undefined;
  // unicodeRegExp: false: the localization schemas have patterns such as `\[\b(…)\b]` that are valid ECMAScript
  // regular expressions only without the `u` flag Ajv adds by default.
  const ajv = new AjvDraft04({ allErrors: true, strictTypes: false, strictTuples: false, unicodeRegExp: false });
  addFormats(ajv, ['uri', 'email', 'regex']);
  const validate = ajv.compile(JSON.parse(readFileSync(file, 'utf8')) as object);
  compiled.set(key, validate);
  return validate;
}

/** `1.30` from `https://developer.microsoft.com/json-schemas/teams/v1.30/MicrosoftTeams.schema.json`. */
export function schemaUrlVersion(url: unknown, kind: SchemaKind): string | undefined {
  if (typeof url !== 'string') return undefined;
  const match = /^https:\/\/developer\.microsoft\.com\/(?:[a-z]{2}-[a-z]{2}\/)?json-schemas\/teams\/v(\d+\.\d+)\/([A-Za-z.]+)\.schema\.json$/.exec(
    url,
  );
  return match && match[2] === kind ? match[1] : undefined;
}

function formatError(error: ErrorObject): string {
  const where = error.instancePath || '/';
  const params = error.params as Record<string, unknown>;
  let detail = '';
  if (error.keyword === 'additionalProperties') detail = `: '${String(params.additionalProperty)}'`;
  else if (error.keyword === 'const') detail = `: ${JSON.stringify(params.allowedValue)}`;
  else if (error.keyword === 'enum') detail = `: ${JSON.stringify(params.allowedValues)}`;
  return `${where} ${error.message ?? 'is invalid'}${detail}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Errors against the bundled schema named by `$schema` (each names the JSON path); empty when valid. */
function validateAgainst(document: unknown, kind: SchemaKind, fallbackVersion: string | undefined): string[] {
  if (!isObject(document)) return ['/ must be a JSON object'];
  const fromUrl = schemaUrlVersion(document.$schema, kind);
  const version = fromUrl ?? fallbackVersion;
  const errors: string[] = [];
  if (fromUrl === undefined) {
    errors.push(
      `/$schema must be https://developer.microsoft.com/json-schemas/teams/v<version>/${kind}.schema.json, not ${JSON.stringify(document.$schema)}`,
    );
  }
  if (version === undefined) return errors;
  const validate = validatorFor(version, kind);
  if (!validate) {
    errors.push(`/$schema names version ${version}, for which @microsoft/app-manifest bundles no ${kind} schema`);
    return errors;
  }
  if (!validate(document)) errors.push(...(validate.errors ?? []).map(formatError));
  return errors;
}

/**
 * Validates a resolved manifest offline against the official schema of the version its `$schema` names, plus
 * Portier's rules: manifest version at least {@link MIN_MANIFEST_VERSION}, `$schema` and `manifestVersion` agree,
 * bot commands within the command menu's limits ({@link COMMAND_LIMITS}). Returns one message per problem, each
 * naming the JSON path; empty when valid.
 */
export function validateManifest(manifest: unknown): string[] {
  const manifestVersion = isObject(manifest) && typeof manifest.manifestVersion === 'string' ? manifest.manifestVersion : undefined;
  const errors = validateAgainst(manifest, 'MicrosoftTeams', undefined);
  if (!isObject(manifest)) return errors;
  const schemaVersion = schemaUrlVersion(manifest.$schema, 'MicrosoftTeams');
  if (manifestVersion === undefined || !/^\d+\.\d+$/.test(manifestVersion)) {
    errors.push(`/manifestVersion must be a version such as "${MIN_MANIFEST_VERSION}", not ${JSON.stringify(manifest.manifestVersion)}`);
  } else {
    if (compareVersions(manifestVersion, MIN_MANIFEST_VERSION) < 0) {
      errors.push(`/manifestVersion must be ${MIN_MANIFEST_VERSION} or newer, not "${manifestVersion}"`);
    }
    if (schemaVersion !== undefined && schemaVersion !== manifestVersion) {
      errors.push(`/manifestVersion "${manifestVersion}" does not match the version of /$schema (${schemaVersion})`);
    }
  }
  errors.push(...commandMenuErrors(manifest));
  return [...new Set(errors)];
}

function commandMenuErrors(manifest: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const bots = Array.isArray(manifest.bots) ? manifest.bots : [];
  bots.forEach((bot: unknown, b) => {
    if (!isObject(bot) || !Array.isArray(bot.commandLists)) return;
    bot.commandLists.forEach((list: unknown, l) => {
      if (!isObject(list) || !Array.isArray(list.commands)) return;
      const path = `/bots/${b}/commandLists/${l}/commands`;
      if (list.commands.length > COMMAND_LIMITS.commands) {
        errors.push(`${path} must NOT have more than ${COMMAND_LIMITS.commands} commands (Teams command menu)`);
      }
      list.commands.forEach((command: unknown, c) => {
        if (!isObject(command)) return;
        errors.push(...lengthError(`${path}/${c}/title`, command.title, COMMAND_LIMITS.title));
        errors.push(...lengthError(`${path}/${c}/description`, command.description, COMMAND_LIMITS.description));
      });
    });
  });
  return errors;
}

function lengthError(path: string, value: unknown, max: number): string[] {
  return typeof value === 'string' && [...value].length > max
    ? [`${path} must NOT have more than ${max} characters (Teams command menu), has ${[...value].length}`]
    : [];
}

/** `bots[0].commandLists[1].commands[2].title` → `/bots/0/commandLists/1/commands/2/title`. */
export function localizationKeyToPointer(key: string): string {
  return '/' + key.replace(/\[(\d+)\]/g, '.$1').split('.').join('/');
}

function valueAtPointer(document: unknown, pointer: string): unknown {
  let node: unknown = document;
  for (const part of pointer.split('/').slice(1)) {
    if (Array.isArray(node) && /^\d+$/.test(part)) node = node[Number(part)];
    else if (isObject(node) && Object.prototype.hasOwnProperty.call(node, part)) node = node[part];
    else return undefined;
  }
  return node;
}

/**
 * Validates a localization file (e.g. `nl.json`) offline against the official localization schema of the version
 * its `$schema` names (the manifest's version when it names none). With the manifest: every key must translate a
 * string the manifest has, and translated bot commands keep to the command menu's limits.
 */
export function validateLocalization(localization: unknown, manifest?: unknown): string[] {
  const manifestVersion =
    isObject(manifest) && typeof manifest.manifestVersion === 'string' ? manifest.manifestVersion : undefined;
  const errors = validateAgainst(localization, 'MicrosoftTeams.Localization', manifestVersion);
  if (!isObject(localization)) return errors;
  const version = schemaUrlVersion(localization.$schema, 'MicrosoftTeams.Localization');
  if (manifestVersion !== undefined && version !== undefined && version !== manifestVersion) {
    errors.push(`/$schema names version ${version}, the manifest ${manifestVersion}`);
  }
  for (const [key, value] of Object.entries(localization)) {
    if (key === '$schema' || key === 'localizationKeys') continue;
    const pointer = localizationKeyToPointer(key);
    if (manifest !== undefined && typeof valueAtPointer(manifest, pointer) !== 'string') {
      errors.push(`/${key} translates ${pointer}, which the manifest does not have`);
    }
    if (/^\/bots\/\d+\/commandLists\/\d+\/commands\/\d+\/title$/.test(pointer)) {
      errors.push(...lengthError(`/${key}`, value, COMMAND_LIMITS.title));
    } else if (/^\/bots\/\d+\/commandLists\/\d+\/commands\/\d+\/description$/.test(pointer)) {
      errors.push(...lengthError(`/${key}`, value, COMMAND_LIMITS.description));
    }
  }
  return [...new Set(errors)];
}
