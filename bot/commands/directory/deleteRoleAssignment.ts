import { CommandContext, inTransaction } from '../../context';
import { NotFoundError } from '../../domain/errors';
import { authorize } from '../../policies';
import { writeAudit } from '../audit';
import { requireReadable } from '../../policies/visibility';

/** Removes an entitlement-management role assignment; who may grant it may remove it. */
export async function deleteRoleAssignment(ctx: CommandContext, id: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const assignment = await tx.selectFrom('role_assignments').selectAll().where('id', '=', id).where('provider', '=', 'entitlementManagement').executeTakeFirst();
    const notFound = () => new NotFoundError(`No unifiedRoleAssignment with id '${id}' was found.`);
    if (!assignment) throw notFound();
    await requireReadable({ db: tx, principal: ctx.principal }, 'unifiedRoleAssignment', id, notFound);
    authorize(ctx.principal, 'roleAssignment.write', { appScopeId: assignment.appScopeId, roleDefinitionId: assignment.roleDefinitionId });
    await tx.deleteFrom('role_assignments').where('id', '=', id).execute();
    await writeAudit(tx, ctx, {
      category: 'EntitlementManagement',
      activityDisplayName: 'Delete role assignment',
      operationType: 'Unassign',
      targets: [
        { id: assignment.principalId, displayName: null, type: 'User' },
        { id: assignment.roleDefinitionId, displayName: null, type: 'RoleDefinition' },
      ],
      details: { appScopeId: assignment.appScopeId },
    });
  });
}
