import { loadTeamsJs } from './teams';

/**
 * Who is signed in and how the tab gets a bearer token for Graph. Three ways, one interface:
 * - inside Teams: Teams SSO (`authentication.getAuthToken`), which Teams caches and renews;
 * - outside Teams with `AUTH_MODE=dev`: a picker of the demo accounts, token from `POST /api/dev/token`;
 * - outside Teams with `AUTH_MODE=entra`: MSAL (multi-tenant), so a partner signs in at home.
 * The page never holds a secret: `/api/config` gives only public values.
 */
export interface DevAccount {
  upn: string;
  displayName: string;
  /** The person's organization (Contoso, Fabrikam, …), for grouping the picker. */
  organization: string;
}

/** `GET /api/config`: public settings the page needs before anyone signs in. */
export interface PublicConfig {
  authMode: 'dev' | 'entra';
  /** Where Graph is, relative to the page or absolute (`/graph/` for the embedded Graph). */
  graphBaseUrl: string;
  /** PUBLIC_URL: the base of the direct links to access packages. */
  publicUrl?: string;
  clientId?: string;
  authority?: string;
  scopes?: string[];
  devAccounts?: DevAccount[];
}

export interface SignedInUser {
  displayName: string;
  userPrincipalName: string;
}

export interface Session {
  user: SignedInUser;
  getToken(): Promise<string>;
  /** Absent inside Teams, where Teams owns the sign-in. */
  signOut?(): void;
}

export async function loadPublicConfig(): Promise<PublicConfig> {
  const response = await fetch('/api/config', { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`config ${response.status}`);
  return (await response.json()) as PublicConfig;
}

/** The claims of a JWT's payload (not verified: only for showing a name; the server verifies). */
export function tokenClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (!payload) return {};
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='));
    const claims: unknown = JSON.parse(decodeURIComponent(escape(json)));
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function userFromClaims(claims: Record<string, unknown>, fallbackUpn = ''): SignedInUser {
  const upn = String(claims.preferred_username ?? claims.upn ?? claims.email ?? fallbackUpn);
  return { displayName: String(claims.name ?? upn), userPrincipalName: upn };
}

/** Teams SSO: the first token tells who is signed in. */
export async function teamsSession(): Promise<Session> {
  const teams = await loadTeamsJs();
  const getToken = () => teams.authentication.getAuthToken();
  const user = userFromClaims(tokenClaims(await getToken()));
  return { user, getToken };
}

const devStorageKey = 'portier.devSession';

interface StoredDevSession {
  token: string;
  expiresAt: number;
  user: SignedInUser;
}

/** A dev session kept from earlier in this browser tab, if its token is still good for a minute. */
export function storedDevSession(now = Date.now()): Session | undefined {
  try {
    const raw = sessionStorage.getItem(devStorageKey);
    if (!raw) return undefined;
    const stored = JSON.parse(raw) as StoredDevSession;
    if (typeof stored.token !== 'string' || stored.expiresAt < now + 60_000) return undefined;
    return devSessionOf(stored);
  } catch {
    return undefined;
  }
}

function devSessionOf(stored: StoredDevSession): Session {
  return {
    user: stored.user,
    getToken: async () => stored.token,
    signOut: () => {
      sessionStorage.removeItem(devStorageKey);
      location.reload();
    },
  };
}

/** Dev sign-in as `upn` (a directory user or a partner's home account). Throws the server's message. */
export async function devSignIn(upn: string): Promise<Session> {
  const response = await fetch('/api/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ upn }),
  });
  const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: { message?: string } };
  if (!response.ok || !body.access_token) throw new Error(body.error?.message ?? `Sign-in failed (${response.status}).`);
  const stored: StoredDevSession = {
    token: body.access_token,
    expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000,
    user: userFromClaims(tokenClaims(body.access_token), upn),
  };
  sessionStorage.setItem(devStorageKey, JSON.stringify(stored));
  return devSessionOf(stored);
}

/**
 * MSAL outside Teams. Returns the session when someone is signed in (or just came back from the
 * sign-in redirect), else a function that starts the redirect and returns to this very page.
 */
export async function msalSession(config: PublicConfig): Promise<{ session: Session } | { signIn: () => Promise<void> }> {
  if (!config.clientId || !config.scopes) throw new Error('The server has no app registration configured.');
  const { createStandardPublicClientApplication, InteractionRequiredAuthError } = await import('@azure/msal-browser');
  const msal = await createStandardPublicClientApplication({
    auth: { clientId: config.clientId, authority: config.authority ?? 'https://login.microsoftonline.com/organizations', redirectUri: `${location.origin}/` },
    cache: { cacheLocation: 'sessionStorage' },
  });
  const scopes = config.scopes;
  const redirected = await msal.handleRedirectPromise();
  const account = redirected?.account ?? msal.getAllAccounts()[0];
  if (!account) return { signIn: () => msal.loginRedirect({ scopes, redirectStartPage: location.href }) };
  msal.setActiveAccount(account);
  return {
    session: {
      user: { displayName: account.name ?? account.username, userPrincipalName: account.username },
      async getToken() {
        try {
          return (await msal.acquireTokenSilent({ scopes, account })).accessToken;
        } catch (error) {
          if (error instanceof InteractionRequiredAuthError) await msal.acquireTokenRedirect({ scopes, account, redirectStartPage: location.href });
          throw error;
        }
      },
      signOut: () => void msal.logoutRedirect({ account, postLogoutRedirectUri: location.href }),
    },
  };
}
