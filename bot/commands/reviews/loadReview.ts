import { sql, type Kysely } from 'kysely';
import type { Principal } from '../../auth/principal';
import type { Tx } from '../../context';
import { NotFoundError } from '../../domain/errors';
import type { Scope } from '../../graph/odata/engine';
import { can, catalogListScope, isAdmin } from '../../policies';
import type { AccessReviewDefinitionsTable, AccessReviewInstancesTable, Database } from '../../store/schema';

/**
 * Who sees which access reviews: administrators everything; people with a role in the catalog
 * (`assignment.read`) everything of its reviews; reviewers the definitions and instances they review
 * in, and their own decisions only. Anything else does not exist for the caller (404).
 */
type Db = Kysely<Database> | Tx;

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

/** Definitions the caller may read: their catalogs' (all, for administrators), and those they review in. */
export function visibleDefinitions(p: Principal): Scope | undefined {
  if (isAdmin(p)) return undefined;
  const staff = catalogListScope(p, 'catalogId') ?? none;
  const reviewer = definitionsReviewedBy(p);
  return (alias) => sql`(${staff(alias)}) or (${reviewer(alias)})`;
}

/** A definition the caller may read; 404 otherwise. */
export async function loadVisibleDefinition(db: Db, p: Principal, id: string): Promise<AccessReviewDefinitionsTable> {
  const definition = await db.selectFrom('access_review_definitions').selectAll().where('id', '=', id).executeTakeFirst();
  if (definition && readsAllOf(p, definition)) return definition;
  if (definition && p.userId) {
    const reviews = await db
      .selectFrom('access_review_reviewers as r')
      .innerJoin('access_review_instances as i', 'i.id', 'r.instanceId')
      .select('r.decisionId')
      .where('r.userId', '=', p.userId)
      .where('i.definitionId', '=', id)
      .limit(1)
      .executeTakeFirst();
    if (reviews) return definition;
  }
  throw new NotFoundError(`No accessReviewScheduleDefinition with id '${id}' was found.`);
}

/** An instance of a visible definition the caller may read (staff: any; reviewers: theirs); 404 otherwise. */
export async function loadVisibleInstance(db: Db, p: Principal, definition: AccessReviewDefinitionsTable, instanceId: string): Promise<AccessReviewInstancesTable> {
  const instance = await db.selectFrom('access_review_instances').selectAll().where('id', '=', instanceId).where('definitionId', '=', definition.id).executeTakeFirst();
  if (instance && readsAllOf(p, definition)) return instance;
  if (instance && p.userId) {
    const reviews = await db.selectFrom('access_review_reviewers').select('decisionId').where('userId', '=', p.userId).where('instanceId', '=', instance.id).limit(1).executeTakeFirst();
    if (reviews) return instance;
  }
  throw new NotFoundError(`No accessReviewInstance with id '${instanceId}' was found.`);
}
