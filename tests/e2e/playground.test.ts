import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { demo } from '../../bot/seed/tenant';
import { type PlaygroundRun, startPlayground } from '../../scripts/playground';
import { dropTestDatabase, testDatabaseUrl } from '../helpers/server';

/**
 * The bot with Microsoft's own client: `startPlayground` (what `npm run playground` runs) starts Portier on a
 * fresh database and the Microsoft 365 Agents Playground, offline, with Ruth (guest, Fabrikam's external
 * sponsor) as the Playground's user; headless Chromium drives the Playground's page as she would. The
 * Playground posts her messages and card clicks to `/api/messages` and hosts the connector Portier's proactive
 * messages and card updates go to. Screenshots: artifacts/playground/ (ignored by git).
 */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const screenshotDir = resolve(__dirname, '../../artifacts/playground');
const em = 'identityGovernance/entitlementManagement';

jest.setTimeout(300_000);

describe('Agents Playground: Ruth approves a partner request in her Teams chat', () => {
  let run: PlaygroundRun;
  let browser: Browser;
  let page: Page;
  let databaseUrl: string;
  let workDir: string;

  const token = async (upn: string): Promise<string> => {
    const res = await fetch(`${run.portierUrl}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ upn }) });
    if (res.status !== 200) throw new Error(`dev token for ${upn}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { access_token: string }).access_token;
  };
  const graph = async (as: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${run.portierUrl}/graph/v1.0/${path}`, {
      method,
      headers: { authorization: `Bearer ${await token(as)}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  /** The personal chat's messages area (the Playground renders the bot's messages and cards there). */
  const chat = () => page.locator('main, [role="main"], body').first();
  const shot = async (name: string) => {
    mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: join(screenshotDir, name), fullPage: false });
  };

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'portier-playground-'));
    databaseUrl = testDatabaseUrl();
    run = await startPlayground({
      portierPort: 0,
      playgroundPort: 0,
      databaseUrl,
      workDir,
      user: demo.partners.ruth.upn,
      // Notices leave within a quarter of a second instead of the production second.
      serverEnv: { PORTIER_JOB_INTERVAL_MS: '250', LOG_LEVEL: 'info' },
      startTimeoutMs: 120_000,
    });
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(run.playgroundUrl, { waitUntil: 'load' });
    // The Playground is the current user's: Ruth, by her guest object id in Contoso.
    await page.getByText(run.config.currentUser.name).first().waitFor({ timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await run?.stop();
    if (databaseUrl) await dropTestDatabase(databaseUrl);
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const say = async (text: string) => {
    const box = page.locator('[data-lexical-editor="true"]').first();
    await box.click();
    await box.fill(text);
    await page.keyboard.press('Enter');
  };

  it('is configured with Ruth as the current user and five Contoso people from the directory', () => {
    expect(run.config.version).toBe('0.1.1');
    expect(run.config.currentUser.aadObjectId).toBe(demo.ruthGuest.id);
    expect(run.config.tenantId).toBe(demo.contoso.id);
    expect(run.config.users).toHaveLength(5);
    expect(run.config.users.map((u) => u.aadObjectId)).not.toContain(demo.ruthGuest.id);
  });

  it('Ruth says help and Portier answers in her personal chat', async () => {
    await say('help');
    await chat().getByText('What Portier can do').first().waitFor({ timeout: 60_000 });
    await shot('1-help.png');
  });

  it("Pradeep's request arrives as an approval card; Ruth approves it there and the request is delivered", async () => {
    const pkg = await graph('admin@contoso.test', 'GET', `${em}/accessPackages?$filter=displayName eq '${demo.packageName}'`);
    expect(pkg.status).toBe(200);
    const packageId = pkg.body.value[0].id as string;
    const requirements = await graph(demo.partners.pradeep.upn, 'POST', `${em}/accessPackages/${packageId}/getApplicablePolicyRequirements`);
    expect(requirements.status).toBe(200);
    const questionId = requirements.body.value[0].questions[0].id as string;
    const submitted = await graph(demo.partners.pradeep.upn, 'POST', `${em}/assignmentRequests`, {
      requestType: 'userAdd',
      assignment: { accessPackageId: packageId },
      justification: 'Falcon test rig integration',
      answers: [{ '@odata.type': '#microsoft.graph.accessPackageAnswerString', value: 'Firmware', answeredQuestion: { id: questionId } }],
    });
    expect(submitted.status).toBe(201);
    const requestId = submitted.body.id as string;

    // The approval card reaches Ruth's chat through the Playground's connector.
    const card = chat().locator('.ac-adaptiveCard', { hasText: demo.partners.pradeep.name }).last();
    await card.waitFor({ timeout: 90_000 });
    await card.getByText(demo.packageName).first().waitFor();
    await shot('2-approval-card.png');

    const justification = card.locator('input, textarea').first();
    if (await justification.count()) await justification.fill('Known Fabrikam engineer');
    await card.getByRole('button', { name: 'Approve' }).click();

    // The invoke answers with the refreshed card: decided, by Ruth, no buttons left.
    const decided = chat().locator('.ac-adaptiveCard', { hasText: `Approved by ${demo.ruthGuest.name}` }).last();
    await decided.waitFor({ timeout: 60_000 });
    await shot('3-approved.png');
    await decided.getByText(demo.partners.pradeep.name).first().waitFor();
    expect(await decided.getByRole('button', { name: 'Approve' }).count()).toBe(0);

    // The engine delivers: Pradeep becomes a guest with the package (read through Graph as the admin).
    const deadline = Date.now() + 90_000;
    let state = '';
    while (Date.now() < deadline) {
      const res = await graph('admin@contoso.test', 'GET', `${em}/assignmentRequests/${requestId}`);
      expect(res.status).toBe(200);
      state = res.body.state as string;
      if (state === 'delivered') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(state).toBe('delivered');
    const stages = await graph('admin@contoso.test', 'GET', `${em}/accessPackageAssignmentApprovals/${requestId}/stages`);
    expect(stages.body.value[0]).toMatchObject({ reviewResult: 'Approve', reviewedBy: { id: demo.ruthGuest.id } });
  });

  it('Ruth pastes a direct link, submits the form in chat, and its status card follows her request to delivered', async () => {
    const pkg = await graph('admin@contoso.test', 'GET', `${em}/accessPackages?$filter=displayName eq '${demo.packageName}'`);
    const packageId = pkg.body.value[0].id as string;
    await say(`http://localhost:3978/#/access-packages/${packageId}`);
    const form = chat().locator('.ac-adaptiveCard', { hasText: `Request ${demo.packageName}` }).last();
    await form.waitFor({ timeout: 60_000 });
    const inputs = form.locator('input, textarea');
    expect(await inputs.count()).toBeGreaterThanOrEqual(2);
    await inputs.nth(0).fill('Sponsor reviews');
    await inputs.nth(1).fill('Sponsoring Fabrikam on Falcon');
    await shot('4-request-form.png');
    await form.getByRole('button', { name: 'Submit request' }).click();

    // The status card takes the form's place; the submitted notice sends no second one.
    const status = chat().locator('.ac-adaptiveCard', { hasText: 'Request status:' });
    await status.last().getByText(/Request status: (submitted|waiting for approval)/).waitFor({ timeout: 60_000 });
    const mine = await graph(demo.partners.ruth.upn, 'GET', `${em}/assignmentRequests/filterByCurrentUser(on='target')?$filter=state eq 'pendingApproval' or state eq 'submitted'`);
    expect(mine.status).toBe(200);
    const requestId = mine.body.value[0].id as string;

    // Ruth cannot approve her own request: Lee, the fallback approver, approves it (through Graph).
    let stageId = '';
    for (const deadline = Date.now() + 60_000; !stageId && Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      const stages = await graph('lee@contoso.test', 'GET', `${em}/accessPackageAssignmentApprovals/${requestId}/stages`);
      stageId = stages.status === 200 ? ((stages.body.value[0]?.id as string | undefined) ?? '') : '';
    }
    expect((await graph('lee@contoso.test', 'PATCH', `${em}/accessPackageAssignmentApprovals/${requestId}/stages/${stageId}`, { reviewResult: 'Approve', justification: 'Our sponsor' })).status).toBe(204);

    await status.last().getByText('Request status: delivered').waitFor({ timeout: 90_000 });
    await chat().getByText(`You now have access to ${demo.packageName}`).first().waitFor({ timeout: 60_000 });
    await shot('5-status-delivered.png');
    expect(await status.count()).toBe(1);
    expect(await status.last().getByRole('button', { name: 'Cancel request' }).count()).toBe(0);
  });
});
