import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildAccessPackage, buildCatalog, buildPolicy } from '../helpers/factories';
import { launchChromium } from '../helpers/browser';
import { em, startTestServer, TestServer } from '../helpers/server';

/**
 * The personal tab "My access" and the direct-link page in real Chromium, on the demo seed: the
 * request part of the seed scenario through the UI (Pradeep requests the hidden package from its
 * link, Ruth approves on her approvals page, Pradeep sees his access), Diego told the package is
 * not for him, every page checked with axe-core and photographed in light, dark and Dutch.
 */
const screenshots = join(process.cwd(), 'artifacts', 'screenshots');

interface Variant {
  name: string;
  locale: string;
  colorScheme: 'light' | 'dark';
}
const variants: Variant[] = [
  { name: 'light', locale: 'en-US', colorScheme: 'light' },
  { name: 'dark', locale: 'en-US', colorScheme: 'dark' },
  { name: 'nl', locale: 'nl-NL', colorScheme: 'light' },
];

jest.setTimeout(240_000);

describe('My access in Chromium (demo tenant)', () => {
  let server: TestServer;
  let browser: Browser;
  let hiddenPackageId: string;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true });
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '100' } });
    const pkg = await server.portier.store.db.selectFrom('access_packages').select('id').where('displayName', 'like', 'Project Falcon%').executeTakeFirstOrThrow();
    hiddenPackageId = pkg.id;
    // A visible catalog for members, so the catalog and "My access" have something to show.
    const catalog = await buildCatalog(server, 'admin@contoso.test', { displayName: 'Contoso projects', state: 'published' });
    for (const name of ['Design reviews', 'Falcon documentation', 'Lab equipment']) {
      const p = await buildAccessPackage(server, 'admin@contoso.test', catalog.id, { displayName: name, description: `Access to ${name.toLowerCase()} for Contoso staff.` });
      await buildPolicy(server, 'admin@contoso.test', p.id, { expiration: { type: 'afterDuration', duration: 'P30D' }, requestorSettings: { enableTargetsToSelfAddAccess: true, enableTargetsToSelfUpdateAccess: true, enableTargetsToSelfRemoveAccess: true, allowCustomAssignmentSchedule: false } });
    }
    const lab = await server.graph('GET', `${em}/accessPackages?$filter=displayName eq 'Lab equipment'`, { as: 'admin@contoso.test' });
    const requested = await server.graph('POST', `${em}/assignmentRequests`, { as: 'alex@contoso.test', body: { requestType: 'userAdd', assignment: { accessPackageId: lab.body.value[0].id } } });
    expect(requested.status).toBe(201);
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
  });

  afterEach(() => {
    // Console errors and page crashes are failures even when the page looked right.
    const found = problems.splice(0);
    expect(found).toEqual([]);
  });

  async function open(upn: string, hash: string, variant: Variant = variants[0]): Promise<Page> {
    const context = await browser.newContext({ locale: variant.locale, colorScheme: variant.colorScheme, viewport: { width: 1100, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`${upn} ${hash}: ${error.message}`));
    page.on('console', (message) => {
      // A refused Graph call is logged by the browser itself; the page handles it (and tests check how).
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`${upn} ${hash}: ${message.text()}`);
    });
    await page.goto(`${server.url}/${hash}`);
    const account = page.getByRole('button', { name: new RegExp(upn.replace(/[.]/g, '\\.')) });
    await account.waitFor();
    return Object.assign(page, { signIn: () => account.click() });
  }

  async function signedIn(upn: string, hash: string, variant?: Variant): Promise<Page> {
    const page = await open(upn, hash, variant);
    await page.getByRole('button', { name: new RegExp(upn.replace(/[.]/g, '\\.')) }).click();
    await page.getByRole('banner').waitFor();
    return page;
  }

  /** axe-core on the page as it is: no serious or critical violation. */
  async function checkAccessibility(page: Page, label: string): Promise<void> {
    await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
    const violations = await page.evaluate(async () => {
      // Runs in the page; this file is typed without the DOM library.
      const axe = (globalThis as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
      // Tabster's focus sentinels (Fluent's arrow-key navigation) are aria-hidden elements that pass
      // focus on at once; axe reports them as focusable hidden content, a known false positive.
      const result = await axe.run({ exclude: [['[data-tabster-dummy]']] }, { resultTypes: ['violations'] });
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
    });
    const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect({ page: label, serious }).toEqual({ page: label, serious: [] });
  }

  async function snapshot(page: Page, name: string, variant: Variant = variants[0]): Promise<void> {
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: join(screenshots, `${name}-${variant.name}.png`), fullPage: true });
    await checkAccessibility(page, `${name}-${variant.name}`);
  }

  it('Diego (Litware, not connected) opens the link and is told in plain words the package is not for him', async () => {
    const page = await signedIn('diego@litware.test', `#/access-packages/${hiddenPackageId}`);
    await page.getByText('This access package is not available to you.').waitFor();
    expect(await page.textContent('body')).not.toMatch(/RequestorNotInScope|ResourceNotFound|404|error/i);
    await snapshot(page, 'package-not-for-you');
  });

  it('Pradeep (Fabrikam, not yet a guest) signs in on the link, is asked to complete the form, answers and submits', async () => {
    const page = await open('pradeep@fabrikam.test', `#/access-packages/${hiddenPackageId}`);
    await snapshot(page, 'sign-in');
    await page.getByRole('button', { name: /pradeep@fabrikam\.test/ }).click();
    await page.getByRole('heading', { name: 'Project Falcon – partner access' }).waitFor();
    await page.getByText('Your request needs approval.').waitFor();
    await page.getByText('Access lasts 90 days.').waitFor();

    // Nothing is sent until the form is complete.
    await page.getByRole('button', { name: 'Submit request' }).click();
    await page.getByText('Check the highlighted fields.').waitFor();
    expect(await page.getByText('This field is required.').count()).toBe(2);
    await snapshot(page, 'package-form-invalid');
    expect((await server.graph('GET', `${em}/assignmentRequests/filterByCurrentUser(on='target')`, { as: 'pradeep@fabrikam.test' })).body.value).toEqual([]);

    await page.getByLabel('What will you work on in Project Falcon?').fill('Firmware for the test rig');
    await page.getByLabel(/Business justification/).fill('Falcon test rig integration');
    await page.getByRole('button', { name: 'Submit request' }).click();
    await page.getByText('Your request has been submitted.').waitFor();
    await snapshot(page, 'package-submitted');

    await page.getByRole('link', { name: 'View my requests' }).click();
    const state = page.getByTestId('request-state').first();
    await page.getByText('Waiting for approval').waitFor();
    expect(await state.textContent()).toBe('Waiting for approval');
  });

  it.each(variants)('every page in $name: rendered, photographed, no serious accessibility violation', async (variant) => {
    const nl = variant.locale.startsWith('nl');
    const signIn = await open('alex@contoso.test', '#/my-access', variant);
    await snapshot(signIn, 'sign-in', variant);
    await signIn.getByRole('button', { name: /alex@contoso\.test/ }).click();
    await signIn.getByTestId('package-list').waitFor();
    expect(await signIn.getByTestId('package-list').getByRole('listitem').count()).toBe(3);
    await snapshot(signIn, 'catalog', variant);

    await signIn.getByRole('searchbox').fill('lab');
    await signIn.getByRole('link', { name: 'Lab equipment' }).waitFor();
    await signIn.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('[data-testid="package-list"] li').length === 1);

    await signIn.goto(`${server.url}/#/my-access/access`);
    await signIn.getByTestId('access-list').waitFor();
    await signIn.getByText('Lab equipment').waitFor();
    await snapshot(signIn, 'my-access', variant);

    const isabel = await signedIn('isabel@fabrikam.test', `#/access-packages/${hiddenPackageId}`, variant);
    await isabel.getByRole('heading', { name: 'Project Falcon – partner access' }).waitFor();
    await isabel.getByLabel(nl ? 'Waaraan ga je werken in Project Falcon?' : 'What will you work on in Project Falcon?').waitFor();
    await snapshot(isabel, 'package-form', variant);

    const pradeep = await signedIn('pradeep@fabrikam.test', '#/my-access/requests', variant);
    await pradeep.getByTestId('request-list').waitFor();
    await snapshot(pradeep, 'my-requests', variant);

    const ruth = await signedIn('ruth@fabrikam.test', '#/my-access/approvals', variant);
    await ruth.getByTestId('approval-list').waitFor();
    await snapshot(ruth, 'approvals', variant);
    await ruth.goto(`${server.url}/#/my-access/reviews`);
    await ruth.getByText(nl ? 'Er wachten geen toegangsbeoordelingen op u.' : 'No access reviews are waiting for you.').waitFor();
    await snapshot(ruth, 'reviews', variant);

    const diego = await signedIn('diego@litware.test', `#/access-packages/${hiddenPackageId}`, variant);
    await diego.getByText(nl ? 'Dit toegangspakket is niet voor u beschikbaar.' : 'This access package is not available to you.').waitFor();
    await snapshot(diego, 'package-not-for-you', variant);
  });

  it('Alex extends and then leaves a package; Isabel cancels her request', async () => {
    const alex = await signedIn('alex@contoso.test', '#/my-access/access');
    await alex.getByTestId('access-list').getByText('Lab equipment').waitFor();
    await alex.getByRole('button', { name: 'Extend' }).click();
    const extend = alex.getByRole('dialog');
    await extend.getByRole('button', { name: 'Request extension' }).click();
    await extend.getByText('This field is required.').waitFor();
    await extend.getByLabel(/Why do you need it longer/).fill('Longer project');
    await extend.getByRole('button', { name: 'Request extension' }).click();
    await alex.getByText('Your extension was requested.').waitFor();
    // The extension's dialog has closed (its exit animation ends) before the next one opens.
    await alex.getByRole('dialog').waitFor({ state: 'detached' });

    await alex.getByRole('button', { name: 'Leave' }).click();
    await alex.getByRole('dialog').getByRole('button', { name: 'Leave' }).click();
    await alex.getByText('You are leaving Lab equipment.').waitFor();

    const { body: requirements } = await server.graph('POST', `${em}/accessPackages/${hiddenPackageId}/getApplicablePolicyRequirements`, { as: 'isabel@fabrikam.test' });
    const submitted = await server.graph('POST', `${em}/assignmentRequests`, {
      as: 'isabel@fabrikam.test',
      body: { requestType: 'userAdd', assignment: { accessPackageId: hiddenPackageId }, justification: 'QA', answers: [{ '@odata.type': '#microsoft.graph.accessPackageAnswerString', value: 'QA', answeredQuestion: { id: requirements.value[0].questions[0].id } }] },
    });
    expect(submitted.status).toBe(201);
    const isabel = await signedIn('isabel@fabrikam.test', '#/my-access/requests');
    await isabel.getByRole('button', { name: 'Cancel request' }).click();
    await isabel.getByRole('dialog').getByRole('button', { name: 'Cancel request' }).click();
    await isabel.getByText('The request was cancelled.').waitFor();
    await isabel.getByTestId('request-state').getByText('Cancelled').waitFor();
  });

  it('Ruth approves on her approvals page; Pradeep sees his access delivered', async () => {
    const ruth = await signedIn('ruth@fabrikam.test', '#/my-access/approvals');
    const list = ruth.getByTestId('approval-list');
    await list.getByText('Pradeep Gupta', { exact: false }).waitFor();
    await list.getByText('Firmware for the test rig', { exact: false }).waitFor();
    await ruth.getByRole('checkbox', { name: /Pradeep Gupta/ }).check();
    await ruth.getByRole('button', { name: 'Approve selected' }).click();
    await ruth.getByRole('dialog').getByLabel(/Justification/).fill('Known engineer');
    await ruth.getByRole('dialog').getByRole('button', { name: 'Approve' }).click();
    await ruth.getByText('1 decision(s) recorded.').waitFor();
    await ruth.getByText('No requests are waiting for your decision.').waitFor();

    const pradeep = await signedIn('pradeep@fabrikam.test', '#/my-access/requests');
    // The list re-reads itself while the request moves: approved, then delivered.
    await pradeep.getByText('Delivered', { exact: true }).waitFor({ timeout: 30_000 });
    await pradeep.getByRole('tab', { name: 'My access' }).click();
    await pradeep.getByTestId('access-list').getByText('Project Falcon – partner access').waitFor();
    await pradeep.getByTestId('access-state').getByText('Active').waitFor();
    await snapshot(pradeep, 'my-access-delivered');

    // Asking again for what he has: the form is complete, so Graph judges, and its reason is shown.
    await pradeep.goto(`${server.url}/#/access-packages/${hiddenPackageId}`);
    await pradeep.getByLabel('What will you work on in Project Falcon?').fill('More firmware');
    await pradeep.getByLabel(/Business justification/).fill('Again');
    await pradeep.getByRole('button', { name: 'Submit request' }).click();
    const refusal = pradeep.getByText(/^Your request was not accepted: .+/);
    await refusal.waitFor();
    const message = (await refusal.textContent()) ?? '';
    expect(message).toMatch(/already has access package 'Project Falcon – partner access'/);
    expect(message).not.toMatch(/\{|"code"|Error:|[0-9a-f]{8}-[0-9a-f]{4}-/);
    await snapshot(pradeep, 'package-refused');
  });
});
