import { sql } from 'kysely';
import type { Principal } from '../../auth/principal';
import { NotFoundError } from '../../domain/errors';
import type { Scope } from '../../graph/odata/engine';
import { can } from '../../policies';
import { requireReadable, type ReadContext } from '../../policies/visibility';
import type { AccessReviewDefinitionsTable, AccessReviewInstancesTable } from '../../store/schema';

/**
 * Loading access reviews for a caller. Who sees which (administrators everything; people with a role
 * in the catalog everything of its reviews; reviewers the definitions and instances they review in,
 * and their own decisions only) is the reviews' read rule in bot/policies/visibility.ts; the scopes
 * here are `filterByCurrentUser(on='reviewer')`.
 */
const none: Scope = () => sql`1 = 0`;

/** Reviews of the catalog are the caller's to read in full. */
export function readsAllOf(p: Principal, definition: Pick<AccessReviewDefinitionsTable, 'catalogId'>): boolean {
  return can(p, 'assignment.read', { catalogId: definition.catalogId });
}

/** Definitions in which the caller reviews at least one decision. */
export function definitionsReviewedBy(p: Principal): Scope {
  if (!p.userId) return none;
  const me = p.userId;
  return (alias) =>
    sql`exists (select 1 from ${sql.table('access_review_reviewers')} as ${sql.ref('rr')} join ${sql.table('access_review_instances')} as ${sql.ref('ri')} on ${sql.ref('ri.id')} = ${sql.ref('rr.instanceId')} where ${sql.ref('rr.userId')} = ${me} and ${sql.ref('ri.definitionId')} = ${sql.ref(`${alias}.id`)})`;
}

/** Instances in which the caller reviews at least one decision. */
export function instancesReviewedBy(p: Principal): Scope {
  if (!p.userId) return none;
  const me = p.userId;
  return (alias) => sql`exists (select 1 from ${sql.table('access_review_reviewers')} as ${sql.ref('rr')} where ${sql.ref('rr.userId')} = ${me} and ${sql.ref('rr.instanceId')} = ${sql.ref(`${alias}.id`)})`;
}

/** Decisions the caller reviews. */
export function decisionsReviewedBy(p: Principal): Scope {
  if (!p.userId) return none;
  const me = p.userId;
  return (alias) => sql`exists (select 1 from ${sql.table('access_review_reviewers')} as ${sql.ref('rr')} where ${sql.ref('rr.userId')} = ${me} and ${sql.ref('rr.decisionId')} = ${sql.ref(`${alias}.id`)})`;
}

/** A definition the caller may read (bot/policies/visibility.ts); 404 otherwise. */
export async function loadVisibleDefinition(ctx: ReadContext, id: string): Promise<AccessReviewDefinitionsTable> {
  const notFound = () => new NotFoundError(`No accessReviewScheduleDefinition with id '${id}' was found.`);
  await requireReadable(ctx, 'accessReviewScheduleDefinition', id, notFound);
  const definition = await ctx.db.selectFrom('access_review_definitions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!definition) throw notFound();
  return definition;
}

/** An instance of `definition` the caller may read (staff: any; reviewers: theirs); 404 otherwise. */
export async function loadVisibleInstance(ctx: ReadContext, definition: AccessReviewDefinitionsTable, instanceId: string): Promise<AccessReviewInstancesTable> {
  const notFound = () => new NotFoundError(`No accessReviewInstance with id '${instanceId}' was found.`);
  await requireReadable(ctx, 'accessReviewInstance', instanceId, notFound);
  const instance = await ctx.db.selectFrom('access_review_instances').selectAll().where('id', '=', instanceId).where('definitionId', '=', definition.id).executeTakeFirst();
  if (!instance) throw notFound();
  return instance;
}
