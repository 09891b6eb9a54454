import { sql } from 'kysely';
import { NotFoundError } from '../../domain/errors';
import { readScopes } from '../../policies/visibility';
import { getEntity, listCollection, presentRows, Scope } from '../odata/engine';
import type { RawQueryOptions } from '../odata/parse';
import { entity, EntityName } from '../odata/model';
import { GraphRequest, GraphResponse, ok } from '../router';

/**
 * Shared read handlers: a collection or a single object of an entity type. Who may read which rows
 * lives in `bot/policies/visibility.ts` and is applied by the engine at every level; routes pass only
 * the restriction of their path (`scope`: the parent, a function's selection).
 */
export async function listOf(req: GraphRequest, type: EntityName, contextPath: string, scope?: Scope): Promise<GraphResponse> {
  return ok(
    await listCollection(req.ctx.db, {
      entity: entity(type),
      options: req.options,
      scope,
      visibility: readScopes(req.ctx),
      context: `${req.serviceRoot}/$metadata#${contextPath}`,
      requestUrl: req.url,
    }),
  );
}

export async function oneOf(req: GraphRequest, type: EntityName, id: string, contextPath: string, scope?: Scope): Promise<GraphResponse> {
  const value = await getEntity(req.ctx.db, entity(type), id, req.options, readScopes(req.ctx), scope);
  if (!value) throw new NotFoundError(`No ${type} with id '${id}' was found.`);
  return ok({ '@odata.context': `${req.serviceRoot}/$metadata#${contextPath}/$entity`, ...value });
}

/** Presents a row a command returned (after a create or replace), with `$select`/`$expand` within the caller's visibility. */
export async function presentOne(req: GraphRequest, type: EntityName, row: object, options: RawQueryOptions = { select: req.options.select, expand: req.options.expand }): Promise<Record<string, unknown>> {
  const [value] = await presentRows(req.ctx.db, entity(type), [row as Record<string, unknown>], options, readScopes(req.ctx));
  return value;
}

/** `alias.column = value`, the usual "children of this parent" scope. */
export function where(column: string, value: string): Scope {
  return (alias) => sql`${sql.ref(`${alias}.${column}`)} = ${value}`;
}
