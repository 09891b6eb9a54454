import { sql } from 'kysely';
import type { Scope } from '../../odata/engine';
import type { GraphResponse } from '../../router';

/**
 * Pieces the directory routes share: link-table scopes for navigation collections, and the
 * `@odata.type` that Graph puts on each item of a directoryObject collection (members, sponsors, …).
 */

/** Rows whose id appears as `to` in `table` next to `from = value`: e.g. the members of one group. */
export function linkedTo(table: 'group_members' | 'group_owners' | 'user_sponsors', from: string, value: string, to: string): Scope {
  return (alias) => sql`${sql.ref(`${alias}.id`)} in (select ${sql.ref(`l.${to}`)} from ${sql.table(table)} as ${sql.ref('l')} where ${sql.ref(`l.${from}`)} = ${value})`;
}

/** Adds `@odata.type` to a single-object response typed `directoryObject` in Graph (e.g. `manager`). */
export function asDirectoryObject(response: GraphResponse, type: 'user' | 'group'): GraphResponse {
  const body = response.body as Record<string, unknown> | undefined;
  if (!body) return response;
  const { '@odata.context': context, ...value } = body;
  return { ...response, body: { '@odata.context': context, '@odata.type': `#microsoft.graph.${type}`, ...value } };
}

/** Adds `@odata.type` to each item of a collection response typed `directoryObject` in Graph. */
export function asDirectoryObjects(response: GraphResponse, type: 'user' | 'group'): GraphResponse {
  const body = response.body as { value?: Array<Record<string, unknown>> } | undefined;
  if (!body?.value) return response;
  return { ...response, body: { ...body, value: body.value.map((item) => ({ '@odata.type': `#microsoft.graph.${type}`, ...item })) } };
}
