import type { Client } from '@microsoft/microsoft-graph-client';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { createGraphClient } from '../../../bot/graph/client';
import { withoutIds } from './messages';

/**
 * The Graph client of the tabs: the same `@microsoft/microsoft-graph-client` the bot uses, with
 * the base URL from `/api/config` (Portier's embedded Graph, or Microsoft Graph). Components call
 * Graph's documented paths only, so the same code runs against both.
 */
export function tabGraphClient(graphBaseUrl: string, getToken: () => Promise<string>): Client {
  const baseUrl = new URL(graphBaseUrl, location.origin).toString();
  return createGraphClient({ baseUrl, token: getToken, retries: 2 });
}

/** The entitlement management API's path prefix. */
export const em = '/identityGovernance/entitlementManagement';

/** A Graph collection page. */
export interface Page<T> {
  value: T[];
  '@odata.nextLink'?: string;
  '@odata.count'?: number;
}

/**
 * What to tell a person when Graph refuses: Graph's own error message (written for people), or a
 * generic sentence for network failures. Never a stack trace or a raw body.
 */
export function graphErrorMessage(error: unknown, fallback: string): string {
  if (error instanceof GraphError && error.message && error.statusCode > 0) return withoutIds(error.message);
  return fallback;
}

/** Graph's error code (`RequestorNotInScope`, …) when Graph refused, else undefined. */
export function graphErrorCode(error: unknown): string | undefined {
  return error instanceof GraphError ? error.code ?? undefined : undefined;
}

/** Graph's HTTP status when Graph refused, else undefined. */
export function graphErrorStatus(error: unknown): number | undefined {
  return error instanceof GraphError && error.statusCode > 0 ? error.statusCode : undefined;
}

/**
 * The path (with query) to give `client.api()` for an `@odata.nextLink`. The SDK takes absolute
 * URLs only for https hosts, and the embedded Graph is http on localhost; a link that leaves Graph's
 * base URL is refused, so a token is never sent elsewhere.
 */
export function nextLinkPath(nextLink: string, graphBaseUrl: string): string {
  const base = new URL(graphBaseUrl, location.origin);
  const link = new URL(nextLink, base);
  if (link.origin !== base.origin || !link.pathname.startsWith(base.pathname)) throw new Error('The next page is not on Graph.');
  return `/${link.pathname.slice(base.pathname.length).replace(/^v1\.0\//, '')}${link.search}`;
}
