import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { requestorScopeRows } from '../../bot/commands/requests/applicablePolicies';
import { openStore } from '../../bot/store/db';
import type { AssignmentPoliciesTable } from '../../bot/store/schema';
import { demo } from '../../bot/seed/tenant';
import { dropTestDatabase, testDatabaseUrl } from '../helpers/server';

/**
 * Migration 0007 derives `policy_requestor_scopes` from the policies a database already holds: run
 * again on a seeded database with policies of every kind, it writes exactly what today's derivation
 * (`requestorScopeRows`, which the commands write with each policy) says.
 */
describe('migration 0007_policy_requestor_scopes', () => {
  it('derives the requestor scopes of the policies already there', async () => {
    const url = testDatabaseUrl();
    try {
      const store = await openStore(url);
      try {
        const catalogId = randomUUID();
        const packageId = randomUUID();
        const now = new Date().toISOString();
        await store.db.insertInto('catalogs').values({ id: catalogId, displayName: 'Migration', description: null, catalogType: 'userManaged', state: 'published', isExternallyVisible: 1, createdDateTime: now, modifiedDateTime: now }).execute();
        await store.db.insertInto('access_packages').values({ id: packageId, catalogId, displayName: 'Migration', description: null, isHidden: 0, createdDateTime: now, modifiedDateTime: now }).execute();
        const policy = (allowedTargetScope: string, targets: unknown[], selfAdd: boolean | undefined): AssignmentPoliciesTable => ({
          id: randomUUID(),
          accessPackageId: packageId,
          catalogId,
          displayName: allowedTargetScope,
          description: null,
          allowedTargetScope,
          specificAllowedTargets: JSON.stringify(targets),
          expiration: '{"type":"noExpiration"}',
          requestorSettings: JSON.stringify(selfAdd === undefined ? {} : { enableTargetsToSelfAddAccess: selfAdd }),
          requestApprovalSettings: '{}',
          reviewSettings: '{}',
          questions: '[]',
          automaticRequestSettings: '{}',
          createdDateTime: now,
          modifiedDateTime: now,
        });
        const org = randomUUID();
        const policies = [
          policy('allMemberUsers', [], true),
          policy('allDirectoryUsers', [], true),
          policy('allConfiguredConnectedOrganizationUsers', [], true),
          policy('allExternalUsers', [], true),
          policy('allMemberUsers', [], false),
          policy('allMemberUsers', [], undefined),
          policy('notSpecified', [], true),
          policy(
            'specificDirectoryUsers',
            [
              { '@odata.type': '#microsoft.graph.singleUser', userId: demo.users.alex.id },
              { '@odata.type': '#microsoft.graph.singleUser', userId: demo.users.alex.id },
              { '@odata.type': '#microsoft.graph.groupMembers', groupId: randomUUID() },
              { '@odata.type': '#microsoft.graph.requestorManager' },
            ],
            true,
          ),
          policy('specificConnectedOrganizationUsers', [{ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId: org }], true),
          // A target of the other specific scope's kind covers nobody there.
          policy('specificDirectoryUsers', [{ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId: org }], true),
        ];
        await store.db.insertInto('assignment_policies').values(policies).execute();
        // As before the migration: no derived table, the migration not yet applied.
        await store.db.schema.dropTable('policy_requestor_scopes').execute();
        await sql`delete from ${sql.table('portier_migrations')} where ${sql.ref('name')} = '0007_policy_requestor_scopes'`.execute(store.db);
      } finally {
        await store.close();
      }

      const migrated = await openStore(url);
      try {
        const key = (r: { policyId: string; accessPackageId: string; catalogId: string; kind: string; subjectId: string }) => `${r.policyId}|${r.accessPackageId}|${r.catalogId}|${r.kind}|${r.subjectId}`;
        const all = await migrated.db.selectFrom('assignment_policies').selectAll().execute();
        const expected = all.flatMap((p) => requestorScopeRows(p)).map(key).sort();
        const stored = (await migrated.db.selectFrom('policy_requestor_scopes').selectAll().execute()).map(key).sort();
        expect(stored).toEqual(expected);
        // Four scopes of everyone of a kind, Alex (once) and the group, the connected organization.
        expect(expected).toHaveLength(7);
      } finally {
        await migrated.close();
      }
    } finally {
      await dropTestDatabase(url);
    }
  }, 60_000);
});
