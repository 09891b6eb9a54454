import { CommandContext, inTransaction } from '../../context';
import { authorize } from '../../policies';
import { writeAudit } from '../audit';
import { loadSettings } from './loadSettings';
import type { UpdateSettingsInput } from './schemas';

/** Updates how guests are handled once their last assignment ends; creates the row on first use. */
export async function updateSettings(ctx: CommandContext, input: UpdateSettingsInput): Promise<void> {
  authorize(ctx.principal, 'settings.write');
  await inTransaction(ctx, async (tx) => {
    const current = await loadSettings(tx);
    const next = {
      ...current,
      ...(input.externalUserLifecycleAction !== undefined ? { externalUserLifecycleAction: input.externalUserLifecycleAction } : {}),
      ...(input.durationUntilExternalUserDeletedAfterBlocked !== undefined ? { durationUntilExternalUserDeletedAfterBlocked: input.durationUntilExternalUserDeletedAfterBlocked } : {}),
    };
    await tx
      .insertInto('entitlement_settings')
      .values(next)
      .onConflict((oc) => oc.column('id').doUpdateSet({ externalUserLifecycleAction: next.externalUserLifecycleAction, durationUntilExternalUserDeletedAfterBlocked: next.durationUntilExternalUserDeletedAfterBlocked }))
      .execute();
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Update entitlement management settings',
      operationType: 'Update',
      targets: [{ id: next.id, displayName: 'Entitlement management settings', type: 'EntitlementManagementSettings' }],
      details: {
        changedProperties: Object.keys(input).filter((k) => k !== '@odata.type').join(', '),
        externalUserLifecycleAction: next.externalUserLifecycleAction,
        durationUntilExternalUserDeletedAfterBlocked: next.durationUntilExternalUserDeletedAfterBlocked,
      },
    });
  });
}
