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

/** Invites a subject that is not in the directory as a guest; returns the guest's user id. */
export async function inviteGuest(tx: Tx, subject: SubjectsTable, now: Date): Promise<string> {
  // The person may have become a guest some other way meanwhile (an invitation, an earlier delivery).
  const byHome =
    subject.homeTenantId && subject.homeObjectId
      ? await userByHome.first(tx, { tenantId: subject.homeTenantId, objectId: subject.homeObjectId })
      : undefined;
  const byMail = !byHome && subject.emailLower ? await userByMail.first(tx, { mailLower: subject.emailLower }) : undefined;
  const existing = byHome ?? byMail;
  if (existing) return existing.id;
  if (!subject.email) throw new ProvisioningError(`The subject '${subject.id}' has no email address to invite.`);
  const home = await homeDomains.first(tx, {});
  if (!home) throw new ProvisioningError('The directory has no home tenant.');
  const homeDomain = (JSON.parse(home.domains) as string[])[0];
  const [local, domain] = subject.email.toLowerCase().split('@');
  const organization = subject.connectedOrganizationId
    ? await organizationName.first(tx, { id: subject.connectedOrganizationId })
    : undefined;
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
    companyName: organization?.displayName ?? null,
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
  // The connected organization's internal sponsors sponsor its guests.
  if (subject.connectedOrganizationId) {
    const sponsors = await internalSponsors.all(tx, { organizationId: subject.connectedOrganizationId });
    if (sponsors.length > 0) await insertRows(tx, 'user_sponsors', sponsors.map((s) => ({ userId: user.id, sponsorId: s.sponsorId })), { onConflictDoNothing: [] });
  }
  return user.id;
}

const userByHome = prepared((db, p: { tenantId: string; objectId: string }) => db.selectFrom('users').select('id').where('homeTenantId', '=', p.tenantId).where('homeObjectId', '=', p.objectId));
const userByMail = prepared((db, p: { mailLower: string }) => db.selectFrom('users').select('id').where('mailLower', '=', p.mailLower));
const homeDomains = prepared((db) => db.selectFrom('tenants').select(['domains']).where('isHome', '=', 1));
const organizationName = prepared((db, p: { id: string }) => db.selectFrom('connected_organizations').select('displayName').where('id', '=', p.id));
const internalSponsors = prepared((db, p: { organizationId: string }) =>
  db.selectFrom('connected_organization_sponsors').select('sponsorId').where('connectedOrganizationId', '=', p.organizationId).where('kind', '=', 'internal'),
);
const groupExists = prepared((db, p: { id: string }) => db.selectFrom('groups').select('id').where('id', '=', p.id));
const siteByUrl = prepared((db, p: { webUrl: string }) => db.selectFrom('sites').select('id').where('webUrl', '=', p.webUrl));
const siteGroup = prepared((db, p: { siteId: string; id: string }) => db.selectFrom('site_groups').select('id').where('siteId', '=', p.siteId).where('id', '=', p.id));

type Grant = Pick<AssignmentGrantsTable, 'originSystem' | 'resourceOriginId' | 'roleOriginId'>;

/** Gives `userId` the role of `grant` (idempotent). Throws `ProvisioningError` when the resource is gone. */
export async function grantRole(tx: Tx, grant: Grant, userId: string): Promise<void> {
  if (grant.originSystem === 'AadGroup') {
    const [role, groupId] = splitGroupRole(grant.roleOriginId, grant.resourceOriginId);
    if (!(await groupExists.first(tx, { id: groupId }))) throw new ProvisioningError(`The group '${groupId}' no longer exists.`);
    if (role === 'Owner') await insertRows(tx, 'group_owners', [{ groupId, ownerId: userId }], { onConflictDoNothing: [] });
    else await insertRows(tx, 'group_members', [{ groupId, memberId: userId }], { onConflictDoNothing: [] });
    return;
  }
  if (grant.originSystem === 'SharePointOnline') {
    const site = await siteByUrl.first(tx, { webUrl: grant.resourceOriginId });
    if (!site) throw new ProvisioningError(`The site '${grant.resourceOriginId}' no longer exists.`);
    if (!(await siteGroup.first(tx, { siteId: site.id, id: grant.roleOriginId }))) throw new ProvisioningError(`The site '${grant.resourceOriginId}' has no role '${grant.roleOriginId}' any more.`);
    await insertRows(tx, 'site_group_members', [{ siteId: site.id, siteGroupId: grant.roleOriginId, userId }], { onConflictDoNothing: [] });
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
