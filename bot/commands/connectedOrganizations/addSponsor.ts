import { CommandContext, inTransaction } from '../../context';
import { NotFoundError, ValidationError } from '../../domain/errors';
import { requireVisible } from '../../policies';
import { writeAudit } from '../audit';
import { authorizeOrganizationChange, loadConnectedOrganization } from './loadConnectedOrganization';
import { matchConnectedOrganization } from './matchConnectedOrganization';

export type SponsorKind = 'internal' | 'external';

const propertyOf = (kind: SponsorKind) => (kind === 'internal' ? 'internalSponsors' : 'externalSponsors');

/**
 * Adds a sponsor — a user or a group, as Graph allows — to a connected organization. Internal sponsors are
 * members of this directory; external sponsors are guests from that organization (matched by home tenant,
 * then email domain), since they approve for their own people. A group sponsors through its members (they
 * are the approvers), so any group of this directory may be either kind.
 */
export async function addSponsor(ctx: CommandContext, organizationId: string, kind: SponsorKind, userId: string): Promise<void> {
  requireVisible(ctx.principal, 'connectedOrganization.read', {}, 'Connected organization');
  const property = propertyOf(kind);
  await inTransaction(ctx, async (tx) => {
    const org = await loadConnectedOrganization(tx, organizationId);
    authorizeOrganizationChange(ctx.principal, org);
    const user = await tx.selectFrom('users').select(['id', 'displayName', 'userType', 'homeTenantId', 'mail']).where('id', '=', userId).executeTakeFirst();
    if (!user) {
      const group = await tx.selectFrom('groups').select(['id', 'displayName']).where('id', '=', userId).executeTakeFirst();
      if (!group) throw new NotFoundError(`Resource '${userId}' does not exist or one of its queried reference-property objects are not present.`, 'Request_ResourceNotFound');
      const sponsoring = await tx
        .selectFrom('connected_organization_group_sponsors')
        .select('groupId')
        .where('connectedOrganizationId', '=', organizationId)
        .where('kind', '=', kind)
        .where('groupId', '=', group.id)
        .executeTakeFirst();
      if (sponsoring) throw duplicate(property);
      await tx.insertInto('connected_organization_group_sponsors').values({ connectedOrganizationId: organizationId, groupId: group.id, kind }).execute();
      await writeAudit(tx, ctx, {
        activityDisplayName: `Add ${kind} sponsor to connected organization`,
        operationType: 'Add',
        targets: [
          { id: org.id, displayName: org.displayName, type: 'ConnectedOrganization' },
          { id: group.id, displayName: group.displayName, type: 'Group' },
        ],
      });
      return;
    }
    if (kind === 'internal' && user.userType !== 'Member') {
      throw new ValidationError(`Internal sponsors must be member users of this directory; '${user.displayName}' is a ${user.userType}.`, '@odata.id');
    }
    if (kind === 'external') {
      if (user.userType !== 'Guest') throw new ValidationError(`External sponsors must be guest users; '${user.displayName}' is a ${user.userType}.`, '@odata.id');
      const home = await matchConnectedOrganization(tx, { tenantId: user.homeTenantId, email: user.mail });
      if (home?.id !== org.id) {
        throw new ValidationError(`External sponsors must be guests from connected organization '${org.displayName}'; '${user.displayName}' is not.`, '@odata.id');
      }
    }
    const existing = await tx
      .selectFrom('connected_organization_sponsors')
      .select('sponsorId')
      .where('connectedOrganizationId', '=', organizationId)
      .where('kind', '=', kind)
      .where('sponsorId', '=', userId)
      .executeTakeFirst();
    if (existing) throw duplicate(property);
    await tx.insertInto('connected_organization_sponsors').values({ connectedOrganizationId: organizationId, sponsorId: userId, kind }).execute();
    await writeAudit(tx, ctx, {
      activityDisplayName: `Add ${kind} sponsor to connected organization`,
      operationType: 'Add',
      targets: [
        { id: org.id, displayName: org.displayName, type: 'ConnectedOrganization' },
        { id: user.id, displayName: user.displayName, type: 'User' },
      ],
    });
  });
}

/** Graph answers a duplicate reference with 400, as for group members. */
function duplicate(property: string): ValidationError {
  return new ValidationError(`One or more added object references already exist for the following modified properties: '${property}'.`, '@odata.id', 'Request_BadRequest');
}
