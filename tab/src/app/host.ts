import type { ThemeName } from './theme';

/**
 * Where the tab runs. Inside Teams (desktop, web, mobile) `app.initialize()` answers with a
 * context; in a plain page it never answers, so the tab does not even try unless it is framed or
 * a mobile host's native bridge is present, and gives up after a short timeout when it does try.
 */
export interface TeamsContext {
  userObjectId?: string;
  userPrincipalName?: string;
  tenantId?: string;
  /** BCP 47, e.g. `nl-nl`. */
  locale: string;
  theme: ThemeName;
  /** The team the tab is pinned in (team tabs): its M365 group id and name. */
  team?: { groupId?: string; displayName?: string; internalId?: string };
  channelId?: string;
  /** `content`, `settings` (configuration page), `remove`, … */
  frameContext?: string;
}

export type HostInfo = { kind: 'teams'; context: TeamsContext } | { kind: 'web' };

/** What the page can tell about its surroundings before loading teams-js. */
export interface HostProbe {
  /** The page is inside an iframe (Teams web and desktop frame every tab). */
  framed: boolean;
  /** Teams mobile injects `window.nativeInterface`. */
  nativeInterface: boolean;
}

/** Whether it is worth asking Teams at all: a top-level page without a native bridge is plain web. */
export function mayBeTeams(probe: HostProbe): boolean {
  return probe.framed || probe.nativeInterface;
}

/**
 * Detects the host: asks Teams (`initialize`, which resolves to the context) when the probe
 * allows, and falls back to plain web when it fails or does not answer within `timeoutMs`.
 */
export async function detectHost(probe: HostProbe, initialize: () => Promise<TeamsContext>, timeoutMs: number): Promise<HostInfo> {
  if (!mayBeTeams(probe)) return { kind: 'web' };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  try {
    const context = await Promise.race([initialize(), timeout]);
    return context ? { kind: 'teams', context } : { kind: 'web' };
  } catch {
    return { kind: 'web' };
  } finally {
    clearTimeout(timer);
  }
}
