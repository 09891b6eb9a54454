import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';

/** Where e2e runs leave their screenshots (gitignored). */
export const screenshotDir = join(__dirname, '..', '..', 'artifacts', 'screenshots');

/** Saves a full-page screenshot as `artifacts/screenshots/<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core (WCAG 2.x A/AA rules) on the page or frame and returns the serious and critical
 * violations, each with the elements it found, so a failing test says what to fix. Fluent's focus
 * manager (tabster) puts invisible `<i tabindex=0 aria-hidden data-tabster-dummy>` sentinels around
 * focus groups to wrap Tab; they are never reachable as content, so they are left out.
 */
export async function seriousViolations(target: Page | Frame): Promise<AxeViolation[]> {
  await target.evaluate(axeSource);
  const violations = (await target.evaluate(
    "axe.run({ include: [['html']], exclude: [['[data-tabster-dummy]']] }, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))",
  )) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Signs in with the dev picker as `upn` (the page shows the picker when nobody is signed in yet). */
export async function devSignIn(page: Page, upn: string): Promise<void> {
  await page.getByRole('button', { name: new RegExp(upn.replace(/[.]/g, '\\.')) }).click();
}
