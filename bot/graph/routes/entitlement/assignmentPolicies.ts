import { createAssignmentPolicy } from '../../../commands/policies/createAssignmentPolicy';
import { deleteAssignmentPolicy } from '../../../commands/policies/deleteAssignmentPolicy';
import { replaceAssignmentPolicy } from '../../../commands/policies/replaceAssignmentPolicy';
import { createPolicyBody, replacePolicyBody } from '../../../commands/policies/schemas';
import type { AssignmentPoliciesTable } from '../../../store/schema';
import { created, GraphRequest, GraphRouter, noContent, ok } from '../../router';
import { parseBody } from '../../validate';
import { listOf, oneOf, presentOne } from '../helpers';
import { em } from '../paths';

const policies = `${em}/assignmentPolicies`;
const context = 'identityGovernance/entitlementManagement/assignmentPolicies';
const typeName = 'accessPackageAssignmentPolicy';

async function present(req: GraphRequest, row: AssignmentPoliciesTable) {
  const value = await presentOne(req, typeName, row, {});
  return { '@odata.context': `${req.serviceRoot}/$metadata#${context}/$entity`, ...value };
}

export function registerAssignmentPolicies(router: GraphRouter): void {
  router
    // Policies are seen by whoever holds a role in their catalog (bot/policies/visibility.ts); the rest do not exist for them.
    .add('GET', policies, (req) => listOf(req, typeName, context))
    .add('POST', policies, async (req) => created(await present(req, await createAssignmentPolicy(req.ctx, parseBody(createPolicyBody, req.body, typeName)))))
    .add('GET', `${policies}/{id}`, (req) => oneOf(req, typeName, req.params.id, context))
    .add('PUT', `${policies}/{id}`, async (req) => ok(await present(req, await replaceAssignmentPolicy(req.ctx, req.params.id, parseBody(replacePolicyBody, req.body, typeName)))))
    .add('DELETE', `${policies}/{id}`, async (req) => {
      await deleteAssignmentPolicy(req.ctx, req.params.id);
      return noContent();
    });
}
