import { sql } from 'kysely';
import { NotFoundError } from '../../domain/errors';
import { getEntity, listCollection, Scope } from '../odata/engine';
import { entity, EntityName } from '../odata/model';
import { GraphRequest, GraphResponse, ok } from '../router';

/**
 * Shared read handlers: a collection or a single object of an entity type, restricted by `scope`
 * (the caller's visibility and the parent in the path). The rules of *who* may read live in
 * `bot/policies`; routes only pass them in.
 */
export async function listOf(req: GraphRequest, type: EntityName, contextPath: string, scope?: Scope): Promise<GraphResponse> {
  return ok(
    await listCollection(req.ctx.db, {
      entity: entity(type),
      options: req.options,
      scope,
      context: `${req.serviceRoot}/$metadata#${contextPath}`,
      requestUrl: req.url,
    }),
  );
}

export async function oneOf(req: GraphRequest, type: EntityName, id: string, contextPath: string, scope?: Scope): Promise<GraphResponse> {
  const value = await getEntity(req.ctx.db, entity(type), id, req.options, scope);
  if (!value) throw new NotFoundError(`No ${type} with id '${id}' was found.`);
  return ok({ '@odata.context': `${req.serviceRoot}/$metadata#${contextPath}/$entity`, ...value });
}

/** `alias.column = value`, the usual "children of this parent" scope. */
export function where(column: string, value: string): Scope {
  return (alias) => sql`${sql.ref(`${alias}.${column}`)} = ${value}`;
}
