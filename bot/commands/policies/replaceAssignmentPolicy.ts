import { CommandContext, inTransaction } from '../../context';
import { ValidationError } from '../../domain/errors';
import { authorize, requireVisible } from '../../policies';
import type { AssignmentPoliciesTable } from '../../store/schema';
import { writeAudit } from '../audit';
import { writeRequestorScopes } from '../requests/applicablePolicies';
import { requestReviewSync } from '../reviews/syncDefinitions';
import { loadCatalog } from '../catalogs/loadCatalog';
import { checkPolicyDefinition, policyColumns } from './checkPolicyDefinition';
import { loadPolicy } from './loadPolicy';
import type { ReplacePolicyInput } from './schemas';

/**
 * Replaces a policy with the body of a PUT, like Graph: every property not given goes back to its
 * default. The access package is fixed for the life of the policy (existing assignments point at it).
 */
export async function replaceAssignmentPolicy(ctx: CommandContext, id: string, input: ReplacePolicyInput): Promise<AssignmentPoliciesTable> {
  return inTransaction(ctx, async (tx) => {
    const existing = await loadPolicy(tx, id);
    requireVisible(ctx.principal, 'accessPackage.read', { catalogId: existing.catalogId }, 'Assignment policy');
    authorize(ctx.principal, 'accessPackage.write', { catalogId: existing.catalogId });
    const { id: bodyId, accessPackage, catalog: catalogRef, createdDateTime, modifiedDateTime, ...definition } = input;
    void createdDateTime;
    void modifiedDateTime;
    if (bodyId !== undefined && bodyId !== id) throw new ValidationError("Invalid value for 'id': it must match the policy in the URL.", 'id');
    if (accessPackage && accessPackage.id !== existing.accessPackageId) {
      throw new ValidationError("Invalid value for 'accessPackage.id': the access package of a policy cannot be changed.", 'accessPackage.id');
    }
    if (catalogRef && catalogRef.id !== existing.catalogId) {
      throw new ValidationError("Invalid value for 'catalog.id': the catalog of a policy cannot be changed.", 'catalog.id');
    }
    const catalog = await loadCatalog(tx, existing.catalogId);
    await checkPolicyDefinition(tx, ctx, definition, catalog);
    const row: AssignmentPoliciesTable = { ...existing, ...policyColumns(definition), modifiedDateTime: ctx.clock.now().toISOString() };
    const { id: _id, ...changes } = row;
    void _id;
    await tx.updateTable('assignment_policies').set(changes).where('id', '=', id).execute();
    await writeRequestorScopes(tx, row);
    // Review definitions follow their policy: the review sweep runs right after this commit.
    await requestReviewSync(tx, ctx.clock.now(), id);
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Update access package assignment policy',
      operationType: 'Update',
      targets: [{ id, displayName: row.displayName, type: 'AccessPackageAssignmentPolicy' }],
      details: { allowedTargetScope: row.allowedTargetScope },
    });
    return row;
  });
}
