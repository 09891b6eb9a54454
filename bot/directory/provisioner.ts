import { sql } from 'kysely';
import type { Tx } from '../context';
import { newId } from '../context';
import { insertRows, prepared } from '../store/prepared';
import type { AssignmentGrantsTable, SubjectsTable, UsersTable } from '../store/schema';

/**
 * Directory side of delivery and removal, for the embedded directory: guests, group and site
 * memberships. Everything happens inside the caller's transaction, so a grant is recorded exactly
 * when it is made. (A tenant without Entra ID P2 sends these same operations to Microsoft Graph;
 * each is idempotent — adding an existing member or removing a missing one is not an error.)
 */
export class ProvisioningError extends Error {}

/**
 * Invites a subject that is not in the directory as a guest. Returns the guest's user id, and
 * whether the user was created just now (then nothing else can refer to it yet: no timers, not blocked).
 */
export async function inviteGuest(tx: Tx, subject: SubjectsTable, now: Date): Promise<{ id: string; created: boolean }> {
  // One statement for every fact an invitation reads (each a scalar subquery): an existing user (the
  // person may have become a guest some other way meanwhile: an invitation, an earlier delivery), by
  // home account first, else by mail; the home tenant's domains; the organization's name.
  const facts = await invitationFacts.first(tx, {
    tenantId: subject.homeTenantId && subject.homeObjectId ? subject.homeTenantId : null,
    objectId: subject.homeTenantId && subject.homeObjectId ? subject.homeObjectId : null,
    mailLower: subject.emailLower || null,
    organizationId: subject.connectedOrganizationId,
  });
  const existing = facts?.byHome ?? facts?.byMail;
  if (existing) return { id: existing, created: false };
  if (!subject.email) throw new ProvisioningError(`The subject '${subject.id}' has no email address to invite.`);
  if (!facts?.homeDomains) throw new ProvisioningError('The directory has no home tenant.');
  const homeDomain = (JSON.parse(facts.homeDomains) as string[])[0];
  const [local, domain] = subject.email.toLowerCase().split('@');
  const user: UsersTable = {
    id: newId(),
    displayName: subject.displayName ?? subject.email,
    givenName: null,
    surname: null,
    mail: subject.email,
    mailLower: subject.email.toLowerCase(),
    userPrincipalName: `${local}_${domain}#EXT#@${homeDomain}`,
    userType: 'Guest',
    accountEnabled: 1,
    jobTitle: null,
    department: null,
    companyName: subject.connectedOrganizationId ? (facts.organizationName ?? null) : null,
    creationType: 'Invitation',
    // No invitation mail: the partner signed in with their home account already, or redeems at first sign-in.
    externalUserState: subject.homeTenantId ? 'Accepted' : 'PendingAcceptance',
    externalUserStateChangeDateTime: now.toISOString(),
    createdDateTime: now.toISOString(),
    managerId: null,
    homeTenantId: subject.homeTenantId,
    homeObjectId: subject.homeObjectId,
    usageLocation: null,
    lastSignInDateTime: null,
    blockedDateTime: null,
  };
  await insertRows(tx, 'users', [user]);
  // The connected organization's internal sponsors sponsor its guests (read and written in one statement).
  if (subject.connectedOrganizationId) await addOrganizationSponsors.run(tx, { userId: user.id, organizationId: subject.connectedOrganizationId });
  return { id: user.id, created: true };
}

const invitationFacts = prepared((db, p: { tenantId: string | null; objectId: string | null; mailLower: string | null; organizationId: string | null }) =>
  db.selectNoFrom((eb) => [
    eb.selectFrom('users').select('id').where('homeTenantId', '=', p.tenantId).where('homeObjectId', '=', p.objectId).limit(1).as('byHome'),
    eb.selectFrom('users').select('id').where('mailLower', '=', p.mailLower).limit(1).as('byMail'),
    eb.selectFrom('tenants').select('domains').where('isHome', '=', 1).limit(1).as('homeDomains'),
    eb.selectFrom('connected_organizations').select('displayName').where('id', '=', p.organizationId).as('organizationName'),
  ]),
);
const addOrganizationSponsors = prepared((db, p: { userId: string; organizationId: string }) =>
  db
    .insertInto('user_sponsors')
    .columns(['userId', 'sponsorId'])
    .expression(
      db
        .selectFrom('connected_organization_sponsors')
        .select((eb) => [sql<string>`cast(${eb.val(p.userId)} as text)`.as('userId'), 'sponsorId'])
        .where('connectedOrganizationId', '=', p.organizationId)
        .where('kind', '=', 'internal'),
    )
    .onConflict((oc) => oc.doNothing()),
);
const groupExists = prepared((db, p: { id: string }) => db.selectFrom('groups').select('id').where('id', '=', p.id));
const addGroupMember = prepared((db, p: { groupId: string; userId: string }) =>
  db
    .insertInto('group_members')
    .columns(['groupId', 'memberId'])
    .expression(db.selectFrom('groups').select(['id', sql<string>`cast(${p.userId} as text)`.as('memberId')]).where('id', '=', p.groupId))
    .onConflict((oc) => oc.doNothing()),
);
const addGroupOwner = prepared((db, p: { groupId: string; userId: string }) =>
  db
    .insertInto('group_owners')
    .columns(['groupId', 'ownerId'])
    .expression(db.selectFrom('groups').select(['id', sql<string>`cast(${p.userId} as text)`.as('ownerId')]).where('id', '=', p.groupId))
    .onConflict((oc) => oc.doNothing()),
);
const addSiteGroupMember = prepared((db, p: { webUrl: string; siteGroupId: string; userId: string }) =>
  db
    .insertInto('site_group_members')
    .columns(['siteId', 'siteGroupId', 'userId'])
    .expression(
      db
        .selectFrom('sites as s')
        .innerJoin('site_groups as g', 'g.siteId', 's.id')
        .select(['s.id as siteId', 'g.id as siteGroupId', sql<string>`cast(${p.userId} as text)`.as('userId')])
        .where('s.webUrl', '=', p.webUrl)
        .where('g.id', '=', p.siteGroupId),
    )
    .onConflict((oc) => oc.doNothing()),
);
/** The site by its URL, and whether it has the role's site group: one statement. */
const siteWithGroup = prepared((db, p: { webUrl: string; siteGroupId: string }) =>
  db
    .selectFrom('sites as s')
    .select((eb) => ['s.id', eb.selectFrom('site_groups as g').select('g.id').whereRef('g.siteId', '=', 's.id').where('g.id', '=', p.siteGroupId).as('siteGroupId')])
    .where('s.webUrl', '=', p.webUrl),
);

type Grant = Pick<AssignmentGrantsTable, 'originSystem' | 'resourceOriginId' | 'roleOriginId'>;

/** Gives `userId` the role of `grant` (idempotent). Throws `ProvisioningError` when the resource is gone. */
export async function grantRole(tx: Tx, grant: Grant, userId: string): Promise<void> {
  if (grant.originSystem === 'AadGroup') {
    const [role, groupId] = splitGroupRole(grant.roleOriginId, grant.resourceOriginId);
    // Added only if the group exists, in one statement; nothing added: already in it, or the group is gone.
    const added = await (role === 'Owner' ? addGroupOwner : addGroupMember).run(tx, { groupId, userId });
    if (added === 0 && !(await groupExists.first(tx, { id: groupId }))) throw new ProvisioningError(`The group '${groupId}' no longer exists.`);
    return;
  }
  if (grant.originSystem === 'SharePointOnline') {
    // Added only if the site has the role's group, in one statement; nothing added: already in it, or gone.
    if ((await addSiteGroupMember.run(tx, { webUrl: grant.resourceOriginId, siteGroupId: grant.roleOriginId, userId })) > 0) return;
    const site = await siteWithGroup.first(tx, { webUrl: grant.resourceOriginId, siteGroupId: grant.roleOriginId });
    if (!site) throw new ProvisioningError(`The site '${grant.resourceOriginId}' no longer exists.`);
    if (!site.siteGroupId) throw new ProvisioningError(`The site '${grant.resourceOriginId}' has no role '${grant.roleOriginId}' any more.`);
    return;
  }
  throw new ProvisioningError(`Resources of type '${grant.originSystem}' cannot be provisioned.`);
}

/** Takes the role of `grant` away from `userId` (idempotent; a resource that is gone has nothing to remove). */
export async function revokeRole(tx: Tx, grant: Grant, userId: string): Promise<void> {
  if (grant.originSystem === 'AadGroup') {
    const [role, groupId] = splitGroupRole(grant.roleOriginId, grant.resourceOriginId);
    if (role === 'Owner') await tx.deleteFrom('group_owners').where('groupId', '=', groupId).where('ownerId', '=', userId).execute();
    else await tx.deleteFrom('group_members').where('groupId', '=', groupId).where('memberId', '=', userId).execute();
    return;
  }
  if (grant.originSystem === 'SharePointOnline') {
    const site = await tx.selectFrom('sites').select('id').where('webUrl', '=', grant.resourceOriginId).executeTakeFirst();
    if (site) await tx.deleteFrom('site_group_members').where('siteId', '=', site.id).where('siteGroupId', '=', grant.roleOriginId).where('userId', '=', userId).execute();
  }
}

/**
 * The set-based form of `revokeRole`: takes the role of `grant` away from every user in `userIds`
 * in one statement (an expiry sweep revokes thousands of grants of the same few roles at once).
 */
export async function revokeRoleFromUsers(tx: Tx, grant: Grant, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  if (grant.originSystem === 'AadGroup') {
    const [role, groupId] = splitGroupRole(grant.roleOriginId, grant.resourceOriginId);
    if (role === 'Owner') await tx.deleteFrom('group_owners').where('groupId', '=', groupId).where('ownerId', 'in', userIds).execute();
    else await tx.deleteFrom('group_members').where('groupId', '=', groupId).where('memberId', 'in', userIds).execute();
    return;
  }
  if (grant.originSystem === 'SharePointOnline') {
    const site = await tx.selectFrom('sites').select('id').where('webUrl', '=', grant.resourceOriginId).executeTakeFirst();
    if (site) await tx.deleteFrom('site_group_members').where('siteId', '=', site.id).where('siteGroupId', '=', grant.roleOriginId).where('userId', 'in', userIds).execute();
  }
}

/** `Member_<groupId>` → ['Member', groupId]. */
function splitGroupRole(roleOriginId: string, resourceOriginId: string): ['Member' | 'Owner', string] {
  const [role, groupId] = roleOriginId.split('_');
  return [role === 'Owner' ? 'Owner' : 'Member', groupId || resourceOriginId];
}
