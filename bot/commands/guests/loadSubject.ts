import { NotFoundError } from '../../domain/errors';
import { readScopes, type ReadContext } from '../../policies/visibility';
import type { SubjectsTable } from '../../store/schema';

/**
 * The `accessPackageSubject` of directory object `objectId`, for GET …/subjects(objectId='…'), if
 * the caller may read it (bot/policies/visibility.ts: members any, others their own and the people
 * whose requests they approve); 404 otherwise.
 */
export async function loadSubjectByObjectId(ctx: ReadContext, objectId: string): Promise<SubjectsTable> {
  const subject = await ctx.db.selectFrom('subjects').selectAll().where('objectId', '=', objectId).executeTakeFirst();
  if (!subject || !(await readScopes(ctx).isReadable('accessPackageSubject', subject.id))) throw subjectNotFound(objectId);
  return subject;
}

export function subjectNotFound(objectId: string): NotFoundError {
  return new NotFoundError(`No accessPackageSubject with objectId '${objectId}' was found.`);
}
