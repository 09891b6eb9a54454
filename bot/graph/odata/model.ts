import type { Database } from '../../store/schema';

/**
 * The entity model of the embedded Graph: which Graph property lives in which column, which
 * navigation property follows which key. The OData engine (engine.ts) reads this to translate query
 * options into SQL, and to turn rows into Graph JSON. Columns not listed here (foreign keys, lower-cased
 * copies) are never shown to clients and cannot be named in a query.
 */
export type PropKind = 'string' | 'boolean' | 'datetime' | 'int' | 'json' | 'enum';

export interface PropDef {
  kind: PropKind;
  /** Column holding the value; defaults to the property name. */
  column?: string;
  /** Enum members, for `enum` props. */
  values?: readonly string[];
  /** Compare case-insensitively (`eq`/`ne`), like Graph does for names and addresses. */
  caseInsensitive?: boolean;
  /** Column holding the lower-cased value, indexed, used for case-insensitive equality. */
  lowerColumn?: string;
}

/**
 * `declared`: Graph's declared type of the navigation when it is a base type of the target (e.g. `manager`,
 * `members`, `sponsors` are `directoryObject`s); each value then says what it is with `@odata.type`.
 */
export type NavDef = (
  /** `this[localKey]` holds the target's id. */
  | { kind: 'one'; target: string; localKey: string }
  /** `target[foreignKey]` holds this entity's id. */
  | { kind: 'many'; target: string; foreignKey: string }
  /** A join table links `from` (this id) to `to` (target id), optionally with fixed column values. */
  | { kind: 'through'; target: string; table: keyof Database; from: string; to: string; fixed?: Record<string, string> }
) & { declared?: 'directoryObject' };

export interface EntityDef {
  /** Graph type name without namespace, e.g. `accessPackage`. */
  type: string;
  table: keyof Database;
  props: Record<string, PropDef>;
  navs: Record<string, NavDef>;
  /** Filter paths into complex values that have a column of their own, e.g. `initiatedBy/user/id`. */
  pathColumns?: Record<string, { column: string; kind: PropKind }>;
  /** Values derived from the row that are not columns (computed at presentation). */
  computed?: (row: Record<string, unknown>) => Record<string, unknown>;
  /** Extra restriction that always applies (e.g. only entitlement-management role assignments). */
  fixed?: Record<string, string>;
  /**
   * Navigation properties Graph documents for `$expand` whose value Portier derives from the row
   * (e.g. a policy's questions, kept as JSON) or that are always empty here (custom extensions).
   */
  derivedNavs?: Record<string, (row: Record<string, unknown>) => unknown>;
}

const text: PropDef = { kind: 'string' };
const bool: PropDef = { kind: 'boolean' };
const dateTime: PropDef = { kind: 'datetime' };
const json: PropDef = { kind: 'json' };
const enumOf = (...values: string[]): PropDef => ({ kind: 'enum', values });

const originProps = { id: text, displayName: text, description: text, originId: text, originSystem: enumOf('AadGroup', 'SharePointOnline', 'AadApplication') };

export const allowedTargetScopes = [
  'notSpecified',
  'specificDirectoryUsers',
  'specificConnectedOrganizationUsers',
  'specificDirectoryServicePrincipals',
  'allMemberUsers',
  'allDirectoryUsers',
  'allDirectoryServicePrincipals',
  'allConfiguredConnectedOrganizationUsers',
  'allExternalUsers',
  'unknownFutureValue',
] as const;

export const entities = {
  user: {
    type: 'user',
    table: 'users',
    props: {
      id: text,
      displayName: text,
      givenName: text,
      surname: text,
      mail: { kind: 'string', caseInsensitive: true, lowerColumn: 'mailLower' },
      userPrincipalName: { kind: 'string', caseInsensitive: true },
      userType: enumOf('Member', 'Guest'),
      accountEnabled: bool,
      jobTitle: text,
      department: text,
      companyName: text,
      creationType: text,
      externalUserState: text,
      externalUserStateChangeDateTime: dateTime,
      usageLocation: text,
      createdDateTime: dateTime,
    },
    navs: {
      manager: { kind: 'one', target: 'user', localKey: 'managerId', declared: 'directoryObject' },
      sponsors: { kind: 'through', target: 'user', table: 'user_sponsors', from: 'userId', to: 'sponsorId', declared: 'directoryObject' },
      memberOf: { kind: 'through', target: 'group', table: 'group_members', from: 'memberId', to: 'groupId', declared: 'directoryObject' },
      ownedObjects: { kind: 'through', target: 'group', table: 'group_owners', from: 'ownerId', to: 'groupId', declared: 'directoryObject' },
    },
  },
  group: {
    type: 'group',
    table: 'groups',
    props: {
      id: text,
      displayName: text,
      description: text,
      mail: { kind: 'string', caseInsensitive: true },
      mailNickname: text,
      mailEnabled: bool,
      securityEnabled: bool,
      groupTypes: json,
      visibility: text,
      resourceProvisioningOptions: json,
      createdDateTime: dateTime,
    },
    navs: {
      members: { kind: 'through', target: 'user', table: 'group_members', from: 'groupId', to: 'memberId', declared: 'directoryObject' },
      owners: { kind: 'through', target: 'user', table: 'group_owners', from: 'groupId', to: 'ownerId', declared: 'directoryObject' },
    },
  },
  site: {
    type: 'site',
    table: 'sites',
    props: { id: text, name: text, displayName: text, webUrl: text, description: text, createdDateTime: dateTime },
    navs: {},
  },
  organization: {
    type: 'organization',
    table: 'tenants',
    props: { id: text, displayName: text },
    navs: {},
    fixed: { isHome: '1' },
    computed: (row) => {
      const domains = JSON.parse(String(row.domains)) as string[];
      return { verifiedDomains: domains.map((name, i) => ({ capabilities: 'Email, OfficeCommunicationsOnline', isDefault: i === 0, isInitial: i === 0, name, type: 'Managed' })) };
    },
  },
  unifiedRoleDefinition: {
    type: 'unifiedRoleDefinition',
    table: 'role_definitions',
    fixed: { provider: 'entitlementManagement' },
    props: { id: text, displayName: text, description: text, isBuiltIn: bool, isEnabled: bool, templateId: text, version: text, rolePermissions: json },
    navs: {},
  },
  unifiedRoleAssignment: {
    type: 'unifiedRoleAssignment',
    table: 'role_assignments',
    props: { id: text, principalId: text, roleDefinitionId: text, directoryScopeId: text, appScopeId: text },
    navs: {
      principal: { kind: 'one', target: 'user', localKey: 'principalId', declared: 'directoryObject' },
      roleDefinition: { kind: 'one', target: 'unifiedRoleDefinition', localKey: 'roleDefinitionId' },
    },
    fixed: { provider: 'entitlementManagement' },
  },
  directoryAudit: {
    type: 'directoryAudit',
    table: 'directory_audits',
    props: {
      id: text,
      category: text,
      correlationId: text,
      result: enumOf('success', 'failure', 'timeout', 'unknownFutureValue'),
      resultReason: text,
      activityDisplayName: text,
      activityDateTime: dateTime,
      loggedByService: text,
      operationType: text,
      initiatedBy: json,
      targetResources: json,
      additionalDetails: json,
    },
    navs: {},
    pathColumns: { 'initiatedBy/user/id': { column: 'initiatedByUserId', kind: 'string' } },
  },
  accessPackageCatalog: {
    type: 'accessPackageCatalog',
    table: 'catalogs',
    props: {
      id: text,
      displayName: text,
      description: text,
      catalogType: enumOf('userManaged', 'serviceDefault', 'serviceManaged', 'unknownFutureValue'),
      state: enumOf('unpublished', 'published', 'unknownFutureValue'),
      isExternallyVisible: bool,
      createdDateTime: dateTime,
      modifiedDateTime: dateTime,
    },
    navs: {
      accessPackages: { kind: 'many', target: 'accessPackage', foreignKey: 'catalogId' },
      resources: { kind: 'many', target: 'accessPackageResource', foreignKey: 'catalogId' },
      resourceRoles: { kind: 'many', target: 'accessPackageResourceRole', foreignKey: 'catalogId' },
      resourceScopes: { kind: 'many', target: 'accessPackageResourceScope', foreignKey: 'catalogId' },
    },
  },
  accessPackageResource: {
    type: 'accessPackageResource',
    table: 'resources',
    props: { ...originProps, attributes: json, createdDateTime: dateTime, modifiedDateTime: dateTime },
    navs: {
      roles: { kind: 'many', target: 'accessPackageResourceRole', foreignKey: 'resourceId' },
      scopes: { kind: 'many', target: 'accessPackageResourceScope', foreignKey: 'resourceId' },
    },
  },
  accessPackageResourceRole: {
    type: 'accessPackageResourceRole',
    table: 'resource_roles',
    props: { ...originProps },
    navs: { resource: { kind: 'one', target: 'accessPackageResource', localKey: 'resourceId' } },
  },
  accessPackageResourceScope: {
    type: 'accessPackageResourceScope',
    table: 'resource_scopes',
    props: { ...originProps, isRootScope: bool },
    navs: { resource: { kind: 'one', target: 'accessPackageResource', localKey: 'resourceId' } },
  },
  accessPackageResourceRequest: {
    type: 'accessPackageResourceRequest',
    table: 'resource_requests',
    props: {
      id: text,
      requestType: enumOf('notSpecified', 'userAdd', 'userUpdate', 'userRemove', 'adminAdd', 'adminUpdate', 'adminRemove', 'systemAdd', 'systemUpdate', 'systemRemove', 'onBehalfAdd', 'unknownFutureValue'),
      state: enumOf('submitted', 'pendingApproval', 'delivering', 'delivered', 'deliveryFailed', 'denied', 'scheduled', 'canceled', 'partiallyDelivered', 'unknownFutureValue'),
      createdDateTime: dateTime,
    },
    navs: {
      catalog: { kind: 'one', target: 'accessPackageCatalog', localKey: 'catalogId' },
      resource: { kind: 'one', target: 'accessPackageResource', localKey: 'resourceId' },
    },
  },
  accessPackage: {
    type: 'accessPackage',
    table: 'access_packages',
    props: { id: text, displayName: text, description: text, isHidden: bool, createdDateTime: dateTime, modifiedDateTime: dateTime },
    navs: {
      catalog: { kind: 'one', target: 'accessPackageCatalog', localKey: 'catalogId' },
      resourceRoleScopes: { kind: 'many', target: 'accessPackageResourceRoleScope', foreignKey: 'accessPackageId' },
      assignmentPolicies: { kind: 'many', target: 'accessPackageAssignmentPolicy', foreignKey: 'accessPackageId' },
      incompatibleAccessPackages: { kind: 'through', target: 'accessPackage', table: 'incompatible_access_packages', from: 'accessPackageId', to: 'incompatibleAccessPackageId' },
      accessPackagesIncompatibleWith: { kind: 'through', target: 'accessPackage', table: 'incompatible_access_packages', from: 'incompatibleAccessPackageId', to: 'accessPackageId' },
      incompatibleGroups: { kind: 'through', target: 'group', table: 'incompatible_groups', from: 'accessPackageId', to: 'groupId' },
    },
  },
  accessPackageResourceRoleScope: {
    type: 'accessPackageResourceRoleScope',
    table: 'resource_role_scopes',
    props: { id: text, createdDateTime: dateTime },
    navs: {
      role: { kind: 'one', target: 'accessPackageResourceRole', localKey: 'roleId' },
      scope: { kind: 'one', target: 'accessPackageResourceScope', localKey: 'scopeId' },
    },
  },
  accessPackageAssignmentPolicy: {
    type: 'accessPackageAssignmentPolicy',
    table: 'assignment_policies',
    props: {
      id: text,
      displayName: text,
      description: text,
      allowedTargetScope: { kind: 'enum', values: allowedTargetScopes },
      specificAllowedTargets: json,
      expiration: json,
      requestorSettings: json,
      requestApprovalSettings: json,
      reviewSettings: json,
      questions: json,
      automaticRequestSettings: json,
      createdDateTime: dateTime,
      modifiedDateTime: dateTime,
    },
    navs: {
      accessPackage: { kind: 'one', target: 'accessPackage', localKey: 'accessPackageId' },
      catalog: { kind: 'one', target: 'accessPackageCatalog', localKey: 'catalogId' },
    },
    derivedNavs: {
      questions: (row) => (typeof row.questions === 'string' ? JSON.parse(row.questions) : []),
      // Portier has no custom extensions, so no policy has stage settings for them.
      customExtensionStageSettings: () => [],
    },
  },
  accessPackageSubject: {
    type: 'accessPackageSubject',
    table: 'subjects',
    props: {
      id: text,
      displayName: text,
      email: { kind: 'string', caseInsensitive: true, lowerColumn: 'emailLower' },
      objectId: text,
      principalName: text,
      subjectType: enumOf('user', 'servicePrincipal', 'unknownFutureValue'),
      subjectLifecycle: enumOf('notDefined', 'notGoverned', 'governed', 'unknownFutureValue'),
    },
    navs: { connectedOrganization: { kind: 'one', target: 'connectedOrganization', localKey: 'connectedOrganizationId' } },
    computed: () => ({ onPremisesSecurityIdentifier: null }),
  },
  accessPackageAssignmentRequest: {
    type: 'accessPackageAssignmentRequest',
    table: 'assignment_requests',
    props: {
      id: text,
      requestType: enumOf('notSpecified', 'userAdd', 'userUpdate', 'userRemove', 'adminAdd', 'adminUpdate', 'adminRemove', 'systemAdd', 'systemUpdate', 'systemRemove', 'onBehalfAdd', 'unknownFutureValue'),
      state: enumOf('submitted', 'pendingApproval', 'delivering', 'delivered', 'deliveryFailed', 'denied', 'scheduled', 'canceled', 'partiallyDelivered', 'unknownFutureValue'),
      status: text,
      createdDateTime: dateTime,
      completedDateTime: dateTime,
      schedule: json,
      answers: json,
      justification: text,
    },
    navs: {
      accessPackage: { kind: 'one', target: 'accessPackage', localKey: 'accessPackageId' },
      assignment: { kind: 'one', target: 'accessPackageAssignment', localKey: 'assignmentId' },
      requestor: { kind: 'one', target: 'accessPackageSubject', localKey: 'requestorId' },
    },
    computed: () => ({ customExtensionCalloutInstances: [] }),
  },
  accessPackageAssignment: {
    type: 'accessPackageAssignment',
    table: 'assignments',
    props: {
      id: text,
      state: enumOf('delivering', 'partiallyDelivered', 'delivered', 'expired', 'deliveryFailed', 'unknownFutureValue'),
      status: text,
      expiredDateTime: dateTime,
      schedule: json,
    },
    navs: {
      accessPackage: { kind: 'one', target: 'accessPackage', localKey: 'accessPackageId' },
      assignmentPolicy: { kind: 'one', target: 'accessPackageAssignmentPolicy', localKey: 'assignmentPolicyId' },
      target: { kind: 'one', target: 'accessPackageSubject', localKey: 'targetId' },
    },
    computed: () => ({ customExtensionCalloutInstances: [] }),
  },
  connectedOrganization: {
    type: 'connectedOrganization',
    table: 'connected_organizations',
    props: {
      id: text,
      displayName: text,
      description: text,
      state: enumOf('configured', 'proposed', 'unknownFutureValue'),
      identitySources: json,
      // No createdBy: beta only (the column stays for the audit trail).
      createdDateTime: dateTime,
      modifiedDateTime: dateTime,
    },
    navs: {
      internalSponsors: { kind: 'through', target: 'user', table: 'connected_organization_sponsors', from: 'connectedOrganizationId', to: 'sponsorId', fixed: { kind: 'internal' }, declared: 'directoryObject' },
      externalSponsors: { kind: 'through', target: 'user', table: 'connected_organization_sponsors', from: 'connectedOrganizationId', to: 'sponsorId', fixed: { kind: 'external' }, declared: 'directoryObject' },
    },
  },
  entitlementManagementSettings: {
    type: 'entitlementManagementSettings',
    table: 'entitlement_settings',
    props: {
      id: text,
      externalUserLifecycleAction: enumOf('none', 'blockSignIn', 'blockSignInAndDelete', 'unknownFutureValue'),
      durationUntilExternalUserDeletedAfterBlocked: text,
    },
    navs: {},
  },
} satisfies Record<string, EntityDef>;

export type EntityName = keyof typeof entities;

const registered = new Map<string, EntityDef>();

/**
 * Adds an entity defined next to its routes (access reviews, whose presentation needs command
 * code) so navigations can name it; returns it.
 */
export function registerEntity(def: EntityDef): EntityDef {
  registered.set(def.type, def);
  return def;
}

/** Looks up an entity definition by name (navigation targets name their entity). */
export function entity(name: string): EntityDef {
  const def = (entities as Record<string, EntityDef>)[name] ?? registered.get(name);
  if (!def) throw new Error(`unknown entity type ${name}`);
  return def;
}
