import type { Selectable } from 'kysely';
import type { CommandContext } from '../../context';
import { NotFoundError } from '../../domain/errors';
import { readScopes } from '../../policies/visibility';
import type { AssignmentsTable } from '../../store/schema';
import { subjectOfPrincipal } from '../requests/subjects';

export type Assignment = Selectable<AssignmentsTable>;

/**
 * Reads an assignment for the caller: 404 unless they may read it (bot/policies/visibility.ts: its
 * target, or catalog staff), so its existence never leaks. `own` says whether it is the caller's.
 */
export async function loadVisibleAssignment(ctx: CommandContext, id: string): Promise<{ assignment: Assignment; own: boolean }> {
  const notFound = () => new NotFoundError(`No accessPackageAssignment with id '${id}' was found.`);
  const assignment = await ctx.db.selectFrom('assignments').selectAll().where('id', '=', id).executeTakeFirst();
  if (!assignment || !(await readScopes(ctx).isReadable('accessPackageAssignment', id))) throw notFound();
  const mine = await subjectOfPrincipal(ctx.db, ctx.principal);
  return { assignment, own: !!mine && mine.id === assignment.targetId };
}
