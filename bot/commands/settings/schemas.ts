import { z } from 'zod';
import { graphObject } from '../../graph/validate';
import { durationLimits } from '../policies/durations';
import { boundedDuration } from '../policies/schemas';
import type { EntitlementSettingsTable } from '../../store/schema';

export const externalUserLifecycleActions = ['none', 'blockSignIn', 'blockSignInAndDelete', 'unknownFutureValue'] as const;

/** PATCH …/entitlementManagement/settings. */
export const updateSettingsBody = graphObject('entitlementManagementSettings', {
  externalUserLifecycleAction: z.enum(externalUserLifecycleActions).optional(),
  // Zero is meaningful: delete the guest as soon as sign-in is blocked.
  durationUntilExternalUserDeletedAfterBlocked: boundedDuration(durationLimits.lifecycle, false).optional(),
});

export type UpdateSettingsInput = z.infer<typeof updateSettingsBody>;

/** The single settings row's id. */
export const settingsId = 'default';

/** Entra's defaults, used until someone changes the settings. */
export const defaultSettings: EntitlementSettingsTable = {
  id: settingsId,
  externalUserLifecycleAction: 'blockSignInAndDelete',
  durationUntilExternalUserDeletedAfterBlocked: 'P30D',
};
