import { Kysely, Migration, MigrationProvider, Migrator, sql } from 'kysely';
import { builtInRoleDefinitions } from '../domain/roles';
import type { Database } from './schema';

/**
 * Migrations live in code (no files to ship or find at run time) and run at start-up. Each one is
 * append-only: never edit a migration that has landed, add the next one.
 */
// Kysely's schema builder is untyped on purpose: migrations describe history, not today's types.
type AnyDb = Kysely<unknown>;

const migrations: Record<string, Migration> = {
  '0001_directory': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('tenants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('displayName', 'text', (c) => c.notNull())
        .addColumn('domains', 'text', (c) => c.notNull())
        .addColumn('isHome', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('external_accounts')
        .addColumn('tenantId', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('userPrincipalName', 'text', (c) => c.notNull().unique())
        .addColumn('displayName', 'text', (c) => c.notNull())
        .addColumn('mail', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('external_accounts_pk', ['tenantId', 'id'])
        .execute();
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('displayName', 'text', (c) => c.notNull())
        .addColumn('givenName', 'text')
        .addColumn('surname', 'text')
        .addColumn('mail', 'text')
        .addColumn('mailLower', 'text')
        .addColumn('userPrincipalName', 'text', (c) => c.notNull())
        .addColumn('userType', 'text', (c) => c.notNull())
        .addColumn('accountEnabled', 'integer', (c) => c.notNull())
        .addColumn('jobTitle', 'text')
        .addColumn('department', 'text')
        .addColumn('companyName', 'text')
        .addColumn('creationType', 'text')
        .addColumn('externalUserState', 'text')
        .addColumn('externalUserStateChangeDateTime', 'text')
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .addColumn('managerId', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('homeTenantId', 'text')
        .addColumn('homeObjectId', 'text')
        .addColumn('usageLocation', 'text')
        .execute();
      await db.schema.createIndex('users_upn').unique().on('users').expression(sql`lower("userPrincipalName")`).execute();
      await db.schema.createIndex('users_mail').on('users').column('mailLower').execute();
      await db.schema.createIndex('users_display_name').on('users').column('displayName').execute();
      await db.schema.createIndex('users_home').on('users').columns(['homeTenantId', 'homeObjectId']).execute();
      await db.schema
        .createTable('user_sponsors')
        .addColumn('userId', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('sponsorId', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('user_sponsors_pk', ['userId', 'sponsorId'])
        .execute();
      await db.schema
        .createTable('groups')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('displayName', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('mail', 'text')
        .addColumn('mailNickname', 'text', (c) => c.notNull())
        .addColumn('mailEnabled', 'integer', (c) => c.notNull())
        .addColumn('securityEnabled', 'integer', (c) => c.notNull())
        .addColumn('groupTypes', 'text', (c) => c.notNull())
        .addColumn('visibility', 'text')
        .addColumn('resourceProvisioningOptions', 'text', (c) => c.notNull())
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('groups_display_name').on('groups').column('displayName').execute();
      for (const [table, column] of [
        ['group_members', 'memberId'],
        ['group_owners', 'ownerId'],
      ] as const) {
        await db.schema
          .createTable(table)
          .addColumn('groupId', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
          .addColumn(column, 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addPrimaryKeyConstraint(`${table}_pk`, ['groupId', column])
          .execute();
        await db.schema.createIndex(`${table}_by_user`).on(table).column(column).execute();
      }
      await db.schema
        .createTable('sites')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('groupId', 'text', (c) => c.references('groups.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('displayName', 'text', (c) => c.notNull())
        .addColumn('webUrl', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sites_group').on('sites').column('groupId').execute();
      await db.schema.createIndex('sites_web_url').unique().on('sites').column('webUrl').execute();
      await db.schema
        .createTable('site_groups')
        .addColumn('siteId', 'text', (c) => c.notNull().references('sites.id').onDelete('cascade'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('displayName', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addPrimaryKeyConstraint('site_groups_pk', ['siteId', 'id'])
        .execute();
      await db.schema
        .createTable('site_group_members')
        .addColumn('siteId', 'text', (c) => c.notNull().references('sites.id').onDelete('cascade'))
        .addColumn('siteGroupId', 'text', (c) => c.notNull())
        .addColumn('userId', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('site_group_members_pk', ['siteId', 'siteGroupId', 'userId'])
        .execute();
      await db.schema
        .createTable('role_assignments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('principalId', 'text', (c) => c.notNull())
        .addColumn('roleDefinitionId', 'text', (c) => c.notNull())
        .addColumn('directoryScopeId', 'text', (c) => c.notNull())
        .addColumn('appScopeId', 'text', (c) => c.notNull())
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('role_assignments_unique')
        .unique()
        .on('role_assignments')
        .columns(['provider', 'principalId', 'roleDefinitionId', 'appScopeId', 'directoryScopeId'])
        .execute();
      await db.schema.createIndex('role_assignments_scope').on('role_assignments').columns(['appScopeId', 'roleDefinitionId']).execute();
      await db.schema
        .createTable('directory_audits')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('activityDateTime', 'text', (c) => c.notNull())
        .addColumn('activityDisplayName', 'text', (c) => c.notNull())
        .addColumn('operationType', 'text', (c) => c.notNull())
        .addColumn('result', 'text', (c) => c.notNull())
        .addColumn('resultReason', 'text')
        .addColumn('loggedByService', 'text', (c) => c.notNull())
        .addColumn('correlationId', 'text', (c) => c.notNull())
        .addColumn('initiatedBy', 'text', (c) => c.notNull())
        .addColumn('initiatedByUserId', 'text')
        .addColumn('targetResources', 'text', (c) => c.notNull())
        .addColumn('additionalDetails', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('directory_audits_time').on('directory_audits').columns(['activityDateTime', 'id']).execute();
      await db.schema.createIndex('directory_audits_category').on('directory_audits').columns(['category', 'activityDateTime']).execute();
      await db.schema.createIndex('directory_audits_actor').on('directory_audits').columns(['initiatedByUserId', 'activityDateTime']).execute();
      await db.schema
        .createTable('role_definitions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('displayName', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('isBuiltIn', 'integer', (c) => c.notNull())
        .addColumn('isEnabled', 'integer', (c) => c.notNull())
        .addColumn('templateId', 'text', (c) => c.notNull())
        .addColumn('version', 'text')
        .addColumn('rolePermissions', 'text', (c) => c.notNull())
        .execute();
      // Built-in roles are facts of the platform, not demo data: every database has them.
      await (db as Kysely<Database>).insertInto('role_definitions').values(builtInRoleDefinitions()).execute();
      await db.schema
        .createTable('instance_secrets')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0002_entitlement_management': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('catalogs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('displayName', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('catalogType', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('isExternallyVisible', 'integer', (c) => c.notNull())
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .addColumn('modifiedDateTime', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('catalogs_display_name').on('catalogs').column('displayName').execute();
      await db.schema
        .createTable('resources')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('catalogId', 'text', (c) => c.notNull().references('catalogs.id'))
        .addColumn('displayName', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('originId', 'text', (c) => c.notNull())
        .addColumn('originSystem', 'text', (c) => c.notNull())
        .addColumn('attributes', 'text', (c) => c.notNull())
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .addColumn('modifiedDateTime', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('resources_origin').unique().on('resources').columns(['catalogId', 'originSystem', 'originId']).execute();
      for (const table of ['resource_roles', 'resource_scopes'] as const) {
        await db.schema
          .createTable(table)
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('resourceId', 'text', (c) => c.notNull().references('resources.id').onDelete('cascade'))
          .addColumn('catalogId', 'text', (c) => c.notNull())
          .addColumn('displayName', 'text', (c) => c.notNull())
          .addColumn('description', 'text')
          .addColumn('originId', 'text', (c) => c.notNull())
          .addColumn('originSystem', 'text', (c) => c.notNull())
          .$call((b) => (table === 'resource_scopes' ? b.addColumn('isRootScope', 'integer', (c) => c.notNull()) : b))
          .execute();
        await db.schema.createIndex(`${table}_resource`).on(table).columns(['resourceId', 'originId']).execute();
        await db.schema.createIndex(`${table}_catalog`).on(table).columns(['catalogId', 'id']).execute();
      }
      await db.schema
        .createTable('resource_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('catalogId', 'text', (c) => c.notNull())
        .addColumn('resourceId', 'text', (c) => c.notNull())
        .addColumn('requestType', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .addColumn('requestorId', 'text')
        .execute();
      await db.schema.createIndex('resource_requests_catalog').on('resource_requests').columns(['catalogId', 'createdDateTime']).execute();
      await db.schema
        .createTable('access_packages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('catalogId', 'text', (c) => c.notNull().references('catalogs.id'))
        .addColumn('displayName', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('isHidden', 'integer', (c) => c.notNull())
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .addColumn('modifiedDateTime', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('access_packages_catalog').on('access_packages').columns(['catalogId', 'id']).execute();
      await db.schema.createIndex('access_packages_display_name').on('access_packages').column('displayName').execute();
      await db.schema
        .createTable('resource_role_scopes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('accessPackageId', 'text', (c) => c.notNull().references('access_packages.id').onDelete('cascade'))
        .addColumn('roleId', 'text', (c) => c.notNull().references('resource_roles.id'))
        .addColumn('scopeId', 'text', (c) => c.notNull().references('resource_scopes.id'))
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('resource_role_scopes_package').unique().on('resource_role_scopes').columns(['accessPackageId', 'roleId', 'scopeId']).execute();
      await db.schema.createIndex('resource_role_scopes_role').on('resource_role_scopes').column('roleId').execute();
      await db.schema.createIndex('resource_role_scopes_scope').on('resource_role_scopes').column('scopeId').execute();
      await db.schema
        .createTable('incompatible_access_packages')
        .addColumn('accessPackageId', 'text', (c) => c.notNull().references('access_packages.id').onDelete('cascade'))
        .addColumn('incompatibleAccessPackageId', 'text', (c) => c.notNull().references('access_packages.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('incompatible_access_packages_pk', ['accessPackageId', 'incompatibleAccessPackageId'])
        .execute();
      await db.schema.createIndex('incompatible_access_packages_reverse').on('incompatible_access_packages').column('incompatibleAccessPackageId').execute();
      await db.schema
        .createTable('incompatible_groups')
        .addColumn('accessPackageId', 'text', (c) => c.notNull().references('access_packages.id').onDelete('cascade'))
        .addColumn('groupId', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('incompatible_groups_pk', ['accessPackageId', 'groupId'])
        .execute();
      await db.schema
        .createTable('assignment_policies')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('accessPackageId', 'text', (c) => c.notNull().references('access_packages.id'))
        .addColumn('catalogId', 'text', (c) => c.notNull())
        .addColumn('displayName', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('allowedTargetScope', 'text', (c) => c.notNull())
        .addColumn('specificAllowedTargets', 'text', (c) => c.notNull())
        .addColumn('expiration', 'text', (c) => c.notNull())
        .addColumn('requestorSettings', 'text', (c) => c.notNull())
        .addColumn('requestApprovalSettings', 'text', (c) => c.notNull())
        .addColumn('reviewSettings', 'text', (c) => c.notNull())
        .addColumn('questions', 'text', (c) => c.notNull())
        .addColumn('automaticRequestSettings', 'text', (c) => c.notNull())
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .addColumn('modifiedDateTime', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('assignment_policies_package').on('assignment_policies').columns(['accessPackageId', 'id']).execute();
      await db.schema.createIndex('assignment_policies_catalog').on('assignment_policies').columns(['catalogId', 'id']).execute();
      await db.schema
        .createTable('assignments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('accessPackageId', 'text', (c) => c.notNull().references('access_packages.id'))
        .addColumn('assignmentPolicyId', 'text', (c) => c.notNull().references('assignment_policies.id'))
        .addColumn('catalogId', 'text', (c) => c.notNull())
        .addColumn('targetId', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('status', 'text')
        .addColumn('schedule', 'text', (c) => c.notNull())
        .addColumn('expiredDateTime', 'text')
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('assignments_package').on('assignments').columns(['accessPackageId', 'state']).execute();
      await db.schema.createIndex('assignments_policy').on('assignments').columns(['assignmentPolicyId', 'state']).execute();
      await db.schema.createIndex('assignments_target').on('assignments').columns(['targetId', 'state']).execute();
      await db.schema
        .createTable('connected_organizations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('displayName', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('identitySources', 'text', (c) => c.notNull())
        .addColumn('createdBy', 'text')
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .addColumn('modifiedDateTime', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('connected_organizations_display_name').on('connected_organizations').column('displayName').execute();
      await db.schema
        .createTable('connected_organization_sources')
        .addColumn('connectedOrganizationId', 'text', (c) => c.notNull().references('connected_organizations.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('connected_organization_sources_pk', ['kind', 'value'])
        .execute();
      await db.schema.createIndex('connected_organization_sources_org').on('connected_organization_sources').column('connectedOrganizationId').execute();
      await db.schema
        .createTable('connected_organization_sponsors')
        .addColumn('connectedOrganizationId', 'text', (c) => c.notNull().references('connected_organizations.id').onDelete('cascade'))
        .addColumn('sponsorId', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('connected_organization_sponsors_pk', ['connectedOrganizationId', 'kind', 'sponsorId'])
        .execute();
      await db.schema
        .createTable('entitlement_settings')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('externalUserLifecycleAction', 'text', (c) => c.notNull())
        .addColumn('durationUntilExternalUserDeletedAfterBlocked', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0003_timers_and_outbox': {
    async up(db: AnyDb) {
      // Timers: work due at a moment (auto-deny, escalation, expiry, reminders…), claimed with a lease
      // so that any number of instances run each one once.
      await db.schema
        .createTable('timers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('subjectId', 'text', (c) => c.notNull())
        .addColumn('dueAt', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('leaseOwner', 'text')
        .addColumn('leaseUntil', 'text')
        .addColumn('lastError', 'text')
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('timers_subject').unique().on('timers').columns(['kind', 'subjectId']).execute();
      await db.schema.createIndex('timers_due').on('timers').columns(['dueAt', 'id']).execute();
      // The outbox: events written in the transaction of the change, handed to each consumer once.
      await db.schema
        .createTable('outbox_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('subjectId', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('outbox_events_subject').on('outbox_events').columns(['subjectId', 'createdDateTime']).execute();
      await db.schema
        .createTable('outbox_deliveries')
        .addColumn('eventId', 'text', (c) => c.notNull().references('outbox_events.id').onDelete('cascade'))
        .addColumn('consumer', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('availableAt', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('leaseOwner', 'text')
        .addColumn('leaseUntil', 'text')
        .addColumn('lastError', 'text')
        .addColumn('handledDateTime', 'text')
        .addPrimaryKeyConstraint('outbox_deliveries_pk', ['eventId', 'consumer'])
        .execute();
      await db.schema.createIndex('outbox_deliveries_pending').on('outbox_deliveries').columns(['state', 'availableAt']).execute();
    },
  },
  '0004_requests_and_lifecycle': {
    async up(db: AnyDb) {
      // Subjects: the people assignments are for, including partner users who are not guests yet.
      await db.schema
        .createTable('subjects')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('objectId', 'text')
        .addColumn('displayName', 'text')
        .addColumn('email', 'text')
        .addColumn('emailLower', 'text')
        .addColumn('principalName', 'text')
        .addColumn('subjectType', 'text', (c) => c.notNull())
        .addColumn('subjectLifecycle', 'text', (c) => c.notNull())
        .addColumn('connectedOrganizationId', 'text')
        .addColumn('homeTenantId', 'text')
        .addColumn('homeObjectId', 'text')
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('subjects_object').unique().on('subjects').column('objectId').execute();
      await db.schema.createIndex('subjects_home').unique().on('subjects').columns(['homeTenantId', 'homeObjectId']).execute();
      await db.schema.createIndex('subjects_email').on('subjects').column('emailLower').execute();

      await db.schema
        .createTable('assignment_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('requestType', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('accessPackageId', 'text', (c) => c.notNull())
        .addColumn('assignmentPolicyId', 'text')
        .addColumn('catalogId', 'text', (c) => c.notNull())
        .addColumn('assignmentId', 'text')
        .addColumn('targetId', 'text', (c) => c.notNull().references('subjects.id'))
        .addColumn('requestorId', 'text', (c) => c.notNull().references('subjects.id'))
        .addColumn('justification', 'text')
        .addColumn('answers', 'text', (c) => c.notNull())
        .addColumn('schedule', 'text', (c) => c.notNull())
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .addColumn('completedDateTime', 'text')
        .addColumn('currentStage', 'integer')
        .addColumn('stageCount', 'integer', (c) => c.notNull())
        .addColumn('resultReason', 'text')
        // Set while the request is open (package|target), null afterwards: the unique index refuses a
        // second open request for the same package and person, whatever the race.
        .addColumn('openKey', 'text')
        .execute();
      await db.schema.createIndex('assignment_requests_open').unique().on('assignment_requests').column('openKey').execute();
      await db.schema.createIndex('assignment_requests_target').on('assignment_requests').columns(['targetId', 'createdDateTime']).execute();
      await db.schema.createIndex('assignment_requests_requestor').on('assignment_requests').columns(['requestorId', 'createdDateTime']).execute();
      await db.schema.createIndex('assignment_requests_package').on('assignment_requests').columns(['accessPackageId', 'state']).execute();
      await db.schema.createIndex('assignment_requests_catalog').on('assignment_requests').columns(['catalogId', 'createdDateTime']).execute();
      await db.schema.createIndex('assignment_requests_assignment').on('assignment_requests').column('assignmentId').execute();

      // Approval stages of a request (the request's id is the approval's id, as in Graph).
      await db.schema
        .createTable('approval_stages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('requestId', 'text', (c) => c.notNull().references('assignment_requests.id').onDelete('cascade'))
        .addColumn('stageIndex', 'integer', (c) => c.notNull())
        .addColumn('displayName', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reviewResult', 'text', (c) => c.notNull())
        .addColumn('justification', 'text')
        .addColumn('reviewedById', 'text')
        .addColumn('reviewedBy', 'text')
        .addColumn('reviewedDateTime', 'text')
        .addColumn('startedDateTime', 'text')
        .addColumn('dueDateTime', 'text')
        .addColumn('escalationDateTime', 'text')
        .addColumn('isEscalated', 'integer', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('approval_stages_request').unique().on('approval_stages').columns(['requestId', 'stageIndex']).execute();
      await db.schema
        .createTable('approval_stage_approvers')
        .addColumn('stageId', 'text', (c) => c.notNull().references('approval_stages.id').onDelete('cascade'))
        .addColumn('requestId', 'text', (c) => c.notNull())
        .addColumn('userId', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('addedDateTime', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('approval_stage_approvers_pk', ['stageId', 'userId'])
        .execute();
      await db.schema.createIndex('approval_stage_approvers_user').on('approval_stage_approvers').columns(['userId', 'requestId']).execute();

      // Assignments gain their lifecycle: the active key (one active assignment per package and
      // person), when the clock started, when it ends, and the next expiry notice.
      await db.schema.alterTable('assignments').addColumn('activeKey', 'text').execute();
      await db.schema.alterTable('assignments').addColumn('requestId', 'text').execute();
      await db.schema.alterTable('assignments').addColumn('deliveredDateTime', 'text').execute();
      await db.schema.alterTable('assignments').addColumn('startDateTime', 'text').execute();
      await db.schema.alterTable('assignments').addColumn('endDateTime', 'text').execute();
      await db.schema.alterTable('assignments').addColumn('nextNoticeDateTime', 'text').execute();
      await db.schema.alterTable('assignments').addColumn('noticesSent', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('assignments').addColumn('deliveryAttempts', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.createIndex('assignments_active').unique().on('assignments').column('activeKey').execute();
      await db.schema.createIndex('assignments_end').on('assignments').columns(['endDateTime', 'id']).execute();
      await db.schema.createIndex('assignments_notice').on('assignments').columns(['nextNoticeDateTime', 'id']).execute();
      await db.schema.createIndex('assignments_catalog').on('assignments').columns(['catalogId', 'state']).execute();

      // What each assignment granted in the directory, so a role two assignments grant stays until
      // the last of them ends, and a retried delivery never grants twice.
      await db.schema
        .createTable('assignment_grants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('assignmentId', 'text', (c) => c.notNull().references('assignments.id').onDelete('cascade'))
        .addColumn('userId', 'text')
        .addColumn('originSystem', 'text', (c) => c.notNull())
        .addColumn('resourceOriginId', 'text', (c) => c.notNull())
        .addColumn('roleOriginId', 'text', (c) => c.notNull())
        .addColumn('roleDisplayName', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('grantedDateTime', 'text')
        .addColumn('removedDateTime', 'text')
        .addColumn('lastError', 'text')
        .execute();
      await db.schema.createIndex('assignment_grants_role').unique().on('assignment_grants').columns(['assignmentId', 'originSystem', 'resourceOriginId', 'roleOriginId']).execute();
      await db.schema.createIndex('assignment_grants_user').on('assignment_grants').columns(['userId', 'resourceOriginId', 'roleOriginId', 'state']).execute();

      // Access reviews created from policies' reviewSettings.
      await db.schema
        .createTable('access_review_definitions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('displayName', 'text', (c) => c.notNull())
        .addColumn('descriptionForAdmins', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('assignmentPolicyId', 'text', (c) => c.notNull())
        .addColumn('accessPackageId', 'text', (c) => c.notNull())
        .addColumn('catalogId', 'text', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .addColumn('lastModifiedDateTime', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('access_review_definitions_policy').unique().on('access_review_definitions').column('assignmentPolicyId').execute();
      await db.schema
        .createTable('access_review_instances')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('definitionId', 'text', (c) => c.notNull().references('access_review_definitions.id').onDelete('cascade'))
        .addColumn('startDateTime', 'text', (c) => c.notNull())
        .addColumn('endDateTime', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('access_review_instances_definition').on('access_review_instances').columns(['definitionId', 'startDateTime']).execute();
      await db.schema
        .createTable('access_review_decisions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('instanceId', 'text', (c) => c.notNull().references('access_review_instances.id').onDelete('cascade'))
        .addColumn('definitionId', 'text', (c) => c.notNull())
        .addColumn('assignmentId', 'text', (c) => c.notNull())
        .addColumn('principalId', 'text', (c) => c.notNull())
        .addColumn('principal', 'text', (c) => c.notNull())
        .addColumn('resource', 'text', (c) => c.notNull())
        .addColumn('decision', 'text', (c) => c.notNull())
        .addColumn('recommendation', 'text', (c) => c.notNull())
        .addColumn('justification', 'text')
        .addColumn('reviewedById', 'text')
        .addColumn('reviewedBy', 'text')
        .addColumn('reviewedDateTime', 'text')
        .addColumn('appliedBy', 'text')
        .addColumn('appliedDateTime', 'text')
        .addColumn('applyResult', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('access_review_decisions_instance').unique().on('access_review_decisions').columns(['instanceId', 'assignmentId']).execute();
      await db.schema
        .createTable('access_review_reviewers')
        .addColumn('decisionId', 'text', (c) => c.notNull().references('access_review_decisions.id').onDelete('cascade'))
        .addColumn('instanceId', 'text', (c) => c.notNull())
        .addColumn('userId', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('access_review_reviewers_pk', ['decisionId', 'userId'])
        .execute();
      await db.schema.createIndex('access_review_reviewers_user').on('access_review_reviewers').columns(['userId', 'instanceId']).execute();

      // Notifications: what the notifier made of the events, one row per recipient (the bot sends them).
      await db.schema
        .createTable('notifications')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('eventId', 'text', (c) => c.notNull())
        .addColumn('eventType', 'text', (c) => c.notNull())
        .addColumn('recipientId', 'text', (c) => c.notNull())
        .addColumn('subjectId', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .addColumn('sentDateTime', 'text')
        .execute();
      await db.schema.createIndex('notifications_event').unique().on('notifications').columns(['eventId', 'recipientId']).execute();
      await db.schema.createIndex('notifications_recipient').on('notifications').columns(['recipientId', 'createdDateTime']).execute();

      // Recent activity for review recommendations, and when Portier blocked a governed guest.
      await db.schema.alterTable('users').addColumn('lastSignInDateTime', 'text').execute();
      await db.schema.alterTable('users').addColumn('blockedDateTime', 'text').execute();
    },
  },
  '0005_group_sponsors': {
    async up(db: AnyDb) {
      // Groups as internal/external sponsors of a connected organization, beside the user sponsors (whose
      // sponsorId references users): a table of its own keeps both foreign keys, so deleting a group or a
      // connected organization removes the sponsorship on either database.
      await db.schema
        .createTable('connected_organization_group_sponsors')
        .addColumn('connectedOrganizationId', 'text', (c) => c.notNull().references('connected_organizations.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('groupId', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('connected_organization_group_sponsors_pk', ['connectedOrganizationId', 'kind', 'groupId'])
        .execute();
      await db.schema.createIndex('connected_organization_group_sponsors_group').on('connected_organization_group_sponsors').column('groupId').execute();
    },
  },
  '0006_teams_conversations': {
    async up(db: AnyDb) {
      // Where the bot can reach people and teams: one row per conversation it was part of.
      await db.schema
        .createTable('teams_conversations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('conversationType', 'text', (c) => c.notNull())
        .addColumn('userId', 'text')
        .addColumn('userMri', 'text')
        .addColumn('teamId', 'text')
        .addColumn('aadGroupId', 'text')
        .addColumn('tenantId', 'text', (c) => c.notNull())
        .addColumn('serviceUrl', 'text', (c) => c.notNull())
        .addColumn('channelId', 'text', (c) => c.notNull())
        .addColumn('botId', 'text', (c) => c.notNull())
        .addColumn('locale', 'text')
        .addColumn('updatedDateTime', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('teams_conversations_user').on('teams_conversations').columns(['userId', 'conversationType']).execute();
      await db.schema.createIndex('teams_conversations_group').on('teams_conversations').columns(['aadGroupId']).execute();
      // The cards the bot sent that must change later (approval cards of every approver, status cards).
      await db.schema
        .createTable('teams_cards')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('subjectId', 'text', (c) => c.notNull())
        .addColumn('userId', 'text', (c) => c.notNull())
        .addColumn('conversationId', 'text', (c) => c.notNull())
        .addColumn('activityId', 'text', (c) => c.notNull())
        .addColumn('facts', 'text', (c) => c.notNull())
        .addColumn('createdDateTime', 'text', (c) => c.notNull())
        .execute();
      // Several cards per person and subject (a reminder is a new card): every one is kept true.
      await db.schema.createIndex('teams_cards_subject').on('teams_cards').columns(['kind', 'subjectId', 'userId']).execute();
      // The sender's state of each notice: leased, retried with back-off, kept, or stopped with a reason.
      await db.schema.alterTable('notifications').addColumn('teamsState', 'text', (c) => c.notNull().defaultTo('pending')).execute();
      await db.schema.alterTable('notifications').addColumn('teamsAttempts', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('notifications').addColumn('teamsNextAttemptDateTime', 'text').execute();
      await db.schema.alterTable('notifications').addColumn('teamsLeaseOwner', 'text').execute();
      await db.schema.alterTable('notifications').addColumn('teamsLeaseExpiresDateTime', 'text').execute();
      await db.schema.alterTable('notifications').addColumn('teamsError', 'text').execute();
      await db.schema.createIndex('notifications_teams_due').on('notifications').columns(['teamsState', 'teamsNextAttemptDateTime']).execute();
    },
  },
  '0007_policy_requestor_scopes': {
    async up(db: AnyDb) {
      // Who may request through each policy, one row per target, so "which packages may this person
      // request" is an indexed query instead of parsing every policy (schema.ts, PolicyRequestorScopesTable).
      await db.schema
        .createTable('policy_requestor_scopes')
        .addColumn('policyId', 'text', (c) => c.notNull().references('assignment_policies.id').onDelete('cascade'))
        .addColumn('accessPackageId', 'text', (c) => c.notNull())
        .addColumn('catalogId', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('subjectId', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('policy_requestor_scopes_pk', ['policyId', 'kind', 'subjectId'])
        .execute();
      // From a package (is it requestable? a page of packages) and from a person (everything they may request).
      await db.schema.createIndex('policy_requestor_scopes_package').on('policy_requestor_scopes').columns(['accessPackageId', 'kind', 'subjectId', 'catalogId']).execute();
      await db.schema.createIndex('policy_requestor_scopes_subject').on('policy_requestor_scopes').columns(['kind', 'subjectId', 'accessPackageId', 'catalogId']).execute();
      // The policies that exist already. This copy of the derivation is history: it stays as it is when
      // today's (requestorScopeRows in bot/commands/requests/applicablePolicies.ts) changes.
      const policies = await sql<{ id: string; accessPackageId: string; catalogId: string; allowedTargetScope: string; specificAllowedTargets: string; requestorSettings: string }>`
        select "id", "accessPackageId", "catalogId", "allowedTargetScope", "specificAllowedTargets", "requestorSettings" from "assignment_policies"`.execute(db);
      const everyone = ['allMemberUsers', 'allDirectoryUsers', 'allConfiguredConnectedOrganizationUsers', 'allExternalUsers'];
      const rows: Array<{ policyId: string; accessPackageId: string; catalogId: string; kind: string; subjectId: string }> = [];
      for (const p of policies.rows) {
        if ((JSON.parse(p.requestorSettings) as { enableTargetsToSelfAddAccess?: boolean }).enableTargetsToSelfAddAccess !== true) continue;
        const targets = JSON.parse(p.specificAllowedTargets) as Array<{ '@odata.type': string; userId?: string; groupId?: string; connectedOrganizationId?: string }>;
        const seen = new Set<string>();
        const add = (kind: string, subjectId: string) => {
          if (seen.has(`${kind}|${subjectId}`)) return;
          seen.add(`${kind}|${subjectId}`);
          rows.push({ policyId: p.id, accessPackageId: p.accessPackageId, catalogId: p.catalogId, kind, subjectId });
        };
        if (everyone.includes(p.allowedTargetScope)) add(p.allowedTargetScope, '');
        for (const t of targets) {
          if (p.allowedTargetScope === 'specificDirectoryUsers' && t['@odata.type'] === '#microsoft.graph.singleUser' && t.userId) add('singleUser', t.userId);
          if (p.allowedTargetScope === 'specificDirectoryUsers' && t['@odata.type'] === '#microsoft.graph.groupMembers' && t.groupId) add('groupMembers', t.groupId);
          if (p.allowedTargetScope === 'specificConnectedOrganizationUsers' && t['@odata.type'] === '#microsoft.graph.connectedOrganizationMembers' && t.connectedOrganizationId) {
            add('connectedOrganizationMembers', t.connectedOrganizationId);
          }
        }
      }
      for (let i = 0; i < rows.length; i += 1000) {
        await db
          .insertInto('policy_requestor_scopes' as never)
          .values(rows.slice(i, i + 1000) as never)
          .execute();
      }
    },
  },
  '0008_hot_path_indexes': {
    async up(db: AnyDb) {
      // Issue 11's index audit (EXPLAIN QUERY PLAN over every statement the API, store and Teams suites
      // run): every B-tree on a table a request writes is one more page change per commit.
      // - outbox_events by subject: no query of the server reads events by subject (only tests do, on
      //   small tables); every event paid for it.
      await db.schema.dropIndex('outbox_events_subject').ifExists().execute();
      // - Pending deliveries only: the claim asks for state = 'pending' in due order, and a handled
      //   delivery (nearly all of them, kept for good) then leaves the index instead of moving within it.
      await db.schema.dropIndex('outbox_deliveries_pending').ifExists().execute();
      await db.schema
        .createIndex('outbox_deliveries_due')
        .on('outbox_deliveries')
        .columns(['availableAt', 'eventId', 'consumer'])
        .where(sql<boolean>`${sql.ref('state')} = 'pending'`)
        .execute();
    },
  },
  '0009_indexes_by_person': {
    async up(db: AnyDb) {
      // Every authenticated request reads its caller's roles by principal; the unique index leads with the
      // provider, so each of those reads scanned it whole (SQLite: "SCAN r USING COVERING INDEX"), one more row
      // per role assignment in the tenant.
      await db.schema.createIndex('role_assignments_principal').on('role_assignments').column('principalId').execute();
      // A foreign key's column needs an index of its own: deleting the row it refers to (a guest removed by the
      // lifecycle, a group) looks for the rows that refer to it, and without one that is a scan of the whole table
      // per deleted row — of every user (manager), every sponsorship and every site membership per deleted guest.
      // Guests have no manager: the partial index costs their inserts nothing.
      await db.schema
        .createIndex('users_manager')
        .on('users')
        .column('managerId')
        .where(sql<boolean>`${sql.ref('managerId')} is not null`)
        .execute();
      await db.schema.createIndex('user_sponsors_by_sponsor').on('user_sponsors').column('sponsorId').execute();
      await db.schema.createIndex('site_group_members_by_user').on('site_group_members').column('userId').execute();
      await db.schema.createIndex('connected_organization_sponsors_by_sponsor').on('connected_organization_sponsors').column('sponsorId').execute();
      await db.schema.createIndex('incompatible_groups_by_group').on('incompatible_groups').column('groupId').execute();
    },
  },
  '0010_teams_cards_by_conversation': {
    async up(db: AnyDb) {
      // A conversation the bot lost (uninstalled, or the person blocked it: the connector's 403) takes its cards
      // with it; without this index that was a scan of every card the bot ever kept, one per notice sent.
      await db.schema.createIndex('teams_cards_conversation').on('teams_cards').column('conversationId').execute();
    },
  },
  '0011_notifications_teams_queue': {
    async up(db: AnyDb) {
      // The sender takes the oldest due notices first. With the state and next attempt only in the index, every
      // claim sorted all pending notices by creation (10 ms per pass with 50,000 waiting, each pass sending 100):
      // the index now carries the order too, so a claim reads its 100 in order and stops. It replaces the
      // narrower one: still one index per notice written.
      await db.schema.dropIndex('notifications_teams_due').ifExists().execute();
      await db.schema.createIndex('notifications_teams_queue').on('notifications').columns(['teamsState', 'teamsNextAttemptDateTime', 'createdDateTime', 'id']).execute();
    },
  },
};

class CodeMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  }
}

/** Applies every pending migration; throws with the failing migration's name. Returns the level reached. */
export async function migrateToLatest<DB>(db: Kysely<DB>, options: { schema?: string; dialect: 'sqlite' | 'postgres' }): Promise<string> {
  if (options.dialect === 'sqlite') {
    // Kysely neither locks nor uses a transaction on SQLite, so two processes starting on one new
    // file would both run every migration. One write transaction (BEGIN IMMEDIATE, see db.ts)
    // makes the others wait, then find nothing pending. SQLite's DDL is transactional. The
    // migrator needs the database object itself (not a Transaction); SQLite's driver runs
    // everything on one connection, so a raw BEGIN spans its queries.
    await sql`begin immediate`.execute(db);
    try {
      const level = await runMigrations(db);
      await sql`commit`.execute(db);
      return level;
    } catch (error) {
      await sql`rollback`.execute(db);
      throw error;
    }
  }
  return runMigrations(db, options.schema);
}

async function runMigrations<DB>(db: Kysely<DB>, schema?: string): Promise<string> {
  // Name the PostgreSQL schema: Kysely looks for its tables in every schema otherwise, and would take
  // another schema's migration tables for ours (tests run one schema per server in one database).
  const migrator = new Migrator({
    db,
    provider: new CodeMigrationProvider(),
    migrationTableName: 'portier_migrations',
    migrationLockTableName: 'portier_migrations_lock',
    // Pending migrations run even when a later one is applied already: migrations are append-only and
    // each names what it needs, and a database restored from a backup taken between two releases (or
    // a test standing in for one) can miss an earlier migration while holding a later one.
    allowUnorderedMigrations: true,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return latestMigration();
}

/** The name of the newest migration this build knows. */
export function latestMigration(): string {
  return Object.keys(migrations).sort().at(-1) ?? 'none';
}
