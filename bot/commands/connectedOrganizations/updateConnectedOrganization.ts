import { CommandContext, inTransaction } from '../../context';
import { authorize, requireVisible } from '../../policies';
import { writeAudit } from '../audit';
import { authorizeOrganizationChange, loadConnectedOrganization } from './loadConnectedOrganization';
import type { UpdateConnectedOrganizationInput } from './schemas';

/**
 * Updates a connected organization's name, description or state (proposed → configured, or back).
 * Its proposer may edit it while it is proposed; only administrators configure it.
 */
export async function updateConnectedOrganization(ctx: CommandContext, id: string, input: UpdateConnectedOrganizationInput): Promise<void> {
  requireVisible(ctx.principal, 'connectedOrganization.read', {}, 'Connected organization');
  await inTransaction(ctx, async (tx) => {
    const org = await loadConnectedOrganization(tx, id);
    authorizeOrganizationChange(ctx.principal, org);
    // Configuring a partner makes its sponsors approvers for every policy that admits it: administrators only.
    if (input.state === 'configured' && org.state !== 'configured') authorize(ctx.principal, 'connectedOrganization.configure');
    const changes = {
      ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.state !== undefined ? { state: input.state } : {}),
    };
    await tx
      .updateTable('connected_organizations')
      .set({ ...changes, modifiedDateTime: ctx.clock.now().toISOString() })
      .where('id', '=', id)
      .execute();
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Update connected organization',
      operationType: 'Update',
      targets: [{ id, displayName: changes.displayName ?? org.displayName, type: 'ConnectedOrganization' }],
      details: { changedProperties: Object.keys(changes).join(', ') },
    });
  });
}
