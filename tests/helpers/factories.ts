import { catalogScope } from '../../bot/domain/roles';
import { em, TestServer } from './server';

/**
 * Builders for tests: each creates one object through the embedded Graph (so it is exactly what the
 * API would hold), fails loudly when the API refuses, and returns the created object. `as` is the
 * UPN that acts; overrides are merged into a body that succeeds on its own.
 */

let sequence = 0;

/** A short suffix unique within the test process, for names, nicknames and domains. */
export function unique(prefix = 'x'): string {
  sequence += 1;
  return `${prefix}${Date.now().toString(36)}${sequence}`;
}

async function build(server: TestServer, as: string, method: string, path: string, body: unknown, expected: number): Promise<any> {
  const res = await server.graph(method, path, { as, body });
  if (res.status !== expected) throw new Error(`${method} ${path} as ${as}: expected ${expected}, got ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export function buildCatalog(server: TestServer, as: string, overrides: Record<string, unknown> = {}): Promise<any> {
  return build(server, as, 'POST', `${em}/catalogs`, { displayName: unique('Catalog '), description: 'Built by a test', isExternallyVisible: true, ...overrides }, 201);
}

export function buildAccessPackage(server: TestServer, as: string, catalogId: string, overrides: Record<string, unknown> = {}): Promise<any> {
  return build(server, as, 'POST', `${em}/accessPackages`, { displayName: unique('Package '), description: 'Built by a test', catalog: { id: catalogId }, ...overrides }, 201);
}

/** The body of a simple policy: every member of the directory may request, no approval. */
export function policyBody(accessPackageId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { displayName: unique('Policy '), description: 'Built by a test', allowedTargetScope: 'allMemberUsers', expiration: { type: 'noExpiration' }, accessPackage: { id: accessPackageId }, ...overrides };
}

export function buildPolicy(server: TestServer, as: string, accessPackageId: string, overrides: Record<string, unknown> = {}): Promise<any> {
  return build(server, as, 'POST', `${em}/assignmentPolicies`, policyBody(accessPackageId, overrides), 201);
}

/** The body of a new enabled member user of contoso.test. */
export function userBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const nickname = unique('user');
  return {
    accountEnabled: true,
    displayName: `Test ${nickname}`,
    mailNickname: nickname,
    userPrincipalName: `${nickname}@contoso.test`,
    passwordProfile: { password: 'Xy9!long-enough', forceChangePasswordNextSignIn: false },
    ...overrides,
  };
}

export function buildUser(server: TestServer, as: string, overrides: Record<string, unknown> = {}): Promise<any> {
  return build(server, as, 'POST', 'users', userBody(overrides), 201);
}

/** The body of a security group; `ownerIds` become `owners@odata.bind`. */
export function groupBody(ownerIds: string[] = [], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const nickname = unique('group');
  return {
    displayName: `Group ${nickname}`,
    mailNickname: nickname,
    mailEnabled: false,
    securityEnabled: true,
    ...(ownerIds.length > 0 ? { 'owners@odata.bind': ownerIds.map((id) => `https://graph.microsoft.com/v1.0/users/${id}`) } : {}),
    ...overrides,
  };
}

export function buildGroup(server: TestServer, as: string, ownerIds: string[] = [], overrides: Record<string, unknown> = {}): Promise<any> {
  return build(server, as, 'POST', 'groups', groupBody(ownerIds, overrides), 201);
}

/** The body of an `adminAdd` resource request for a group. */
export function addGroupRequestBody(catalogId: string, groupId: string): Record<string, unknown> {
  return { requestType: 'adminAdd', catalog: { id: catalogId }, resource: { originId: groupId, originSystem: 'AadGroup' } };
}

export function addGroupToCatalog(server: TestServer, as: string, catalogId: string, groupId: string): Promise<any> {
  return build(server, as, 'POST', `${em}/resourceRequests`, addGroupRequestBody(catalogId, groupId), 201);
}

/** The body of a catalog-scoped role assignment. */
export function catalogRoleBody(principalId: string, roleDefinitionId: string, catalogId: string): Record<string, unknown> {
  return { principalId, roleDefinitionId, appScopeId: catalogScope(catalogId), directoryScopeId: '/' };
}

export function grantCatalogRole(server: TestServer, as: string, principalId: string, roleDefinitionId: string, catalogId: string): Promise<any> {
  return build(server, as, 'POST', 'roleManagement/entitlementManagement/roleAssignments', catalogRoleBody(principalId, roleDefinitionId, catalogId), 201);
}
