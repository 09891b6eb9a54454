import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, KeyLike, SignJWT } from 'jose';
import type { Browser, Frame, Page } from 'playwright-core';
import { demo } from '../../bot/seed/tenant';
import { launchChromium } from '../helpers/browser';
import { startTestServer, TestServer } from '../helpers/server';
import { screenshot, seriousViolations } from './browserKit';

jest.setTimeout(180_000);

const clientId = '5e3a4c1b-0000-4000-8000-00000000c11e';
const kid = 'teams-host-key';
/** The host page is served as if it were the Teams web client: teams-js trusts this origin. */
const hostUrl = 'https://teams.microsoft.com/_portier-test-host';
const hostHtml = readFileSync(join(__dirname, 'teamsHost.html'), 'utf8');

interface TabConfig {
  entityId: string;
  contentUrl: string;
  websiteUrl: string;
  suggestedDisplayName: string;
}

/**
 * The tabs inside a Teams host: a page of ours plays the Teams web client (teamsHost.html answers
 * teams-js' postMessage protocol) and embeds the tab in an iframe. The server runs with
 * AUTH_MODE=entra and trusts only this test's key (a local JWKS), so what the tab can read proves
 * that Teams SSO (`authentication.getAuthToken`) signed it in.
 */
describe('the Extranet tab inside a Teams host', () => {
  let key: KeyLike;
  let jwks: Server;
  let server: TestServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    key = pair.privateKey;
    const publicJwk = await exportJWK(pair.publicKey);
    jwks = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [{ ...publicJwk, kid, alg: 'RS256', use: 'sig' }] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    server = await startTestServer({
      env: {
        AUTH_MODE: 'entra',
        HOST: '127.0.0.1',
        AAD_APP_CLIENT_ID: clientId,
        AAD_APP_TENANT_ID: demo.contoso.id,
        BOT_ID: '5e3a4c1b-0000-4000-8000-0000000000b0',
        BOT_PASSWORD: 'test-secret',
        AAD_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/discovery/v2.0/keys`,
      },
    });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Chromium asks before a public site frames a loopback one (Local Network Access); real Teams frames
    // the public PUBLIC_URL, so here the permission is granted as a person would grant the prompt.
    await context.grantPermissions(['local-network-access'], { origin: 'https://teams.microsoft.com' });
    // Nothing leaves the machine: the Teams origin is this file, every other https host is refused.
    await context.route('https://teams.microsoft.com/**', (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: hostHtml }));
    await context.route(/^https:\/\/(?!teams\.microsoft\.com\/)/, (route) => route.abort());
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    // What Teams does when the tab asks for a token: Entra ID signs one for the app, for this user.
    await page.exposeFunction('portierMintToken', (oid: string, tid: string) => mintToken(oid, tid));
    await page.goto(hostUrl);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    jwks?.close();
  });

  function mintToken(oid: string, tid: string): Promise<string> {
    const user = Object.values(demo.users).find((u) => u.id === oid);
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ oid, tid, scp: 'access_as_user', name: user?.name ?? 'Unknown', preferred_username: user?.upn ?? '' })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(`https://login.microsoftonline.com/${tid}/v2.0`)
      .setAudience(clientId)
      .setIssuedAt(now - 60)
      .setExpirationTime(now + 3600)
      .sign(key);
  }

  /** Teams' context of a tab in the Project Falcon team, as Teams sends it (the v1 shape teams-js converts). */
  function teamsContext(locale: string, theme: string, entityId = '') {
    return {
      locale,
      theme,
      entityId,
      teamId: '19:falcon@thread.tacv2',
      teamName: demo.projectFalcon.name,
      groupId: demo.projectFalcon.groupId,
      channelId: '19:general@thread.tacv2',
      channelName: 'General',
      userObjectId: demo.users.megan.id,
      userPrincipalName: demo.users.megan.upn,
      tid: demo.contoso.id,
      hostClientType: 'web',
      userTeamRole: 0,
    };
  }

  async function openTab(tabUrl: string, frameContext: 'settings' | 'content', context: ReturnType<typeof teamsContext>): Promise<Frame> {
    await page.evaluate(`window.teamsHost.open(${JSON.stringify({ tabUrl, frameContext, sdkVersion: '2.58.0', context })})`);
    // The host replaced its iframe (a fresh load, like Teams): take the new one.
    const frame = await (await page.$('#tab'))?.contentFrame();
    if (!frame) throw new Error('the host has no tab frame');
    await frame.waitForURL(tabUrl);
    return frame;
  }

  const hostState = (expression: string) => page.evaluate(`window.teamsHost.state.${expression}`);

  let saved: TabConfig;

  it('shows the configuration page in Teams’ locale and registers the Extranet tab for the team on Save', async () => {
    const frame = await openTab(`${server.url}/#/extranet/configure`, 'settings', teamsContext('nl-nl', 'default'));
    await frame.getByRole('heading', { name: 'Het tabblad Extranet toevoegen' }).waitFor();
    await frame.getByText('Extranet voor Project Falcon').waitFor();
    // The page told Teams it may be saved, and registered its save handler.
    await page.waitForFunction('window.teamsHost.state.validity === true');
    expect(await hostState('handlers')).toContain('save');
    expect(await hostState('log.map((m) => m.func)')).toEqual(expect.arrayContaining(['initialize', 'getContext', 'authentication.getAuthToken']));
    await screenshot(page, 'teams-extranet-configure-nl');
    expect(await seriousViolations(frame)).toEqual([]);

    await page.evaluate('window.teamsHost.save()');
    await page.waitForFunction('window.teamsHost.state.saveOutcome !== null');
    expect(await hostState('saveOutcome')).toBe('success');
    saved = (await hostState('savedConfig')) as TabConfig;
    const contentUrl = `${server.url}/#/extranet?groupId=${demo.projectFalcon.groupId}`;
    expect(saved).toEqual({ entityId: `portier-extranet-${demo.projectFalcon.groupId}`, contentUrl, websiteUrl: contentUrl, suggestedDisplayName: 'Extranet' });
  });

  it('opens the saved tab signed in by Teams SSO, in Dutch, and follows Teams’ theme', async () => {
    const frame = await openTab(saved.contentUrl, 'content', teamsContext('nl-nl', 'default', saved.entityId));
    // Only Megan (catalog owner, signed in by the SSO token) sees the hidden package of her catalog.
    await frame.getByRole('tab', { name: 'Toegangspakketten' }).waitFor();
    await frame.getByText(demo.packageName).waitFor();
    expect(await frame.evaluate('document.documentElement.lang')).toBe('nl-NL');
    expect(await frame.evaluate('document.documentElement.dataset.theme')).toBe('webLight');
    const lightBackground = await frame.evaluate("getComputedStyle(document.querySelector('.fui-FluentProvider')).backgroundColor");
    await screenshot(page, 'teams-extranet-light-nl');

    await page.evaluate("window.teamsHost.changeTheme('dark')");
    await frame.waitForFunction("document.documentElement.dataset.theme === 'webDark'");
    const darkBackground = await frame.evaluate("getComputedStyle(document.querySelector('.fui-FluentProvider')).backgroundColor");
    expect(darkBackground).not.toBe(lightBackground);
    await screenshot(page, 'teams-extranet-dark-nl');
    expect(await seriousViolations(frame)).toEqual([]);

    await page.evaluate("window.teamsHost.changeTheme('contrast')");
    await frame.waitForFunction("document.documentElement.dataset.theme === 'teamsHighContrast'");
    await screenshot(page, 'teams-extranet-contrast-nl');
  });

  it('offers the team’s own group and site from the Teams context in the catalog', async () => {
    const frame = await openTab(`${server.url}/#/extranet/catalogs`, 'content', teamsContext('en-us', 'default', saved.entityId));
    // The demo catalog already holds Project Falcon's group and site, so they are listed and not offered again.
    const card = frame.getByRole('listitem').filter({ hasText: demo.catalogName });
    await card.getByText('Project Falcon · SharePoint site').waitFor();
    await card.getByText('Project Falcon · team / group').waitFor();
    expect(await card.getByRole('button', { name: /Add this team/ }).count()).toBe(0);
  });
});
