import type { app } from '@microsoft/teams-js';
import { detectHost, HostInfo, TeamsContext } from './host';
import { themeFromTeams } from './theme';

/**
 * The browser side of host detection. teams-js is loaded only when the page may be inside Teams,
 * so a plain page (a partner on a direct link) does not pay for it.
 */
type TeamsJs = typeof import('@microsoft/teams-js');
let teamsJs: Promise<TeamsJs> | undefined;

/** teams-js, loaded once on first use. */
export function loadTeamsJs(): Promise<TeamsJs> {
  teamsJs ??= import('@microsoft/teams-js');
  return teamsJs;
}

/** Maps Teams' context to what the tab uses. */
export function contextFromTeams(context: app.Context): TeamsContext {
  return {
    userObjectId: context.user?.id,
    userPrincipalName: context.user?.userPrincipalName,
    tenantId: context.user?.tenant?.id,
    locale: context.app.locale,
    theme: themeFromTeams(context.app.theme),
    team: context.team ? { groupId: context.team.groupId, displayName: context.team.displayName, internalId: context.team.internalId } : undefined,
    channelId: context.channel?.id,
    frameContext: context.page?.frameContext,
  };
}

/** Detects whether this page runs inside Teams (2.5 s at most when framed; at once when not). */
export function detectBrowserHost(): Promise<HostInfo> {
  const probe = { framed: window.parent !== window, nativeInterface: 'nativeInterface' in window };
  return detectHost(
    probe,
    async () => {
      const teams = await loadTeamsJs();
      await teams.app.initialize();
      const context = contextFromTeams(await teams.app.getContext());
      teams.app.notifySuccess();
      return context;
    },
    2500,
  );
}
