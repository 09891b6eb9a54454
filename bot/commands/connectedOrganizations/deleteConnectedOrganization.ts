import { CommandContext, inTransaction } from '../../context';
import { ConflictError } from '../../domain/errors';
import { requireVisible } from '../../policies';
import { writeAudit } from '../audit';
import { authorizeOrganizationChange, loadConnectedOrganization } from './loadConnectedOrganization';

/**
 * Deletes a connected organization with its identity sources and sponsors. Refused while a policy
 * lets its members request (`connectedOrganizationMembers` in `specificAllowedTargets`), as in Entra.
 */
export async function deleteConnectedOrganization(ctx: CommandContext, id: string): Promise<void> {
  requireVisible(ctx.principal, 'connectedOrganization.read', {}, 'Connected organization');
  await inTransaction(ctx, async (tx) => {
    const org = await loadConnectedOrganization(tx, id);
    authorizeOrganizationChange(ctx.principal, org);
    // Targets are stored as compact JSON, so the reference is an exact substring in both dialects.
    const usedBy = await tx
      .selectFrom('assignment_policies')
      .select(['id', 'displayName'])
      .where('specificAllowedTargets', 'like', `%"connectedOrganizationId":"${id}"%`)
      .limit(1)
      .executeTakeFirst();
    if (usedBy) {
      throw new ConflictError(`Connected organization '${org.displayName}' is used by assignment policy '${usedBy.displayName}' (${usedBy.id}); remove it from the policy first.`, 'ResourceInUse');
    }
    // Sources and sponsors go with it (ON DELETE CASCADE); delete them explicitly all the same, so
    // nothing depends on the dialect enforcing foreign keys.
    await tx.deleteFrom('connected_organization_sources').where('connectedOrganizationId', '=', id).execute();
    await tx.deleteFrom('connected_organization_sponsors').where('connectedOrganizationId', '=', id).execute();
    await tx.deleteFrom('connected_organization_group_sponsors').where('connectedOrganizationId', '=', id).execute();
    await tx.deleteFrom('connected_organizations').where('id', '=', id).execute();
    await writeAudit(tx, ctx, { activityDisplayName: 'Delete connected organization', operationType: 'Delete', targets: [{ id, displayName: org.displayName, type: 'ConnectedOrganization' }] });
  });
}
