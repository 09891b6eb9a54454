import type { CommandContext } from '../../context';
import { NotFoundError } from '../../domain/errors';
import { can } from '../../policies';
import type { Selectable } from 'kysely';
import type { AssignmentsTable } from '../../store/schema';
import { subjectOfPrincipal } from '../requests/subjects';

export type Assignment = Selectable<AssignmentsTable>;

/**
 * Reads an assignment for the caller: 404 unless they may see it — its target, or anyone with a
 * catalog role in its catalog — so its existence never leaks. `own` says whether it is the caller's.
 */
export async function loadVisibleAssignment(ctx: CommandContext, id: string): Promise<{ assignment: Assignment; own: boolean }> {
  const notFound = () => new NotFoundError(`No accessPackageAssignment with id '${id}' was found.`);
  const assignment = await ctx.db.selectFrom('assignments').selectAll().where('id', '=', id).executeTakeFirst();
  if (!assignment) throw notFound();
  const mine = await subjectOfPrincipal(ctx.db, ctx.principal);
  const own = !!mine && mine.id === assignment.targetId;
  if (!own && !can(ctx.principal, 'assignment.read', { catalogId: assignment.catalogId })) throw notFound();
  return { assignment, own };
}
