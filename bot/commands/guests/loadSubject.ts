import type { Kysely } from 'kysely';
import type { Principal } from '../../auth/principal';
import type { Tx } from '../../context';
import { NotFoundError } from '../../domain/errors';
import { can } from '../../policies';
import type { Database, SubjectsTable } from '../../store/schema';

/**
 * The `accessPackageSubject` of directory object `objectId`, for GET …/subjects(objectId='…'):
 * members see any subject (they read the directory), anyone else only their own; 404 otherwise.
 */
export async function loadSubjectByObjectId(db: Kysely<Database> | Tx, principal: Principal, objectId: string): Promise<SubjectsTable> {
  const subject = await db.selectFrom('subjects').selectAll().where('objectId', '=', objectId).executeTakeFirst();
  if (!subject || !(can(principal, 'directory.read') || principal.userId === objectId)) throw subjectNotFound(objectId);
  return subject;
}

export function subjectNotFound(objectId: string): NotFoundError {
  return new NotFoundError(`No accessPackageSubject with objectId '${objectId}' was found.`);
}
