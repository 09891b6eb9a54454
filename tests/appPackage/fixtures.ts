import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from '../../scripts/manifest';

export const ROOT = join(__dirname, '..', '..');
export const APP_DIR = join(ROOT, 'appPackage');

/** The placeholders the manifest may use (the shared contract of issue 4), with valid sample values. */
export const SAMPLE_VARS = {
  TEAMS_APP_ID: '0f6c2d1e-8a4b-4c3d-9e2f-1a2b3c4d5e6f',
  APP_NAME_SUFFIX: '-dev',
  BOT_ID: '5b2e7c9a-1d3f-4e6a-8b0c-2d4f6a8c0e1b',
  BOT_DOMAIN: 'portier-dev.azurewebsites.net',
  AAD_APP_CLIENT_ID: 'c3d5e7f9-2b4d-4f6a-9c1e-3b5d7f9a1c2e',
} as const;

export function readJson(file: string): Json {
  return JSON.parse(readFileSync(file, 'utf8')) as Json;
}

/** A deep copy of a JSON document, as a loosely typed object tests may break at will. */
export function mutable(value: Json): any {
  return JSON.parse(JSON.stringify(value));
}

/** `KEY=value` lines of an env file. */
export function envFile(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n');
}
