import { loadSettings } from '../../../commands/settings/loadSettings';
import { updateSettingsBody } from '../../../commands/settings/schemas';
import { updateSettings } from '../../../commands/settings/updateSettings';
import { authorize } from '../../../policies';
import { presentRows } from '../../odata/engine';
import { entity } from '../../odata/model';
import { GraphRouter, noContent, ok } from '../../router';
import { parseBody } from '../../validate';
import { em } from '../paths';

const settings = `${em}/settings`;
const typeName = 'entitlementManagementSettings';

export function registerSettings(router: GraphRouter): void {
  router
    .add('GET', settings, async (req) => {
      authorize(req.ctx.principal, 'settings.read');
      const row = await loadSettings(req.ctx.db);
      const [value] = await presentRows(req.ctx.db, entity(typeName), [row as unknown as Record<string, unknown>], req.options);
      return ok({ '@odata.context': `${req.serviceRoot}/$metadata#identityGovernance/entitlementManagement/settings/$entity`, ...value });
    })
    .add('PATCH', settings, async (req) => {
      await updateSettings(req.ctx, parseBody(updateSettingsBody, req.body, typeName));
      return noContent();
    });
}
