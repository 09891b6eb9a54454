import { loadSettings } from '../../../commands/settings/loadSettings';
import { updateSettingsBody } from '../../../commands/settings/schemas';
import { updateSettings } from '../../../commands/settings/updateSettings';
import { authorize } from '../../../policies';
import { GraphRouter, noContent, ok } from '../../router';
import { parseBody } from '../../validate';
import { presentOne } from '../helpers';
import { em } from '../paths';

const settings = `${em}/settings`;
const typeName = 'entitlementManagementSettings';

export function registerSettings(router: GraphRouter): void {
  router
    .add('GET', settings, async (req) => {
      authorize(req.ctx.principal, 'settings.read');
      const row = await loadSettings(req.ctx.db);
      const value = await presentOne(req, typeName, row, req.options);
      return ok({ '@odata.context': `${req.serviceRoot}/$metadata#identityGovernance/entitlementManagement/settings/$entity`, ...value });
    })
    .add('PATCH', settings, async (req) => {
      await updateSettings(req.ctx, parseBody(updateSettingsBody, req.body, typeName));
      return noContent();
    });
}
