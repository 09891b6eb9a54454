import { createCatalog } from '../../../commands/catalogs/createCatalog';
import { deleteCatalog } from '../../../commands/catalogs/deleteCatalog';
import { createCatalogBody, updateCatalogBody } from '../../../commands/catalogs/schemas';
import { catalogNotFound } from '../../../commands/catalogs/loadCatalog';
import { updateCatalog } from '../../../commands/catalogs/updateCatalog';
import { requireReadable } from '../../../policies/visibility';
import { created, GraphRouter, noContent } from '../../router';
import { parseBody } from '../../validate';
import { listOf, oneOf, presentOne, where } from '../helpers';
import { em } from '../paths';

const catalogs = `${em}/catalogs`;
const context = 'identityGovernance/entitlementManagement/catalogs';

export function registerCatalogs(router: GraphRouter): void {
  router
    .add('GET', catalogs, (req) => listOf(req, 'accessPackageCatalog', context))
    .add('POST', catalogs, async (req) => {
      const row = await createCatalog(req.ctx, parseBody(createCatalogBody, req.body, 'accessPackageCatalog'));
      const value = await presentOne(req, 'accessPackageCatalog', row, {});
      return created({ '@odata.context': `${req.serviceRoot}/$metadata#${context}/$entity`, ...value });
    })
    .add('GET', `${catalogs}/{id}`, (req) => oneOf(req, 'accessPackageCatalog', req.params.id, context))
    .add('PATCH', `${catalogs}/{id}`, async (req) => {
      await updateCatalog(req.ctx, req.params.id, parseBody(updateCatalogBody, req.body, 'accessPackageCatalog'));
      return noContent();
    })
    .add('DELETE', `${catalogs}/{id}`, async (req) => {
      await deleteCatalog(req.ctx, req.params.id);
      return noContent();
    });

  // The catalog's resources, and the roles and scopes they offer. Resources are added through resourceRequests.
  for (const [segment, type] of [
    ['resources', 'accessPackageResource'],
    ['resourceRoles', 'accessPackageResourceRole'],
    ['resourceScopes', 'accessPackageResourceScope'],
  ] as const) {
    router.add('GET', `${catalogs}/{id}/${segment}`, async (req) => {
      await requireReadable(req.ctx, 'accessPackageCatalog', req.params.id, () => catalogNotFound(req.params.id));
      return listOf(req, type, `${context}('${req.params.id}')/${segment}`, where('catalogId', req.params.id));
    });
    router.add('GET', `${catalogs}/{id}/${segment}/{itemId}`, async (req) => {
      await requireReadable(req.ctx, 'accessPackageCatalog', req.params.id, () => catalogNotFound(req.params.id));
      return oneOf(req, type, req.params.itemId, `${context}('${req.params.id}')/${segment}`, where('catalogId', req.params.id));
    });
  }
}
