import type { RoleDefinitionsTable } from '../store/schema';

/**
 * Built-in role definitions with the ids Microsoft Entra uses, so role assignments written against
 * the real Graph mean the same here.
 */
export const directoryRoles = {
  globalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  identityGovernanceAdministrator: '45d8d3c5-c802-45c6-b32a-1d70b5e1e86e',
  userAdministrator: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
} as const;

export const entitlementRoles = {
  catalogOwner: 'ae79f266-94d4-4dab-b730-feca7e132178',
  catalogReader: '44272f93-9762-48e8-af59-1b5351b1d6b3',
  accessPackageManager: '7f480852-ebdc-47d4-87de-0d8498384a83',
  accessPackageAssignmentManager: 'e2182095-804a-4656-ae11-64734e9b7ae5',
  catalogCreator: 'ba92d953-d8e0-4e39-a797-0cbedb0a89e8',
} as const;

/** Catalog-scoped roles (appScopeId `/AccessPackageCatalog/{id}`); the catalog creator role is tenant-wide (`/`). */
export const catalogScopedRoles: readonly string[] = [
  entitlementRoles.catalogOwner,
  entitlementRoles.catalogReader,
  entitlementRoles.accessPackageManager,
  entitlementRoles.accessPackageAssignmentManager,
];

export function catalogScope(catalogId: string): string {
  return `/AccessPackageCatalog/${catalogId}`;
}

export function builtInRoleDefinitions(): RoleDefinitionsTable[] {
  const em = (id: string, displayName: string, description: string, actions: string[]): RoleDefinitionsTable => ({
    id,
    provider: 'entitlementManagement',
    displayName,
    description,
    isBuiltIn: 1,
    isEnabled: 1,
    templateId: id,
    version: '1.0',
    rolePermissions: JSON.stringify([{ allowedResourceActions: actions, condition: null }]),
  });
  const dir = (id: string, displayName: string, description: string): RoleDefinitionsTable => ({
    id,
    provider: 'directory',
    displayName,
    description,
    isBuiltIn: 1,
    isEnabled: 1,
    templateId: id,
    version: '1.0',
    rolePermissions: '[]',
  });
  const base = 'microsoft.entitlementManagement/allEntities';
  return [
    em(entitlementRoles.catalogOwner, 'Catalog owner', 'Edit and manage a catalog, its resources, access packages, policies and assignments.', [`${base}/allProperties/allTasks`]),
    em(entitlementRoles.catalogReader, 'Catalog reader', 'View a catalog and everything in it.', [`${base}/allProperties/read`]),
    em(entitlementRoles.accessPackageManager, 'Access package manager', 'Edit and manage the access packages and policies of a catalog.', [
      'microsoft.entitlementManagement/accessPackages/allProperties/allTasks',
      'microsoft.entitlementManagement/accessPackageAssignmentPolicies/allProperties/allTasks',
    ]),
    em(entitlementRoles.accessPackageAssignmentManager, 'Access package assignment manager', 'Edit and manage the assignments of the access packages of a catalog.', [
      'microsoft.entitlementManagement/accessPackageAssignments/allProperties/allTasks',
      'microsoft.entitlementManagement/accessPackageAssignmentRequests/allProperties/allTasks',
    ]),
    em(entitlementRoles.catalogCreator, 'Catalog creator', 'Create catalogs, and manage the catalogs they create.', ['microsoft.entitlementManagement/accessPackageCatalogs/create']),
    dir(directoryRoles.globalAdministrator, 'Global Administrator', 'Can manage all aspects of the directory.'),
    dir(directoryRoles.identityGovernanceAdministrator, 'Identity Governance Administrator', 'Manage access using Microsoft Entra ID for identity governance scenarios.'),
    dir(directoryRoles.userAdministrator, 'User Administrator', 'Can manage all aspects of users and groups.'),
  ];
}
