
/**
 * Row types of Portier's schema. Columns are named after the Graph property they hold, so the
 * OData layer maps `$filter`/`$orderby`/`$select` straight to columns. Booleans are stored as 0/1
 * and date-times as ISO 8601 text in both dialects, so the same SQL and the same comparisons work on
 * SQLite and PostgreSQL. Complex Graph values (arrays, nested objects) are JSON text.
 */
import type { Generated } from 'kysely';

export type Bool = number;
export type DateTimeText = string;
export type JsonText = string;

export interface TenantsTable {
  id: string;
  displayName: string;
  /** JSON array of domain names; the first one is the default domain. */
  domains: JsonText;
  /** 1 for the home tenant (the one Portier's directory is), 0 for partner tenants. */
  isHome: Bool;
}

/** Home accounts of people in other tenants (dev sign-in for partner users, and the demo's partners). */
export interface ExternalAccountsTable {
  tenantId: string;
  id: string;
  userPrincipalName: string;
  displayName: string;
  mail: string;
}

export interface UsersTable {
  id: string;
  displayName: string;
  givenName: string | null;
  surname: string | null;
  mail: string | null;
  /** Lower-cased `mail`, for case-insensitive matching with an index. */
  mailLower: string | null;
  userPrincipalName: string;
  userType: 'Member' | 'Guest';
  accountEnabled: Bool;
  jobTitle: string | null;
  department: string | null;
  companyName: string | null;
  creationType: string | null;
  externalUserState: string | null;
  externalUserStateChangeDateTime: DateTimeText | null;
  createdDateTime: DateTimeText;
  managerId: string | null;
  /** For guests: the account in their home tenant that signs in as this guest. */
  homeTenantId: string | null;
  homeObjectId: string | null;
  /** Two-letter country code (ISO 3166), needed in Entra to license a user. */
  usageLocation: string | null;
  /** Last time the user signed in to Portier (at most hourly precision): recent activity for reviews. */
  lastSignInDateTime: DateTimeText | null;
  /** When Portier blocked this governed guest because their last assignment ended. */
  blockedDateTime: DateTimeText | null;
}

export interface UserSponsorsTable {
  userId: string;
  sponsorId: string;
}

export interface GroupsTable {
  id: string;
  displayName: string;
  description: string | null;
  mail: string | null;
  mailNickname: string;
  mailEnabled: Bool;
  securityEnabled: Bool;
  groupTypes: JsonText;
  visibility: string | null;
  resourceProvisioningOptions: JsonText;
  createdDateTime: DateTimeText;
}

export interface GroupMembersTable {
  groupId: string;
  memberId: string;
}

export interface GroupOwnersTable {
  groupId: string;
  ownerId: string;
}

/** SharePoint sites; a group's root site has `groupId` set. */
export interface SitesTable {
  id: string;
  groupId: string | null;
  name: string;
  displayName: string;
  webUrl: string;
  description: string | null;
  createdDateTime: DateTimeText;
}

/** The SharePoint groups of a site (Owners 3, Visitors 4, Members 5): the roles a site offers. */
export interface SiteGroupsTable {
  siteId: string;
  id: string;
  displayName: string;
  description: string | null;
}

export interface SiteGroupMembersTable {
  siteId: string;
  siteGroupId: string;
  userId: string;
}

/** Role assignments, both directory roles (`provider = 'directory'`) and entitlement management roles. */
export interface RoleAssignmentsTable {
  id: string;
  provider: 'directory' | 'entitlementManagement';
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId: string;
  appScopeId: string;
  createdDateTime: DateTimeText;
}

export interface RoleDefinitionsTable {
  id: string;
  provider: 'directory' | 'entitlementManagement';
  displayName: string;
  description: string;
  isBuiltIn: Bool;
  isEnabled: Bool;
  templateId: string;
  version: string | null;
  rolePermissions: JsonText;
}

export interface DirectoryAuditsTable {
  id: string;
  category: string;
  activityDateTime: DateTimeText;
  activityDisplayName: string;
  operationType: string;
  result: string;
  resultReason: string | null;
  loggedByService: string;
  correlationId: string;
  initiatedBy: JsonText;
  initiatedByUserId: string | null;
  targetResources: JsonText;
  additionalDetails: JsonText;
}

export interface CatalogsTable {
  id: string;
  displayName: string;
  description: string | null;
  catalogType: string;
  state: string;
  isExternallyVisible: Bool;
  createdDateTime: DateTimeText;
  modifiedDateTime: DateTimeText;
}

export interface ResourcesTable {
  id: string;
  catalogId: string;
  displayName: string;
  description: string | null;
  originId: string;
  originSystem: string;
  attributes: JsonText;
  createdDateTime: DateTimeText;
  modifiedDateTime: DateTimeText;
}

export interface ResourceRolesTable {
  id: string;
  resourceId: string;
  catalogId: string;
  displayName: string;
  description: string | null;
  originId: string;
  originSystem: string;
}

export interface ResourceScopesTable {
  id: string;
  resourceId: string;
  catalogId: string;
  displayName: string;
  description: string | null;
  originId: string;
  originSystem: string;
  isRootScope: Bool;
}

export interface ResourceRequestsTable {
  id: string;
  catalogId: string;
  resourceId: string;
  requestType: string;
  state: string;
  createdDateTime: DateTimeText;
  requestorId: string | null;
}

export interface AccessPackagesTable {
  id: string;
  catalogId: string;
  displayName: string;
  description: string | null;
  isHidden: Bool;
  createdDateTime: DateTimeText;
  modifiedDateTime: DateTimeText;
}

export interface ResourceRoleScopesTable {
  id: string;
  accessPackageId: string;
  roleId: string;
  scopeId: string;
  createdDateTime: DateTimeText;
}

export interface IncompatibleAccessPackagesTable {
  accessPackageId: string;
  incompatibleAccessPackageId: string;
}

export interface IncompatibleGroupsTable {
  accessPackageId: string;
  groupId: string;
}

export interface AssignmentPoliciesTable {
  id: string;
  accessPackageId: string;
  catalogId: string;
  displayName: string;
  description: string | null;
  allowedTargetScope: string;
  specificAllowedTargets: JsonText;
  expiration: JsonText;
  requestorSettings: JsonText;
  requestApprovalSettings: JsonText;
  reviewSettings: JsonText;
  questions: JsonText;
  automaticRequestSettings: JsonText;
  createdDateTime: DateTimeText;
  modifiedDateTime: DateTimeText;
}

/**
 * Access package assignments. `state` is Graph's (`delivering`, `delivered`, `deliveryFailed`,
 * `partiallyDelivered`, `expired`); an assignment is active until expired. `targetId` is a subject.
 */
export interface AssignmentsTable {
  id: string;
  accessPackageId: string;
  assignmentPolicyId: string;
  catalogId: string;
  targetId: string;
  state: string;
  status: string | null;
  schedule: JsonText;
  expiredDateTime: DateTimeText | null;
  createdDateTime: DateTimeText;
  /** `package|target` while active, null once expired: one active assignment per package and person. */
  activeKey: string | null;
  /** The request that created (or last extended) it. */
  requestId: string | null;
  deliveredDateTime: DateTimeText | null;
  /**
   * When the clock (or, after an extension, the current term) started and when it ends (null: never,
   * or already ended — the expiry sweep's index then holds only live ends; `schedule` keeps the end).
   */
  startDateTime: DateTimeText | null;
  endDateTime: DateTimeText | null;
  /** When the next expiry notice is due (null: none left) and how many were sent. */
  nextNoticeDateTime: DateTimeText | null;
  noticesSent: Generated<number>;
  deliveryAttempts: Generated<number>;
}

/** What an assignment granted: one row per resource role, with its state in the directory. */
export interface AssignmentGrantsTable {
  id: string;
  assignmentId: string;
  /** The directory user holding the role (null until the guest is invited). */
  userId: string | null;
  originSystem: string;
  /** Group id, or site URL. */
  resourceOriginId: string;
  /** `Member_<group>`/`Owner_<group>`, or the site group id. */
  roleOriginId: string;
  roleDisplayName: string | null;
  state: 'pending' | 'granted' | 'failed' | 'removed';
  grantedDateTime: DateTimeText | null;
  removedDateTime: DateTimeText | null;
  lastError: string | null;
}

/** `accessPackageSubject`: who an assignment or request is for; partner users before they are guests too. */
export interface SubjectsTable {
  id: string;
  /** Directory object id (null until an external requestor is invited). */
  objectId: string | null;
  displayName: string | null;
  email: string | null;
  emailLower: string | null;
  principalName: string | null;
  subjectType: string;
  subjectLifecycle: 'notDefined' | 'notGoverned' | 'governed';
  connectedOrganizationId: string | null;
  homeTenantId: string | null;
  homeObjectId: string | null;
  createdDateTime: DateTimeText;
}

export interface AssignmentRequestsTable {
  id: string;
  requestType: string;
  state: string;
  status: string;
  accessPackageId: string;
  assignmentPolicyId: string | null;
  catalogId: string;
  assignmentId: string | null;
  /** Subject the request is for, and subject who made it. */
  targetId: string;
  requestorId: string;
  justification: string | null;
  answers: JsonText;
  schedule: JsonText;
  createdDateTime: DateTimeText;
  completedDateTime: DateTimeText | null;
  /** Index of the approval stage in progress (0-based), null when none. */
  currentStage: number | null;
  stageCount: number;
  /** Why it ended the way it did (denied with no approver, delivery error…), for notices and audit. */
  resultReason: string | null;
  /** `package|target` while open, null afterwards. */
  openKey: string | null;
}

export interface ApprovalStagesTable {
  id: string;
  requestId: string;
  stageIndex: number;
  displayName: string;
  /** `NotStarted`, `InProgress`, `Completed`, `Expired`. */
  status: string;
  /** `NotReviewed`, `Approve`, `Deny`. */
  reviewResult: string;
  justification: string | null;
  reviewedById: string | null;
  /** JSON `identity` of who decided (a user, or the system). */
  reviewedBy: JsonText | null;
  reviewedDateTime: DateTimeText | null;
  startedDateTime: DateTimeText | null;
  /** Automatic denial at this moment. */
  dueDateTime: DateTimeText | null;
  escalationDateTime: DateTimeText | null;
  isEscalated: Bool;
  /** The policy's `accessPackageApprovalStage` at submission. */
  settings: JsonText;
}

export interface ApprovalStageApproversTable {
  stageId: string;
  requestId: string;
  userId: string;
  kind: 'primary' | 'fallbackPrimary' | 'escalation' | 'fallbackEscalation';
  addedDateTime: DateTimeText;
}

export interface AccessReviewDefinitionsTable {
  id: string;
  displayName: string;
  descriptionForAdmins: string | null;
  status: string;
  assignmentPolicyId: string;
  accessPackageId: string;
  catalogId: string;
  /** The policy's reviewSettings. */
  settings: JsonText;
  createdDateTime: DateTimeText;
  lastModifiedDateTime: DateTimeText;
}

export interface AccessReviewInstancesTable {
  id: string;
  definitionId: string;
  startDateTime: DateTimeText;
  endDateTime: DateTimeText;
  status: string;
  createdDateTime: DateTimeText;
}

export interface AccessReviewDecisionsTable {
  id: string;
  instanceId: string;
  definitionId: string;
  assignmentId: string;
  /** Directory user under review. */
  principalId: string;
  /** JSON `identity` of the principal and of the resource (the access package). */
  principal: JsonText;
  resource: JsonText;
  decision: string;
  recommendation: string;
  justification: string | null;
  reviewedById: string | null;
  reviewedBy: JsonText | null;
  reviewedDateTime: DateTimeText | null;
  appliedBy: JsonText | null;
  appliedDateTime: DateTimeText | null;
  applyResult: string;
}

export interface AccessReviewReviewersTable {
  decisionId: string;
  instanceId: string;
  userId: string;
  kind: 'primary' | 'fallback' | 'self';
}

/** One row per event and recipient: what the bot should tell whom. */
export interface NotificationsTable {
  id: string;
  eventId: string;
  eventType: string;
  recipientId: string;
  subjectId: string;
  payload: JsonText;
  createdDateTime: DateTimeText;
  sentDateTime: DateTimeText | null;
  /** The Teams sender's state: `pending`, `sent`, `noConversation` (kept), `superseded` (shown on first contact instead), `stopped` (403/404), `failed`. */
  teamsState: Generated<string>;
  teamsAttempts: Generated<number>;
  teamsNextAttemptDateTime: DateTimeText | null;
  teamsLeaseOwner: string | null;
  teamsLeaseExpiresDateTime: DateTimeText | null;
  teamsError: string | null;
}

/** A conversation the bot is part of: a person's personal chat, a team, a group chat. */
export interface TeamsConversationsTable {
  id: string;
  conversationType: string;
  /** Directory user id (`from.aadObjectId`) of a personal conversation. */
  userId: string | null;
  /** The person's Teams id (`29:…`), for `refresh.userIds` and new conversations. */
  userMri: string | null;
  teamId: string | null;
  aadGroupId: string | null;
  tenantId: string;
  serviceUrl: string;
  channelId: string;
  botId: string;
  locale: string | null;
  updatedDateTime: DateTimeText;
}

/** A card the bot sent that changes later: kind + subject (e.g. `approval` + stage id) per person. */
export interface TeamsCardsTable {
  id: string;
  kind: string;
  subjectId: string;
  userId: string;
  conversationId: string;
  activityId: string;
  /** What the card showed that Graph does not give back (due time, fallback): JSON. */
  facts: JsonText;
  createdDateTime: DateTimeText;
}

export interface ConnectedOrganizationsTable {
  id: string;
  displayName: string;
  description: string | null;
  state: string;
  identitySources: JsonText;
  createdBy: string | null;
  createdDateTime: DateTimeText;
  modifiedDateTime: DateTimeText;
}

/** One row per identity source of a connected organization, lower-cased, to match partners with an index. */
export interface ConnectedOrganizationSourcesTable {
  connectedOrganizationId: string;
  kind: 'tenant' | 'domain';
  value: string;
}

export interface ConnectedOrganizationSponsorsTable {
  connectedOrganizationId: string;
  sponsorId: string;
  kind: 'internal' | 'external';
}

/** Groups that sponsor a connected organization (Graph allows users or groups); approvers are their members. */
export interface ConnectedOrganizationGroupSponsorsTable {
  connectedOrganizationId: string;
  groupId: string;
  kind: 'internal' | 'external';
}

export interface EntitlementSettingsTable {
  id: string;
  externalUserLifecycleAction: string;
  durationUntilExternalUserDeletedAfterBlocked: string;
}

export interface InstanceSecretsTable {
  name: string;
  value: string;
}

/** Work due at a moment, claimed with a lease (bot/jobs/timers.ts). */
export interface TimersTable {
  id: string;
  kind: string;
  subjectId: string;
  dueAt: DateTimeText;
  payload: JsonText;
  attempts: number;
  leaseOwner: string | null;
  leaseUntil: DateTimeText | null;
  lastError: string | null;
  createdDateTime: DateTimeText;
}

/** Events written in the transaction of the change that caused them (bot/jobs/outbox.ts). */
export interface OutboxEventsTable {
  id: string;
  type: string;
  subjectId: string;
  payload: JsonText;
  createdDateTime: DateTimeText;
}

/** One row per event and consumer: whether that consumer has handled it. */
export interface OutboxDeliveriesTable {
  eventId: string;
  consumer: string;
  state: 'pending' | 'done' | 'failed';
  availableAt: DateTimeText;
  attempts: number;
  leaseOwner: string | null;
  leaseUntil: DateTimeText | null;
  lastError: string | null;
  handledDateTime: DateTimeText | null;
}

/**
 * Who may request for themselves through a policy, derived from the policy's own columns
 * (`allowedTargetScope`, `specificAllowedTargets`, `requestorSettings.enableTargetsToSelfAddAccess`)
 * and written in the transaction that writes the policy (deleted with it by the foreign key), so
 * "which packages may this person request" is one indexed query. One row per target: `kind` is a
 * scope that covers everyone of a kind (`allMemberUsers`, `allDirectoryUsers`,
 * `allConfiguredConnectedOrganizationUsers`, `allExternalUsers`; `subjectId` ''), or one target of
 * a specific scope (`singleUser` a user id, `groupMembers` a group id, `connectedOrganizationMembers`
 * a connected organization id). Policies nobody requests through (self-add off, `notSpecified`) have
 * no rows. A policy's package and catalog never change.
 */
export interface PolicyRequestorScopesTable {
  policyId: string;
  accessPackageId: string;
  catalogId: string;
  kind: string;
  subjectId: string;
}

export interface Database {
  tenants: TenantsTable;
  external_accounts: ExternalAccountsTable;
  users: UsersTable;
  user_sponsors: UserSponsorsTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  group_owners: GroupOwnersTable;
  sites: SitesTable;
  site_groups: SiteGroupsTable;
  site_group_members: SiteGroupMembersTable;
  role_definitions: RoleDefinitionsTable;
  role_assignments: RoleAssignmentsTable;
  directory_audits: DirectoryAuditsTable;
  catalogs: CatalogsTable;
  resources: ResourcesTable;
  resource_roles: ResourceRolesTable;
  resource_scopes: ResourceScopesTable;
  resource_requests: ResourceRequestsTable;
  access_packages: AccessPackagesTable;
  resource_role_scopes: ResourceRoleScopesTable;
  incompatible_access_packages: IncompatibleAccessPackagesTable;
  incompatible_groups: IncompatibleGroupsTable;
  assignment_policies: AssignmentPoliciesTable;
  policy_requestor_scopes: PolicyRequestorScopesTable;
  assignments: AssignmentsTable;
  assignment_grants: AssignmentGrantsTable;
  subjects: SubjectsTable;
  assignment_requests: AssignmentRequestsTable;
  approval_stages: ApprovalStagesTable;
  approval_stage_approvers: ApprovalStageApproversTable;
  access_review_definitions: AccessReviewDefinitionsTable;
  access_review_instances: AccessReviewInstancesTable;
  access_review_decisions: AccessReviewDecisionsTable;
  access_review_reviewers: AccessReviewReviewersTable;
  notifications: NotificationsTable;
  teams_conversations: TeamsConversationsTable;
  teams_cards: TeamsCardsTable;
  connected_organizations: ConnectedOrganizationsTable;
  connected_organization_sources: ConnectedOrganizationSourcesTable;
  connected_organization_sponsors: ConnectedOrganizationSponsorsTable;
  connected_organization_group_sponsors: ConnectedOrganizationGroupSponsorsTable;
  entitlement_settings: EntitlementSettingsTable;
  instance_secrets: InstanceSecretsTable;
  timers: TimersTable;
  outbox_events: OutboxEventsTable;
  outbox_deliveries: OutboxDeliveriesTable;
}

