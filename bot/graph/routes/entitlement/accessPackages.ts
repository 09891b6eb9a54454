import { sql } from 'kysely';
import { addIncompatibleAccessPackage } from '../../../commands/accessPackages/addIncompatibleAccessPackage';
import { addIncompatibleGroup } from '../../../commands/accessPackages/addIncompatibleGroup';
import { addResourceRoleScope } from '../../../commands/accessPackages/addResourceRoleScope';
import { createAccessPackage } from '../../../commands/accessPackages/createAccessPackage';
import { deleteAccessPackage } from '../../../commands/accessPackages/deleteAccessPackage';
import { removeIncompatibleAccessPackage } from '../../../commands/accessPackages/removeIncompatibleAccessPackage';
import { removeIncompatibleGroup } from '../../../commands/accessPackages/removeIncompatibleGroup';
import { removeResourceRoleScope } from '../../../commands/accessPackages/removeResourceRoleScope';
import { createAccessPackageBody, createResourceRoleScopeBody, updateAccessPackageBody } from '../../../commands/accessPackages/schemas';
import { updateAccessPackage } from '../../../commands/accessPackages/updateAccessPackage';
import { catalogListScope } from '../../../policies';
import type { Scope } from '../../odata/engine';
import { created, GraphRequest, GraphRouter, noContent, ok } from '../../router';
import { applicablePolicyRequirements, requestableScope } from '../../../commands/requests/requestable';
import { NotFoundError, ValidationError } from '../../../domain/errors';
import { requireReadable } from '../../../policies/visibility';
import { idFromODataRef, parseBody } from '../../validate';
import { listOf, oneOf, presentOne, where } from '../helpers';
import { em } from '../paths';

const accessPackages = `${em}/accessPackages`;
const context = 'identityGovernance/entitlementManagement/accessPackages';

/** `alias.id in (select <to> from <table> where <from> = id)`: the far side of a link table. */
function linkedTo(table: 'incompatible_access_packages' | 'incompatible_groups', from: string, to: string, id: string): Scope {
  return (alias) => sql`${sql.ref(`${alias}.id`)} in (select ${sql.ref(to)} from ${sql.table(table)} where ${sql.ref(from)} = ${id})`;
}

/** Reads within a package answer 404 unless the caller may read the package itself. */
async function visible(req: GraphRequest): Promise<string> {
  await requireReadable(req.ctx, 'accessPackage', req.params.id, () => new NotFoundError(`No accessPackage with id '${req.params.id}' was found.`));
  return req.params.id;
}

/** Access packages: CRUD, the resource roles they grant, their incompatibilities and their policies. */
export function registerAccessPackages(router: GraphRouter): void {
  router
    // The list is the catalogs' staff's (hidden packages included); requestors use filterByCurrentUser.
    .add('GET', accessPackages, (req) => listOf(req, 'accessPackage', context, catalogListScope(req.ctx.principal, 'catalogId')))
    .add('POST', accessPackages, async (req) => {
      const row = await createAccessPackage(req.ctx, parseBody(createAccessPackageBody, req.body, 'accessPackage'));
      const value = await presentOne(req, 'accessPackage', row, { expand: req.options.expand, select: req.options.select });
      return created({ '@odata.context': `${req.serviceRoot}/$metadata#${context}/$entity`, ...value });
    })
    // Packages the caller may request; hidden ones are left out (that is how they stay unlisted).
    .add('GET', `${accessPackages}/filterByCurrentUser()`, async (req) => {
      if (req.functionArgs.on !== 'allowedRequestor') throw new ValidationError("The function parameter 'on' must be 'allowedRequestor'.", 'on');
      const requestable = await requestableScope(req.ctx);
      return listOf(req, 'accessPackage', context, (alias) => sql`${sql.ref(`${alias}.isHidden`)} = 0 and ${requestable(alias)}`);
    })
    // Who reads a package by id (catalog staff; anyone a policy lets request it, hidden or not: that
    // is the direct link) is the package's read rule in bot/policies/visibility.ts.
    .add('GET', `${accessPackages}/{id}`, (req) => oneOf(req, 'accessPackage', req.params.id, context))
    .add('POST', `${accessPackages}/{id}/getApplicablePolicyRequirements`, async (req) => ok({ '@odata.context': `${req.serviceRoot}/$metadata#Collection(microsoft.graph.accessPackageAssignmentRequestRequirements)`, value: await applicablePolicyRequirements(req.ctx, req.params.id) }))
    .add('PATCH', `${accessPackages}/{id}`, async (req) => {
      await updateAccessPackage(req.ctx, req.params.id, parseBody(updateAccessPackageBody, req.body, 'accessPackage'));
      return noContent();
    })
    .add('DELETE', `${accessPackages}/{id}`, async (req) => {
      await deleteAccessPackage(req.ctx, req.params.id);
      return noContent();
    });

  // Resource roles the package grants.
  router
    .add('GET', `${accessPackages}/{id}/resourceRoleScopes`, async (req) =>
      listOf(req, 'accessPackageResourceRoleScope', `${context}('${req.params.id}')/resourceRoleScopes`, where('accessPackageId', await visible(req))),
    )
    .add('GET', `${accessPackages}/{id}/resourceRoleScopes/{roleScopeId}`, async (req) =>
      oneOf(req, 'accessPackageResourceRoleScope', req.params.roleScopeId, `${context}('${req.params.id}')/resourceRoleScopes`, where('accessPackageId', await visible(req))),
    )
    .add('POST', `${accessPackages}/{id}/resourceRoleScopes`, async (req) => {
      const row = await addResourceRoleScope(req.ctx, req.params.id, parseBody(createResourceRoleScopeBody, req.body, 'accessPackageResourceRoleScope'));
      // Graph answers with the role and scope expanded.
      const value = await presentOne(req, 'accessPackageResourceRoleScope', row, { expand: req.options.expand ?? 'role,scope' });
      return created({ '@odata.context': `${req.serviceRoot}/$metadata#${context}('${req.params.id}')/resourceRoleScopes/$entity`, ...value });
    })
    .add('DELETE', `${accessPackages}/{id}/resourceRoleScopes/{roleScopeId}`, async (req) => {
      await removeResourceRoleScope(req.ctx, req.params.id, req.params.roleScopeId);
      return noContent();
    });

  // Incompatible access packages and groups.
  router
    .add('GET', `${accessPackages}/{id}/incompatibleAccessPackages`, async (req) =>
      listOf(req, 'accessPackage', `${context}('${req.params.id}')/incompatibleAccessPackages`, linkedTo('incompatible_access_packages', 'accessPackageId', 'incompatibleAccessPackageId', await visible(req))),
    )
    .add('GET', `${accessPackages}/{id}/accessPackagesIncompatibleWith`, async (req) =>
      listOf(req, 'accessPackage', `${context}('${req.params.id}')/accessPackagesIncompatibleWith`, linkedTo('incompatible_access_packages', 'incompatibleAccessPackageId', 'accessPackageId', await visible(req))),
    )
    .add('POST', `${accessPackages}/{id}/incompatibleAccessPackages/$ref`, async (req) => {
      await addIncompatibleAccessPackage(req.ctx, req.params.id, idFromODataRef(req.body, 'accessPackages'));
      return noContent();
    })
    .add('DELETE', `${accessPackages}/{id}/incompatibleAccessPackages/{otherId}/$ref`, async (req) => {
      await removeIncompatibleAccessPackage(req.ctx, req.params.id, req.params.otherId);
      return noContent();
    })
    .add('GET', `${accessPackages}/{id}/incompatibleGroups`, async (req) =>
      listOf(req, 'group', `${context}('${req.params.id}')/incompatibleGroups`, linkedTo('incompatible_groups', 'accessPackageId', 'groupId', await visible(req))),
    )
    .add('POST', `${accessPackages}/{id}/incompatibleGroups/$ref`, async (req) => {
      await addIncompatibleGroup(req.ctx, req.params.id, idFromODataRef(req.body, 'groups'));
      return noContent();
    })
    .add('DELETE', `${accessPackages}/{id}/incompatibleGroups/{groupId}/$ref`, async (req) => {
      await removeIncompatibleGroup(req.ctx, req.params.id, req.params.groupId);
      return noContent();
    });

  // The package's policies; the policies themselves are managed under assignmentPolicies.
  router.add('GET', `${accessPackages}/{id}/assignmentPolicies`, async (req) =>
    listOf(req, 'accessPackageAssignmentPolicy', `${context}('${req.params.id}')/assignmentPolicies`, where('accessPackageId', await visible(req))),
  );
}
