import { addResourceToCatalog } from '../../../commands/resources/addResourceToCatalog';
import { removeResourceFromCatalog } from '../../../commands/resources/removeResourceFromCatalog';
import { createResourceRequestBody } from '../../../commands/resources/schemas';
import { created, GraphRouter } from '../../router';
import { parseBody } from '../../validate';
import { listOf, oneOf, presentOne } from '../helpers';
import { em } from '../paths';

const resourceRequests = `${em}/resourceRequests`;
const context = 'identityGovernance/entitlementManagement/resourceRequests';

/** Adding resources to catalogs and removing them (`adminAdd`, `adminRemove`), and the record of those requests. */
export function registerResourceRequests(router: GraphRouter): void {
  router
    .add('GET', resourceRequests, (req) => listOf(req, 'accessPackageResourceRequest', context))
    .add('GET', `${resourceRequests}/{id}`, (req) => oneOf(req, 'accessPackageResourceRequest', req.params.id, context))
    .add('POST', resourceRequests, async (req) => {
      const input = parseBody(createResourceRequestBody, req.body, 'accessPackageResourceRequest');
      const row =
        input.requestType === 'adminAdd'
          ? await addResourceToCatalog(req.ctx, input.catalog.id, input.resource)
          : await removeResourceFromCatalog(req.ctx, input.catalog.id, input.resource);
      const value = await presentOne(req, 'accessPackageResourceRequest', row, { expand: req.options.expand, select: req.options.select });
      return created({ '@odata.context': `${req.serviceRoot}/$metadata#${context}/$entity`, ...value });
    });
}
