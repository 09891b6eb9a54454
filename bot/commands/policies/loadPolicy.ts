import type { Kysely } from 'kysely';
import { NotFoundError } from '../../domain/errors';
import type { AssignmentPoliciesTable, Database } from '../../store/schema';

/** Reads an assignment policy or throws 404. */
export async function loadPolicy(db: Kysely<Database>, id: string): Promise<AssignmentPoliciesTable> {
  const policy = await db.selectFrom('assignment_policies').selectAll().where('id', '=', id).executeTakeFirst();
  if (!policy) throw new NotFoundError(`No accessPackageAssignmentPolicy with id '${id}' was found.`);
  return policy;
}
