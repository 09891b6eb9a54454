import type { Tx } from '../context';
import { newId } from '../context';
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
      ? await tx.selectFrom('users').select('id').where('homeTenantId', '=', subject.homeTenantId).where('homeObjectId', '=', subject.homeObjectId).executeTakeFirst()
      : undefined;
  const byMail = !byHome && subject.emailLower ? await tx.selectFrom('users').select('id').where('mailLower', '=', subject.emailLower).executeTakeFirst() : undefined;
  const existing = byHome ?? byMail;
  if (existing) return existing.id;
  if (!subject.email) throw new ProvisioningError(`The subject '${subject.id}' has no email address to invite.`);
  const home = await tx.selectFrom('tenants').select(['domains']).where('isHome', '=', 1).executeTakeFirstOrThrow();
  const homeDomain = (JSON.parse(home.domains) as string[])[0];
  const [local, domain] = subject.email.toLowerCase().split('@');
  const organization = subject.connectedOrganizationId
    ? await tx.selectFrom('connected_organizations').select('displayName').where('id', '=', subject.connectedOrganizationId).executeTakeFirst()
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
  await tx.insertInto('users').values(user).execute();
  // The connected organization's internal sponsors sponsor its guests.
  if (subject.connectedOrganizationId) {
    const sponsors = await tx
      .selectFrom('connected_organization_sponsors')
      .select('sponsorId')
      .where('connectedOrganizationId', '=', subject.connectedOrganizationId)
      .where('kind', '=', 'internal')
      .execute();
    if (sponsors.length > 0) await tx.insertInto('user_sponsors').values(sponsors.map((s) => ({ userId: user.id, sponsorId: s.sponsorId }))).onConflict((oc) => oc.doNothing()).execute();
  }
  return user.id;
}

type Grant = Pick<AssignmentGrantsTable, 'originSystem' | 'resourceOriginId' | 'roleOriginId'>;

/** Gives `userId` the role of `grant` (idempotent). Throws `ProvisioningError` when the resource is gone. */
export async function grantRole(tx: Tx, grant: Grant, userId: string): Promise<void> {
  if (grant.originSystem === 'AadGroup') {
    const [role, groupId] = splitGroupRole(grant.roleOriginId, grant.resourceOriginId);
    const group = await tx.selectFrom('groups').select('id').where('id', '=', groupId).executeTakeFirst();
    if (!group) throw new ProvisioningError(`The group '${groupId}' no longer exists.`);
    if (role === 'Owner') await tx.insertInto('group_owners').values({ groupId, ownerId: userId }).onConflict((oc) => oc.doNothing()).execute();
    else await tx.insertInto('group_members').values({ groupId, memberId: userId }).onConflict((oc) => oc.doNothing()).execute();
    return;
  }
  if (grant.originSystem === 'SharePointOnline') {
    const site = await tx.selectFrom('sites').select('id').where('webUrl', '=', grant.resourceOriginId).executeTakeFirst();
    if (!site) throw new ProvisioningError(`The site '${grant.resourceOriginId}' no longer exists.`);
    const siteGroup = await tx.selectFrom('site_groups').select('id').where('siteId', '=', site.id).where('id', '=', grant.roleOriginId).executeTakeFirst();
    if (!siteGroup) throw new ProvisioningError(`The site '${grant.resourceOriginId}' has no role '${grant.roleOriginId}' any more.`);
    await tx.insertInto('site_group_members').values({ siteId: site.id, siteGroupId: grant.roleOriginId, userId }).onConflict((oc) => oc.doNothing()).execute();
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
