import type { Kysely } from 'kysely';
import type { Clock } from '../context';
import { newId } from '../context';
import { isUniqueViolation } from '../commands/directory/loadDirectory';
import { directoryRoles, entitlementRoles } from '../domain/roles';
import type { Dialect } from '../store/db';
import type { Database } from '../store/schema';
import { seedDemoEntitlements } from './demoEntitlements';
import { demo } from './tenant';

/**
 * Loads the demo tenant of DESIGN §7 into an empty database; does nothing when the directory
 * already has a home tenant (so restarts keep what people did in the demo). Without
 * `entitlements`, only the people, the team and the partners are loaded, for walking the
 * configuration steps from scratch.
 */
export async function seedDemoTenant(db: Kysely<Database>, dialect: Dialect, clock: Clock, options: { entitlements: boolean } = { entitlements: true }): Promise<boolean> {
  const now = clock.now().toISOString();
  const seeded = await seedDirectory(db, now).catch((error: unknown) => {
    // Another instance on the same PostgreSQL won the race to seed: its tenant row stands.
    if (isUniqueViolation(error)) return false;
    throw error;
  });
  if (seeded && options.entitlements) await seedDemoEntitlements(db, dialect, clock);
  return seeded;
}

async function seedDirectory(db: Kysely<Database>, now: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const home = await tx.selectFrom('tenants').select('id').where('isHome', '=', 1).executeTakeFirst();
    if (home) return false;
    await tx
      .insertInto('tenants')
      .values([
        { id: demo.contoso.id, displayName: demo.contoso.name, domains: JSON.stringify([demo.contoso.domain]), isHome: 1 },
        { id: demo.fabrikam.id, displayName: demo.fabrikam.name, domains: JSON.stringify([demo.fabrikam.domain]), isHome: 0 },
        { id: demo.litware.id, displayName: demo.litware.name, domains: JSON.stringify([demo.litware.domain]), isHome: 0 },
      ])
      .execute();
    await tx
      .insertInto('users')
      .values(
        Object.values(demo.users).map((u) => ({
          id: u.id,
          displayName: u.name,
          givenName: u.given,
          surname: u.surname,
          mail: u.upn,
          mailLower: u.upn,
          userPrincipalName: u.upn,
          userType: 'Member' as const,
          accountEnabled: 1,
          jobTitle: u.jobTitle,
          department: null,
          companyName: demo.contoso.name,
          creationType: null,
          externalUserState: null,
          externalUserStateChangeDateTime: null,
          createdDateTime: now,
          managerId: null,
          homeTenantId: null,
          homeObjectId: null,
        })),
      )
      .execute();
    await tx.updateTable('users').set({ managerId: demo.users.lee.id }).where('id', 'in', [demo.users.alex.id, demo.users.adele.id]).execute();
    await tx
      .insertInto('users')
      .values({
        id: demo.ruthGuest.id,
        displayName: demo.ruthGuest.name,
        givenName: 'Ruth',
        surname: 'Fabrikam',
        mail: demo.partners.ruth.upn,
        mailLower: demo.partners.ruth.upn,
        userPrincipalName: demo.ruthGuest.upn,
        userType: 'Guest',
        accountEnabled: 1,
        jobTitle: 'Partner contact',
        department: null,
        companyName: demo.fabrikam.name,
        creationType: 'Invitation',
        externalUserState: 'Accepted',
        externalUserStateChangeDateTime: now,
        createdDateTime: now,
        managerId: null,
        homeTenantId: demo.fabrikam.id,
        homeObjectId: demo.partners.ruth.id,
      })
      .execute();
    await tx.insertInto('user_sponsors').values({ userId: demo.ruthGuest.id, sponsorId: demo.users.adele.id }).execute();
    await tx
      .insertInto('external_accounts')
      .values(
        Object.values(demo.partners).map((p) => ({
          tenantId: demo[p.tenant].id,
          id: p.id,
          userPrincipalName: p.upn,
          displayName: p.name,
          mail: p.upn,
        })),
      )
      .execute();

    const falcon = demo.projectFalcon;
    await tx
      .insertInto('groups')
      .values({
        id: falcon.groupId,
        displayName: falcon.name,
        description: 'Project Falcon team: partner engineering with Fabrikam.',
        mail: 'projectfalcon@contoso.test',
        mailNickname: 'projectfalcon',
        mailEnabled: 1,
        securityEnabled: 0,
        groupTypes: JSON.stringify(['Unified']),
        visibility: 'Private',
        resourceProvisioningOptions: JSON.stringify(['Team']),
        createdDateTime: now,
      })
      .execute();
    await tx.insertInto('group_owners').values({ groupId: falcon.groupId, ownerId: demo.users.megan.id }).execute();
    await tx
      .insertInto('group_members')
      .values([demo.users.megan.id, demo.users.adele.id, demo.users.alex.id].map((memberId) => ({ groupId: falcon.groupId, memberId })))
      .execute();
    await tx
      .insertInto('sites')
      .values({ id: falcon.siteId, groupId: falcon.groupId, name: 'ProjectFalcon', displayName: falcon.name, webUrl: falcon.siteUrl, description: 'Project Falcon team site', createdDateTime: now })
      .execute();
    await tx.insertInto('site_groups').values(siteGroupsFor(falcon.siteId, falcon.name)).execute();

    await tx
      .insertInto('role_assignments')
      .values([
        { id: newId(), provider: 'directory', principalId: demo.users.admin.id, roleDefinitionId: directoryRoles.identityGovernanceAdministrator, directoryScopeId: '/', appScopeId: '/', createdDateTime: now },
        { id: newId(), provider: 'directory', principalId: demo.users.admin.id, roleDefinitionId: directoryRoles.userAdministrator, directoryScopeId: '/', appScopeId: '/', createdDateTime: now },
        { id: newId(), provider: 'entitlementManagement', principalId: demo.users.megan.id, roleDefinitionId: entitlementRoles.catalogCreator, directoryScopeId: '/', appScopeId: '/', createdDateTime: now },
      ])
      .execute();
    await tx
      .insertInto('entitlement_settings')
      .values({ id: 'default', externalUserLifecycleAction: 'blockSignInAndDelete', durationUntilExternalUserDeletedAfterBlocked: 'P30D' })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    return true;
  });
}

/** The SharePoint groups every site has: its roles in entitlement management. */
export function siteGroupsFor(siteId: string, siteName: string) {
  return [
    { siteId, id: '3', displayName: `${siteName} Owners`, description: 'Full control' },
    { siteId, id: '4', displayName: `${siteName} Visitors`, description: 'Read' },
    { siteId, id: '5', displayName: `${siteName} Members`, description: 'Edit' },
  ];
}
