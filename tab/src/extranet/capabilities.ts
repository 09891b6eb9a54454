/**
 * What the signed-in person may do in the Extranet tab, so it shows only those actions. Derived
 * from Graph alone: their entitlement-management role assignments
 * (`roleManagement/entitlementManagement/roleAssignments`) and whether they may read the
 * entitlement-management audit log, which only Identity Governance Administrators (and Global
 * Administrators) may — the same people who configure connected organizations and change settings.
 * The server still decides every call; this only keeps the page from offering what it would refuse.
 */

/** The built-in entitlement-management role definitions (the ids Entra uses). */
export const roleIds = {
  catalogOwner: 'ae79f266-94d4-4dab-b730-feca7e132178',
  catalogReader: '44272f93-9762-48e8-af59-1b5351b1d6b3',
  accessPackageManager: '7f480852-ebdc-47d4-87de-0d8498384a83',
  accessPackageAssignmentManager: 'e2182095-804a-4656-ae11-64734e9b7ae5',
  catalogCreator: 'ba92d953-d8e0-4e39-a797-0cbedb0a89e8',
} as const;

export interface RoleAssignment {
  roleDefinitionId: string;
  /** `/` (tenant-wide) or `/AccessPackageCatalog/{catalogId}`. */
  appScopeId: string;
}

export interface Capabilities {
  /** Identity Governance Administrator: everything. */
  isAdministrator: boolean;
  /** Any management at all; false for a member without a role (no management actions shown). */
  managesAnything: boolean;
  readOrganizations: boolean;
  /** Change any connected organization and configure proposed ones: administrators. */
  writeOrganizations: boolean;
  /**
   * Connect a partner as `proposed` and manage proposed ones: the people who write policies (catalog
   * creators, catalog owners, access package managers). The server lets each manage only what they
   * proposed (Graph v1.0 does not say who that was) and answers others with its refusal.
   */
  proposeOrganizations: boolean;
  createCatalogs: boolean;
  readAudit: boolean;
  writeSettings: boolean;
  /** Catalog-level rights; the catalog id is the one of the catalog, package, assignment or request. */
  editCatalog(catalogId: string): boolean;
  writePackages(catalogId: string): boolean;
  manageAssignments(catalogId: string): boolean;
}

function catalogOf(scope: string): string | undefined {
  const match = /^\/AccessPackageCatalog\/([^/]+)$/.exec(scope);
  return match?.[1];
}

/**
 * The capabilities of someone with `assignments` and, when `isAdministrator`, the administrator's
 * rights. `isMember` is false for guests and partners, who never manage anything here.
 */
export function capabilitiesOf(input: { isMember: boolean; isAdministrator: boolean; assignments: readonly RoleAssignment[] }): Capabilities {
  const { isAdministrator } = input;
  const assignments = input.isMember ? input.assignments : [];
  const has = (catalogId: string, roles: readonly string[]) => isAdministrator || assignments.some((a) => catalogOf(a.appScopeId) === catalogId && roles.includes(a.roleDefinitionId));
  const isCreator = assignments.some((a) => a.roleDefinitionId === roleIds.catalogCreator && a.appScopeId === '/');
  const managesAnything = isAdministrator || assignments.length > 0;
  const writesPolicies = isCreator || assignments.some((a) => a.roleDefinitionId === roleIds.catalogOwner || a.roleDefinitionId === roleIds.accessPackageManager);
  return {
    isAdministrator,
    managesAnything,
    readOrganizations: managesAnything,
    writeOrganizations: isAdministrator,
    proposeOrganizations: isAdministrator || writesPolicies,
    createCatalogs: isAdministrator || isCreator,
    readAudit: isAdministrator,
    writeSettings: isAdministrator,
    editCatalog: (id) => has(id, [roleIds.catalogOwner]),
    writePackages: (id) => has(id, [roleIds.catalogOwner, roleIds.accessPackageManager]),
    manageAssignments: (id) => has(id, [roleIds.catalogOwner, roleIds.accessPackageManager, roleIds.accessPackageAssignmentManager]),
  };
}
