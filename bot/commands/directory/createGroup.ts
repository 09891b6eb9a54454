import { randomUUID } from 'node:crypto';
import { CommandContext, inTransaction, newId, Tx } from '../../context';
import { ValidationError } from '../../domain/errors';
import { authorize } from '../../policies';
import { siteGroupsFor } from '../../seed/demo';
import type { GroupsTable, SitesTable } from '../../store/schema';
import { writeAudit } from '../audit';
import { loadHomeTenant, userIdFromUrl } from './loadDirectory';
import type { CreateGroupInput } from './schemas';

const proxyTaken = () => new ValidationError('Another object with the same value for property proxyAddresses already exists.', 'mailNickname', 'Request_BadRequest');

/**
 * Creates a Microsoft 365 (Unified) group or a security group, as Graph allows. The creator owns
 * the group unless owners are bound in the body; a Unified group gets its SharePoint team site, so
 * it can be offered in a catalog right away.
 */
export async function createGroup(ctx: CommandContext, input: CreateGroupInput): Promise<{ group: GroupsTable; site: SitesTable | null }> {
  authorize(ctx.principal, 'group.create');
  const unified = (input.groupTypes ?? []).includes('Unified');
  if (unified && !input.mailEnabled) throw new ValidationError("A Microsoft 365 group (groupTypes ['Unified']) must be mail-enabled.", 'mailEnabled');
  if (!unified && input.mailEnabled) throw new ValidationError('Only Microsoft 365 groups can be mail-enabled; security groups must set mailEnabled to false.', 'mailEnabled');
  if (!unified && !input.securityEnabled) throw new ValidationError("A group that is not a Microsoft 365 group must be a security group (securityEnabled: true).", 'securityEnabled');
  if (!unified && input.visibility === 'HiddenMembership') throw new ValidationError('HiddenMembership is only available for Microsoft 365 groups.', 'visibility');
  const ownerIds = bound(input['owners@odata.bind'], 'owners@odata.bind');
  const memberIds = bound(input['members@odata.bind'], 'members@odata.bind');
  if (ownerIds.length === 0 && ctx.principal.userId) ownerIds.push(ctx.principal.userId);

  const tenant = await loadHomeTenant(ctx.db);
  const now = ctx.clock.now().toISOString();
  const group: GroupsTable = {
    id: newId(),
    displayName: input.displayName,
    description: input.description ?? null,
    mail: unified ? `${input.mailNickname}@${tenant.domains[0]}` : null,
    mailNickname: input.mailNickname,
    mailEnabled: input.mailEnabled ? 1 : 0,
    securityEnabled: input.securityEnabled ? 1 : 0,
    groupTypes: JSON.stringify(unified ? ['Unified'] : []),
    visibility: input.visibility ?? (unified ? 'Public' : null),
    resourceProvisioningOptions: '[]',
    createdDateTime: now,
  };
  // The team site lives on the tenant's SharePoint host, named after the tenant's default domain.
  const host = `${tenant.domains[0].split('.')[0]}.sharepoint.com`;
  const site: SitesTable | null = unified
    ? {
        id: `${host},${randomUUID()},${randomUUID()}`,
        groupId: group.id,
        name: input.mailNickname,
        displayName: input.displayName,
        webUrl: `https://${host}/sites/${input.mailNickname}`,
        description: input.description ?? null,
        createdDateTime: now,
      }
    : null;

  await inTransaction(ctx, async (tx) => {
    await requireUsers(tx, ownerIds, 'owners@odata.bind');
    await requireUsers(tx, memberIds, 'members@odata.bind');
    if (group.mail) {
      const mail = group.mail.toLowerCase();
      const takenByGroup = await tx.selectFrom('groups').select('id').where((eb) => eb(eb.fn('lower', ['mail']), '=', mail)).executeTakeFirst();
      const takenByUser = await tx.selectFrom('users').select('id').where('mailLower', '=', mail).executeTakeFirst();
      if (takenByGroup || takenByUser) throw proxyTaken();
    }
    if (site) {
      const url = site.webUrl.toLowerCase();
      const takenSite = await tx.selectFrom('sites').select('id').where((eb) => eb(eb.fn('lower', ['webUrl']), '=', url)).executeTakeFirst();
      if (takenSite) throw new ValidationError(`A SharePoint site already exists at ${site.webUrl}; choose another mailNickname.`, 'mailNickname', 'Request_BadRequest');
    }
    await tx.insertInto('groups').values(group).execute();
    if (ownerIds.length > 0) await tx.insertInto('group_owners').values(ownerIds.map((ownerId) => ({ groupId: group.id, ownerId }))).execute();
    if (memberIds.length > 0) await tx.insertInto('group_members').values(memberIds.map((memberId) => ({ groupId: group.id, memberId }))).execute();
    if (site) {
      await tx.insertInto('sites').values(site).execute();
      await tx.insertInto('site_groups').values(siteGroupsFor(site.id, site.displayName)).execute();
    }
    await writeAudit(tx, ctx, {
      category: 'GroupManagement',
      activityDisplayName: 'Add group',
      operationType: 'Add',
      targets: [{ id: group.id, displayName: group.displayName, type: 'Group' }],
      details: { groupTypes: unified ? 'Unified' : 'Security', owners: ownerIds.join(', '), members: memberIds.join(', ') || undefined },
    });
  });
  return { group, site };
}

function bound(urls: string[] | undefined, field: string): string[] {
  return [...new Set((urls ?? []).map((url) => userIdFromUrl(url, field)))];
}

async function requireUsers(tx: Tx, ids: string[], field: string): Promise<void> {
  if (ids.length === 0) return;
  const found = new Set((await tx.selectFrom('users').select('id').where('id', 'in', ids).execute()).map((r) => r.id));
  const missing = ids.find((id) => !found.has(id));
  if (missing) throw new ValidationError(`Invalid object identifier '${missing}' in '${field}': no such user.`, field, 'Request_BadRequest');
}
