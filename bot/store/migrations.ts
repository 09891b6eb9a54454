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
