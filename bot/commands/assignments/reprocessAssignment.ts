import { type CommandContext, inTransaction } from '../../context';
import { ConflictError, ForbiddenError } from '../../domain/errors';
import { grantRole, ProvisioningError } from '../../directory/provisioner';
import { can } from '../../policies';
import { lockRequest } from '../approvals/requestFlow';
import { writeAudit } from '../audit';
import { reprocessAssignmentDelivery } from '../requests/manageRequest';
import { planGrants } from '../delivery/deliverAssignment';
import { loadVisibleAssignment } from './loadAssignment';

/**
 * `POST …/assignments/{id}/reprocess`. Graph's rule: a `delivered` assignment is re-evaluated and
 * enforced — every resource role the package grants is granted again (what was taken away out of
 * band comes back; nothing is granted twice) — by assignment managers or higher, 202. Portier also
 * retries a failed delivery here (`deliveryFailed`, `partiallyDelivered`), for those managers and
 * for the assignment's target. Anything else is 409; an assignment the caller may not read is 404.
 */
export async function reprocessAssignment(ctx: CommandContext, id: string): Promise<void> {
  const { assignment, own } = await loadVisibleAssignment(ctx, id);
  const manager = can(ctx.principal, 'assignment.manage', { catalogId: assignment.catalogId });
  if (assignment.state === 'deliveryFailed' || assignment.state === 'partiallyDelivered') {
    if (!own && !manager) throw new ForbiddenError("Only the assignment's target or an assignment manager can reprocess it.");
    return reprocessAssignmentDelivery(ctx, assignment.id, null);
  }
  if (!manager) throw new ForbiddenError('Only an access package assignment manager (or higher) can re-evaluate a delivered assignment.');
  if (assignment.state !== 'delivered') {
    throw new ConflictError(`Only a delivered assignment, or one whose delivery failed, can be reprocessed; this one is '${assignment.state}'.`, 'AssignmentNotReprocessable');
  }
  await inTransaction(ctx, async (tx) => {
    // The request's row first, like every step that changes an assignment's delivery (see lockRequest).
    if (assignment.requestId) await lockRequest(tx, ctx, assignment.requestId);
    const current = await tx.selectFrom('assignments').select(['id', 'state', 'targetId', 'accessPackageId']).where('id', '=', id).where('activeKey', 'is not', null).executeTakeFirst();
    if (!current || current.state !== 'delivered') throw new ConflictError('The assignment is no longer delivered; it cannot be re-evaluated.', 'AssignmentNotReprocessable');
    const subject = await tx.selectFrom('subjects').select(['objectId', 'displayName']).where('id', '=', current.targetId).executeTakeFirstOrThrow();
    const userId = subject.objectId;
    const failures: string[] = [];
    if (userId) {
      // The package's roles as they are now: a role added since delivery is granted too.
      await planGrants(tx, id, current.accessPackageId, userId);
      const now = ctx.clock.now().toISOString();
      const grants = await tx.selectFrom('assignment_grants').selectAll().where('assignmentId', '=', id).where('state', 'in', ['pending', 'granted', 'failed']).execute();
      for (const grant of grants) {
        try {
          await grantRole(tx, grant, userId);
          if (grant.state !== 'granted') await tx.updateTable('assignment_grants').set({ state: 'granted', userId, grantedDateTime: now, lastError: null }).where('id', '=', grant.id).execute();
        } catch (error) {
          if (!(error instanceof ProvisioningError)) throw error;
          await tx.updateTable('assignment_grants').set({ state: 'failed', lastError: error.message }).where('id', '=', grant.id).execute();
          failures.push(error.message);
        }
      }
    }
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Reprocess access package assignment',
      operationType: 'Update',
      targets: [{ id, displayName: null, type: 'AccessPackageAssignment' }],
      ...(failures.length > 0 ? { result: 'failure' as const, resultReason: failures.join(' ') } : {}),
    });
  });
}
