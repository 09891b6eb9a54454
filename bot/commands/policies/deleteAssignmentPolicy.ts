import { CommandContext, inTransaction } from '../../context';
import { ConflictError } from '../../domain/errors';
import { authorize, requireVisible } from '../../policies';
import { writeAudit } from '../audit';
import { requestReviewSync } from '../reviews/syncDefinitions';
import { loadPolicy } from './loadPolicy';

/**
 * Deletes a policy. A policy that still has assignments other than expired ones is refused, as in
 * Entra: remove those assignments first. Expired assignments are history (the audit log keeps it),
 * so they go with the policy they point at.
 */
export async function deleteAssignmentPolicy(ctx: CommandContext, id: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const policy = await loadPolicy(tx, id);
    requireVisible(ctx.principal, 'accessPackage.read', { catalogId: policy.catalogId }, 'Assignment policy');
    authorize(ctx.principal, 'accessPackage.write', { catalogId: policy.catalogId });
    const active = await tx.selectFrom('assignments').select('id').where('assignmentPolicyId', '=', id).where('state', '<>', 'expired').limit(1).execute();
    if (active.length > 0) {
      throw new ConflictError(`Assignment policy '${policy.displayName}' still has access package assignments; remove them before deleting the policy.`, 'ResourceInUse');
    }
    await tx.deleteFrom('assignments').where('assignmentPolicyId', '=', id).where('state', '=', 'expired').execute();
    await tx.deleteFrom('assignment_policies').where('id', '=', id).execute();
    // Review definitions follow their policy: the review sweep runs right after this commit.
    await requestReviewSync(tx, ctx.clock.now(), id);
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Delete access package assignment policy',
      operationType: 'Delete',
      targets: [{ id, displayName: policy.displayName, type: 'AccessPackageAssignmentPolicy' }],
    });
  });
}
