import type { Client } from '@microsoft/microsoft-graph-client';
import { startFirstLoads } from '../myaccess/firstPage';
import { loadPublicConfig, msalSession, PublicConfig, Session, storedDevSession, teamsSession } from './auth';
import { EarlyLoads } from './earlyLoads';
import { tabGraphClient } from './graph';
import type { HostInfo } from './host';
import { parseRoute } from './route';
import { detectBrowserHost } from './teams';

/**
 * Starting the tab without React: detect the host, read the server's settings, sign in, and start
 * the first page's Graph calls and code. `main.tsx` runs this while the app's code (React, Fluent,
 * the pages) is still loading, so none of it waits for that code; nothing here imports it.
 */
export type Boot =
  | { state: 'starting' }
  | { state: 'failed' }
  | { state: 'signIn'; host: HostInfo; config: PublicConfig; entraSignIn?: () => Promise<void> }
  | { state: 'ready'; host: HostInfo; config: PublicConfig; session: Session; graph: Client; early: EarlyLoads; firstPage: Promise<void> };

/**
 * Signed in: the Graph client, and the first page's requests and code started at once. `firstPage`
 * settles when they are there (never rejects: a failure is the page's to show).
 */
export function ready(host: HostInfo, config: PublicConfig, session: Session): Boot {
  const graph = tabGraphClient(config.graphBaseUrl, session.getToken);
  const early = new EarlyLoads();
  const firstPage = startFirstLoads(early, graph, parseRoute(location.hash));
  return { state: 'ready', host, config, session, graph, early, firstPage };
}

/** Detects the host, reads the server's settings and signs in (from what the browser kept); signed in, the first page's loads start. */
export async function boot(): Promise<Boot> {
  const [host, config] = await Promise.all([detectBrowserHost(), loadPublicConfig()]);
  if (host.kind === 'teams') return ready(host, config, await teamsSession());
  if (config.authMode === 'dev') {
    const session = storedDevSession();
    return session ? ready(host, config, session) : { state: 'signIn', host, config };
  }
  const msal = await msalSession(config);
  return 'session' in msal ? ready(host, config, msal.session) : { state: 'signIn', host, config, entraSignIn: msal.signIn };
}
