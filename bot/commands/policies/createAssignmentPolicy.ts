import { CommandContext, inTransaction, newId } from '../../context';
import { ValidationError } from '../../domain/errors';
import { authorize } from '../../policies';
import type { AssignmentPoliciesTable } from '../../store/schema';
import { writeAudit } from '../audit';
import { writeRequestorScopes } from '../requests/applicablePolicies';
import { requestReviewSync } from '../reviews/syncDefinitions';
import { loadCatalog } from '../catalogs/loadCatalog';
import { checkPolicyDefinition, loadPolicyPackage, policyColumns } from './checkPolicyDefinition';
import type { CreatePolicyInput } from './schemas';

/**
 * Creates an assignment policy for an access package. The policy lives in the package's catalog, so
 * whoever may manage packages there (owners, access package managers, administrators) may create it.
 */
export async function createAssignmentPolicy(ctx: CommandContext, input: CreatePolicyInput): Promise<AssignmentPoliciesTable> {
  return inTransaction(ctx, async (tx) => {
    const { accessPackage, catalog: catalogRef, ...definition } = input;
    const pkg = await loadPolicyPackage(tx, accessPackage.id, ctx.principal);
    authorize(ctx.principal, 'accessPackage.write', { catalogId: pkg.catalogId });
    if (catalogRef && catalogRef.id !== pkg.catalogId) {
      throw new ValidationError(`Invalid value for 'catalog.id': the access package is in catalog '${pkg.catalogId}'.`, 'catalog.id');
    }
    const catalog = await loadCatalog(tx, pkg.catalogId);
    await checkPolicyDefinition(tx, ctx, definition, catalog);
    const now = ctx.clock.now().toISOString();
    const row: AssignmentPoliciesTable = { id: newId(), accessPackageId: pkg.id, catalogId: pkg.catalogId, ...policyColumns(definition), createdDateTime: now, modifiedDateTime: now };
    await tx.insertInto('assignment_policies').values(row).execute();
    await writeRequestorScopes(tx, row);
    // Review definitions follow their policy: the review sweep runs right after this commit.
    await requestReviewSync(tx, ctx.clock.now(), row.id);
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Create access package assignment policy',
      operationType: 'Add',
      targets: [
        { id: row.id, displayName: row.displayName, type: 'AccessPackageAssignmentPolicy' },
        { id: pkg.id, displayName: pkg.displayName, type: 'AccessPackage' },
      ],
      details: { allowedTargetScope: row.allowedTargetScope },
    });
    return row;
  });
}
