import type { Browser, BrowserContext, Page } from 'playwright-core';
import { demo } from '../../bot/seed/tenant';
import { launchChromium } from '../helpers/browser';
import { em, startTestServer, TestServer } from '../helpers/server';
import { devSignIn, screenshot, seriousViolations } from './browserKit';

/**
 * The Extranet team tab end to end in real Chromium, on a directory-only database
 * (`PORTIER_SEED=directory`): the configuration of DESIGN §1 steps 1–7 done with the mouse, then the
 * partner's request through the direct link. Plain web page with the dev sign-in; the tab inside a
 * Teams host is tests/e2e/teamsHost.test.ts.
 */
jest.setTimeout(180_000);

describe('the Extranet tab in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const falcon = demo.projectFalcon;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    server = await startTestServer({ env: { PORTIER_SEED: 'directory', PORTIER_JOB_INTERVAL_MS: '100' } });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A fresh browser profile (own session storage) in `locale` and colour scheme. */
  async function newPage(options: { locale?: string; colorScheme?: 'light' | 'dark' } = {}): Promise<Page> {
    const context = await browser.newContext({ locale: options.locale ?? 'en-US', colorScheme: options.colorScheme ?? 'light', viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const page = await context.newPage();
    // Fail with Playwright's message (what was awaited) well before jest's own timeout.
    page.setDefaultTimeout(20_000);
    return page;
  }

  const extranetUrl = (section = '') => `${server.url}/#/extranet${section ? `/${section}` : ''}?groupId=${falcon.groupId}`;

  async function openAs(upn: string, section = '', options: { locale?: string; colorScheme?: 'light' | 'dark' } = {}): Promise<Page> {
    const page = await newPage(options);
    await page.goto(extranetUrl(section));
    await devSignIn(page, upn);
    await page.getByRole('heading', { level: 1 }).waitFor();
    return page;
  }

  async function expectAccessible(page: Page, name: string): Promise<void> {
    const violations = await seriousViolations(page);
    expect({ page: name, violations }).toEqual({ page: name, violations: [] });
  }

  let packageId = '';

  it('lets Megan connect Fabrikam with Ruth as external sponsor, checking the form first', async () => {
    const page = await openAs(demo.users.megan.upn, 'organizations');
    await page.getByText('No organization is connected yet.').waitFor();
    await page.getByRole('button', { name: 'Connect an organization' }).click();
    const form = page.getByRole('form', { name: 'Connect an organization' });
    // Megan is a catalog creator, not an administrator: she proposes Fabrikam for the policies that name it.
    await form.getByText(/You connect it as proposed/).waitFor();
    // Nothing is sent until the form is right.
    await form.getByRole('button', { name: 'Connect' }).click();
    await form.getByText('Fill this in.').first().waitFor();
    await form.getByLabel('Name').fill('Fabrikam');
    await form.getByLabel('Description').fill('Engineering partner on Project Falcon.');
    await form.getByRole('textbox', { name: 'Domain' }).fill('fabrikam');
    await form.getByRole('button', { name: 'Connect' }).click();
    await form.getByText('Enter a domain such as fabrikam.com.').waitFor();
    await form.getByRole('textbox', { name: 'Domain' }).fill('fabrikam.test');
    await pickPerson(page, form.getByRole('combobox', { name: /Internal sponsors/ }), 'Adele', 'Adele Vance');
    await pickPerson(page, form.getByRole('combobox', { name: /External sponsors/ }), 'Ruth', 'Ruth Fabrikam (Guest)');
    await form.getByRole('button', { name: 'Connect' }).click();
    const card = page.getByRole('listitem').filter({ hasText: 'Fabrikam' });
    await card.getByText('Domain fabrikam.test').waitFor();
    await card.getByText('Ruth Fabrikam (Guest)').waitFor();

    await card.getByText('Proposed', { exact: true }).waitFor();
    await card.getByRole('button', { name: 'Delete organization' }).waitFor();
    // Configuring it for every package is the administrator's (the last steps below).
    expect(await card.getByRole('button', { name: 'Configure for every package' }).count()).toBe(0);

    const orgs = await server.graph('GET', `${em}/connectedOrganizations?$expand=externalSponsors,internalSponsors`, { as: demo.users.admin.upn });
    expect(orgs.body.value).toHaveLength(1);
    expect(orgs.body.value[0]).toMatchObject({ displayName: 'Fabrikam', state: 'proposed', identitySources: [{ domainName: 'fabrikam.test' }] });
    expect(orgs.body.value[0].externalSponsors.map((u: { id: string }) => u.id)).toEqual([demo.ruthGuest.id]);
    expect(orgs.body.value[0].internalSponsors.map((u: { id: string }) => u.id)).toEqual([demo.users.adele.id]);
    await screenshot(page, 'extranet-organizations-light');
    await expectAccessible(page, 'organizations');
  });

  async function pickPerson(page: Page, combobox: ReturnType<Page['getByRole']>, typed: string, option: string): Promise<void> {
    await combobox.fill(typed);
    await page.getByRole('option', { name: new RegExp(`^${option.replace(/[()]/g, (c) => `\\${c}`)}`) }).click();
  }

  it('lets Megan create the catalog and add Project Falcon’s team and site from the tab’s team', async () => {
    const page = await openAs(demo.users.megan.upn, 'catalogs');
    await page.getByRole('button', { name: 'New catalog' }).click();
    const form = page.getByRole('form', { name: 'New catalog' });
    await form.getByLabel('Name').fill(demo.catalogName);
    await form.getByLabel('Description').fill('Resources shared with Fabrikam.');
    expect(await form.getByRole('switch', { name: 'Enabled for external users' }).isChecked()).toBe(true);
    await form.getByRole('button', { name: 'Create' }).click();
    const card = page.getByRole('listitem').filter({ hasText: demo.catalogName });
    await card.getByRole('button', { name: 'Add this team (Project Falcon)' }).click();
    await card.getByText('Project Falcon · team / group').waitFor();
    await card.getByRole('button', { name: 'Add this team’s site (Project Falcon)' }).click();
    await card.getByText('Project Falcon · SharePoint site').waitFor();
    expect(await card.getByRole('button', { name: /Add this team/ }).count()).toBe(0);

    const catalogs = await server.graph('GET', `${em}/catalogs`, { as: demo.users.megan.upn });
    expect(catalogs.body.value).toEqual([expect.objectContaining({ displayName: demo.catalogName, state: 'published', isExternallyVisible: true })]);
    await screenshot(page, 'extranet-catalogs-light');
    await expectAccessible(page, 'catalogs');
  });

  it('lets Megan create the package with the team’s and site’s member roles, set the policy, hide it and copy its link', async () => {
    const page = await openAs(demo.users.megan.upn, 'packages');
    await page.getByText('There is no access package you manage yet.').waitFor();
    await page.getByRole('button', { name: 'New access package' }).click();
    const form = page.getByRole('form', { name: 'New access package' });
    await form.getByLabel('Name').fill(demo.packageName);
    await form.getByLabel('Description').fill('Member of the Project Falcon team and its site, for Fabrikam engineers.');
    await form.getByRole('button', { name: 'Create' }).click();

    await page.getByRole('heading', { name: demo.packageName }).waitFor();
    await page.getByText('This package grants no role yet.').waitFor();
    for (const role of ['Member of Project Falcon (team / group)', 'Project Falcon Members of Project Falcon (SharePoint site)']) {
      await page.getByRole('combobox', { name: 'Add a role' }).click();
      await page.getByRole('option', { name: role }).click();
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await page.getByRole('list', { name: 'Resource roles' }).getByText(role).waitFor();
    }

    await page.getByRole('button', { name: 'New policy' }).click();
    const wizard = page.getByRole('form', { name: 'New policy' });
    // Step 1: requests and approval — checked before moving on.
    await wizard.getByRole('button', { name: 'Next' }).click();
    await wizard.getByText('Some fields need your attention.').waitFor();
    await wizard.getByText('Choose at least one connected organization.').waitFor();
    await wizard.getByLabel('Policy name').fill('Fabrikam partners');
    await wizard.getByRole('checkbox', { name: 'Fabrikam' }).check();
    expect(await wizard.getByRole('combobox', { name: 'First approver' }).textContent()).toContain('External sponsors');
    await pickPerson(page, wizard.getByRole('combobox', { name: /Fallback approvers/ }), 'Lee', 'Lee Gu');
    await wizard.getByRole('button', { name: 'Next' }).click();
    // Step 2: requestor information.
    expect(await wizard.getByRole('checkbox', { name: 'Requestors must give a reason' }).isChecked()).toBe(true);
    await wizard.getByRole('button', { name: 'Add a question' }).click();
    await wizard.getByLabel('Question (English)').fill('What will you work on in Project Falcon?');
    await wizard.getByLabel('Question in Dutch (optional)').fill('Waaraan ga je werken in Project Falcon?');
    await wizard.getByRole('button', { name: 'Next' }).click();
    // Step 3: lifecycle — 90 days, quarterly review.
    expect(await wizard.getByRole('radio', { name: 'After a number of days' }).isChecked()).toBe(true);
    expect(await wizard.getByRole('textbox', { name: 'Number of days' }).inputValue()).toBe('90');
    await wizard.getByRole('switch', { name: 'Review access regularly' }).check();
    expect(await wizard.getByRole('combobox', { name: 'How often' }).textContent()).toContain('Quarterly');
    await screenshot(page, 'extranet-policy-wizard-light');
    await expectAccessible(page, 'policy wizard');
    await wizard.getByRole('button', { name: 'Create policy' }).click();

    const policy = page.getByRole('list', { name: 'Policies' }).getByRole('listitem');
    await policy.getByText('Users of Fabrikam').waitFor();
    await policy.getByText('After 90 days').waitFor();
    await policy.getByText('Quarterly').waitFor();
    await policy.getByText(/External sponsors of the requestor’s organization \(fallback: Lee Gu\)/).waitFor();

    await page.getByRole('button', { name: 'Hide' }).click();
    await page.getByRole('button', { name: 'Show in the list' }).waitFor();
    await page.getByRole('button', { name: 'Copy link' }).click();
    await page.getByText('Link copied.').waitFor();
    const link = await page.evaluate('navigator.clipboard.readText()');
    const shown = await page.getByLabel('Direct link for partners').inputValue();
    expect(link).toBe(shown);
    const match = /^(.*)\/#\/access-packages\/([^/?#]+)$/.exec(String(link));
    expect(match?.[1]).toBe(server.portier.config.publicUrl);
    packageId = decodeURIComponent(match?.[2] ?? '');

    const stored = await server.graph('GET', `${em}/accessPackages/${packageId}?$expand=resourceRoleScopes($expand=role,scope),assignmentPolicies`, { as: demo.users.megan.upn });
    expect(stored.body).toMatchObject({ displayName: demo.packageName, isHidden: true });
    expect(stored.body.resourceRoleScopes.map((rs: { role: { originId: string } }) => rs.role.originId).sort()).toEqual(['5', `Member_${falcon.groupId}`]);
    expect(stored.body.assignmentPolicies[0]).toMatchObject({
      allowedTargetScope: 'specificConnectedOrganizationUsers',
      expiration: { type: 'afterDuration', duration: 'P90D' },
      requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [{ primaryApprovers: [{ '@odata.type': '#microsoft.graph.externalSponsors' }], fallbackPrimaryApprovers: [{ userId: demo.users.lee.id }] }] },
      reviewSettings: { isEnabled: true, schedule: { recurrence: { pattern: { type: 'absoluteMonthly', interval: 3 } } } },
    });
    await screenshot(page, 'extranet-package-light');
    await expectAccessible(page, 'package');
  });

  it('lets Pradeep request the hidden package from the link, Ruth approve it, and Pradeep see it delivered', async () => {
    expect(packageId).not.toBe('');
    const pradeep = await newPage();
    await pradeep.goto(`${server.url}/#/access-packages/${encodeURIComponent(packageId)}`);
    await devSignIn(pradeep, 'pradeep@fabrikam.test');
    await pradeep.getByRole('heading', { name: demo.packageName }).waitFor();
    await pradeep.getByLabel('What will you work on in Project Falcon?').fill('Firmware for the test rig');
    await pradeep.getByLabel(/Business justification/).fill('Falcon test rig integration');
    await pradeep.getByRole('button', { name: 'Submit request' }).click();
    await pradeep.getByText('Your request has been submitted.').waitFor();

    const ruth = await newPage();
    await ruth.goto(`${server.url}/#/my-access/approvals`);
    await devSignIn(ruth, 'ruth@fabrikam.test');
    await ruth.getByTestId('approval-list').getByText('Firmware for the test rig', { exact: false }).waitFor();
    await ruth.getByRole('checkbox', { name: /Pradeep Gupta/ }).check();
    await ruth.getByRole('button', { name: 'Approve selected' }).click();
    await ruth.getByRole('dialog').getByLabel(/Justification/).fill('Known engineer');
    await ruth.getByRole('dialog').getByRole('button', { name: 'Approve' }).click();
    await ruth.getByText('1 decision(s) recorded.').waitFor();

    await pradeep.goto(`${server.url}/#/my-access/requests`);
    await pradeep.getByText('Delivered', { exact: true }).waitFor({ timeout: 30_000 });
    await pradeep.getByRole('tab', { name: 'My access' }).click();
    await pradeep.getByTestId('access-list').getByText(demo.packageName).waitFor();
  });

  it('shows Megan the request and Pradeep’s access, and lets her revoke it', async () => {
    const page = await openAs(demo.users.megan.upn, 'requests');
    const request = page.getByRole('row').filter({ hasText: 'Pradeep Gupta' }).filter({ hasText: 'Request' });
    await request.getByText('Delivered').waitFor();
    await request.getByText('Falcon test rig integration').waitFor();
    await screenshot(page, 'extranet-requests-light');
    await expectAccessible(page, 'requests');

    await page.getByRole('tab', { name: 'Assignments' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Pradeep Gupta' });
    await row.getByText('Active').waitFor();
    await screenshot(page, 'extranet-assignments-light');
    await expectAccessible(page, 'assignments');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByText(`Revoke ${demo.packageName} from Pradeep Gupta`).waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('Nobody has access yet.').waitFor({ timeout: 30_000 });
    const assignments = await server.graph('GET', `${em}/assignments?$filter=state eq 'delivered'`, { as: demo.users.megan.upn });
    expect(assignments.body.value).toEqual([]);
    const removal = await server.graph('GET', `${em}/assignmentRequests?$filter=requestType eq 'adminRemove'`, { as: demo.users.megan.upn });
    expect(removal.body.value).toHaveLength(1);
  });

  it('shows Graph’s own message when the server refuses a change', async () => {
    const page = await openAs(demo.users.megan.upn, 'catalogs');
    const card = page.getByRole('listitem').filter({ hasText: demo.catalogName });
    await card.getByRole('listitem').filter({ hasText: 'Project Falcon · team / group' }).getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    // The package still hands out the team's Member role, so the engine refuses (409 ResourceInUse) and says why.
    await card.getByRole('alert').getByText(`The resource 'Project Falcon' is used by access package '${demo.packageName}'; remove its roles from the access packages first.`).waitFor();
    await card.getByText('Project Falcon · team / group').waitFor();
  });

  it('shows the administrator the audit log, lets them configure Megan’s proposed Fabrikam and change the external user lifecycle', async () => {
    const page = await openAs(demo.users.admin.upn, 'audit');
    await page.getByRole('row').filter({ hasText: 'Megan Bowen' }).first().waitFor();
    await page.getByRole('cell', { name: demo.packageName }).first().waitFor();
    await screenshot(page, 'extranet-audit-light');
    await expectAccessible(page, 'audit');

    await page.getByRole('tab', { name: 'Connected organizations' }).click();
    const fabrikam = page.getByRole('listitem').filter({ hasText: 'Fabrikam' });
    await fabrikam.getByRole('button', { name: 'Configure for every package' }).click();
    await fabrikam.getByText('Configured', { exact: true }).waitFor();
    expect(await fabrikam.getByRole('button', { name: 'Configure for every package' }).count()).toBe(0);
    const orgs = await server.graph('GET', `${em}/connectedOrganizations`, { as: demo.users.admin.upn });
    expect(orgs.body.value.map((o: { state: string }) => o.state)).toEqual(['configured']);

    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('radio', { name: 'Block sign-in, then delete the guest' }).check();
    await page.getByLabel('Delete after (days)').fill('0');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Enter a whole number of 1 or more.').waitFor();
    await page.getByLabel('Delete after (days)').fill('45');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Settings saved.').waitFor();
    const settings = await server.graph('GET', `${em}/settings`, { as: demo.users.admin.upn });
    expect(settings.body).toMatchObject({ externalUserLifecycleAction: 'blockSignInAndDelete', durationUntilExternalUserDeletedAfterBlocked: 'P45D' });
    await screenshot(page, 'extranet-settings-light');
    await expectAccessible(page, 'settings');
  });

  it('shows the pages in the dark theme and in Dutch, accessible in both', async () => {
    const dark = await openAs(demo.users.megan.upn, 'packages', { colorScheme: 'dark' });
    await dark.getByRole('link', { name: demo.packageName }).or(dark.getByRole('button', { name: demo.packageName })).click();
    await dark.getByRole('heading', { name: demo.packageName }).waitFor();
    expect(await dark.evaluate('document.documentElement.dataset.theme')).toBe('webDark');
    await screenshot(dark, 'extranet-package-dark');
    await expectAccessible(dark, 'package (dark)');

    const dutch = await openAs(demo.users.megan.upn, 'catalogs', { locale: 'nl-NL' });
    await dutch.getByRole('tab', { name: 'Catalogi' }).waitFor();
    await dutch.getByText('Project Falcon · SharePoint-site').waitFor();
    await screenshot(dutch, 'extranet-catalogs-nl');
    await expectAccessible(dutch, 'catalogs (nl)');
    await dutch.getByRole('tab', { name: 'Toegangspakketten' }).click();
    await dutch.getByRole('button', { name: 'Nieuw toegangspakket' }).click();
    await dutch.getByRole('form', { name: 'Nieuw toegangspakket' }).getByRole('button', { name: 'Maken' }).click();
    await dutch.getByText('Vul dit in.').waitFor();
    await screenshot(dutch, 'extranet-packages-nl');
  });

  it('shows Alex, a member without a role, no management actions', async () => {
    const page = await openAs(demo.users.alex.upn);
    await page.getByText('Nothing to manage here').waitFor();
    expect(await page.getByRole('tab').count()).toBe(0);
    // The only button is signing out: no management action at all.
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    await page.goto(extranetUrl('settings'));
    await page.getByText('Nothing to manage here').waitFor();
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    await screenshot(page, 'extranet-alex');
    await expectAccessible(page, 'no role');
  });
});
