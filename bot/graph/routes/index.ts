import { GraphRouter } from '../router';
import { registerAudit } from './directory/audit';
import { registerGroups } from './directory/groups';
import { registerInvitations } from './directory/invitations';
import { registerOrganization } from './directory/organization';
import { registerRoleManagement } from './directory/roleManagement';
import { registerUsers } from './directory/users';
import { registerAccessPackages } from './entitlement/accessPackages';
import { registerAccessReviews } from './entitlement/accessReviews';
import { registerAssignmentPolicies } from './entitlement/assignmentPolicies';
import { registerCatalogs } from './entitlement/catalogs';
import { registerConnectedOrganizations } from './entitlement/connectedOrganizations';
import { registerResourceRequests } from './entitlement/resourceRequests';
import { registerSettings } from './entitlement/settings';
import { registerSubjects } from './entitlement/subjects';
import { registerAssignmentRequests } from './entitlement/assignmentRequests';
import { registerAssignments } from './entitlement/assignments';
import { registerApprovals } from './entitlement/approvals';

/** Every route of the embedded Graph, one module per resource. */
export function buildGraphRouter(): GraphRouter {
  const router = new GraphRouter();
  for (const register of [
    registerOrganization,
    registerUsers,
    registerGroups,
    registerInvitations,
    registerAudit,
    registerRoleManagement,
    registerCatalogs,
    registerResourceRequests,
    registerAccessPackages,
    registerAssignmentPolicies,
    registerConnectedOrganizations,
    registerSettings,
    registerSubjects,
    registerAssignmentRequests,
    registerAssignments,
    registerApprovals,
    registerAccessReviews,
  ]) {
    register(router);
  }
  return router;
}

