import { sql } from 'kysely';
import { addSponsor, SponsorKind } from '../../../commands/connectedOrganizations/addSponsor';
import { createConnectedOrganization } from '../../../commands/connectedOrganizations/createConnectedOrganization';
import { deleteConnectedOrganization } from '../../../commands/connectedOrganizations/deleteConnectedOrganization';
import { removeSponsor } from '../../../commands/connectedOrganizations/removeSponsor';
import { createConnectedOrganizationBody, updateConnectedOrganizationBody } from '../../../commands/connectedOrganizations/schemas';
import { updateConnectedOrganization } from '../../../commands/connectedOrganizations/updateConnectedOrganization';
import { NotFoundError, ValidationError } from '../../../domain/errors';
import { authorize } from '../../../policies';
import { requireReadable } from '../../../policies/visibility';
import { created, GraphRouter, noContent } from '../../router';
import { idFromODataRef, parseBody } from '../../validate';
import { listOf, oneOf, presentOne } from '../helpers';
import { em } from '../paths';

const organizations = `${em}/connectedOrganizations`;
const context = 'identityGovernance/entitlementManagement/connectedOrganizations';
const typeName = 'connectedOrganization';

/** A sponsor `$ref` may point at `/users/{id}` or `/directoryObjects/{id}`; Graph takes both. */
function sponsorIdFromRef(body: unknown): string {
  try {
    return idFromODataRef(body, 'users');
  } catch (error) {
    if (!(error instanceof ValidationError) || error.target !== '@odata.id') throw error;
    return idFromODataRef(body, 'directoryObjects');
  }
}

export function registerConnectedOrganizations(router: GraphRouter): void {
  router
    .add('GET', organizations, (req) => {
      authorize(req.ctx.principal, 'connectedOrganization.read');
      return listOf(req, typeName, context);
    })
    .add('POST', organizations, async (req) => {
      const row = await createConnectedOrganization(req.ctx, parseBody(createConnectedOrganizationBody, req.body, typeName));
      const value = await presentOne(req, typeName, row, {});
      return created({ '@odata.context': `${req.serviceRoot}/$metadata#${context}/$entity`, ...value });
    })
    .add('GET', `${organizations}/{id}`, (req) => oneOf(req, typeName, req.params.id, context))
    .add('PATCH', `${organizations}/{id}`, async (req) => {
      await updateConnectedOrganization(req.ctx, req.params.id, parseBody(updateConnectedOrganizationBody, req.body, typeName));
      return noContent();
    })
    .add('DELETE', `${organizations}/{id}`, async (req) => {
      await deleteConnectedOrganization(req.ctx, req.params.id);
      return noContent();
    });

  for (const [segment, kind] of [
    ['internalSponsors', 'internal'],
    ['externalSponsors', 'external'],
  ] as const satisfies ReadonlyArray<readonly [string, SponsorKind]>) {
    router
      .add('GET', `${organizations}/{id}/${segment}`, async (req) => {
        await requireReadable(req.ctx, typeName, req.params.id, () => new NotFoundError(`No connectedOrganization with id '${req.params.id}' was found.`));
        const id = req.params.id;
        return listOf(req, 'user', 'directoryObjects', (alias) =>
          sql`${sql.ref(`${alias}.id`)} in (select ${sql.ref('sponsorId')} from ${sql.table('connected_organization_sponsors')} where ${sql.ref('connectedOrganizationId')} = ${id} and ${sql.ref('kind')} = ${kind})`,
        );
      })
      .add('POST', `${organizations}/{id}/${segment}/$ref`, async (req) => {
        await addSponsor(req.ctx, req.params.id, kind, sponsorIdFromRef(req.body));
        return noContent();
      })
      .add('DELETE', `${organizations}/{id}/${segment}/{userId}/$ref`, async (req) => {
        await removeSponsor(req.ctx, req.params.id, kind, req.params.userId);
        return noContent();
      });
  }
}
