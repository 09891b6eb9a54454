import { createCatalog } from '../../../commands/catalogs/createCatalog';
import { deleteCatalog } from '../../../commands/catalogs/deleteCatalog';
import { createCatalogBody, updateCatalogBody } from '../../../commands/catalogs/schemas';
import { loadCatalog } from '../../../commands/catalogs/loadCatalog';
import { updateCatalog } from '../../../commands/catalogs/updateCatalog';
import { catalogListScope, requireVisible } from '../../../policies';
import { presentRows } from '../../odata/engine';
import { entity } from '../../odata/model';
import { created, GraphRouter, noContent } from '../../router';
import { parseBody } from '../../validate';
import { listOf, oneOf, where } from '../helpers';
import { em } from '../paths';

const catalogs = `${em}/catalogs`;
const context = 'identityGovernance/entitlementManagement/catalogs';

export function registerCatalogs(router: GraphRouter): void {
  router
    .add('GET', catalogs, (req) => listOf(req, 'accessPackageCatalog', context, catalogListScope(req.ctx.principal, 'id')))
    .add('POST', catalogs, async (req) => {
      const row = await createCatalog(req.ctx, parseBody(createCatalogBody, req.body, 'accessPackageCatalog'));
      const [value] = await presentRows(req.ctx.db, entity('accessPackageCatalog'), [row as unknown as Record<string, unknown>]);
      return created({ '@odata.context': `${req.serviceRoot}/$metadata#${context}/$entity`, ...value });
    })
    .add('GET', `${catalogs}/{id}`, (req) => {
      requireVisible(req.ctx.principal, 'catalog.read', { catalogId: req.params.id }, 'Catalog');
      return oneOf(req, 'accessPackageCatalog', req.params.id, context);
    })
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
      requireVisible(req.ctx.principal, 'catalog.read', { catalogId: req.params.id }, 'Catalog');
      await loadCatalog(req.ctx.db, req.params.id);
      return listOf(req, type, `${context}('${req.params.id}')/${segment}`, where('catalogId', req.params.id));
    });
    router.add('GET', `${catalogs}/{id}/${segment}/{itemId}`, (req) => {
      requireVisible(req.ctx.principal, 'catalog.read', { catalogId: req.params.id }, 'Catalog');
      return oneOf(req, type, req.params.itemId, `${context}('${req.params.id}')/${segment}`, where('catalogId', req.params.id));
    });
  }
}
