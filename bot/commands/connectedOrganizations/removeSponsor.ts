import { CommandContext, inTransaction } from '../../context';
import { NotFoundError } from '../../domain/errors';
import { requireVisible } from '../../policies';
import { writeAudit } from '../audit';
import type { SponsorKind } from './addSponsor';
import { authorizeOrganizationChange, loadConnectedOrganization } from './loadConnectedOrganization';

/** Removes a sponsor (user or group); 404 when it is not a sponsor of that kind. */
export async function removeSponsor(ctx: CommandContext, organizationId: string, kind: SponsorKind, userId: string): Promise<void> {
  requireVisible(ctx.principal, 'connectedOrganization.read', {}, 'Connected organization');
  await inTransaction(ctx, async (tx) => {
    const org = await loadConnectedOrganization(tx, organizationId);
    authorizeOrganizationChange(ctx.principal, org);
    const removedUser = await tx
      .deleteFrom('connected_organization_sponsors')
      .where('connectedOrganizationId', '=', organizationId)
      .where('kind', '=', kind)
      .where('sponsorId', '=', userId)
      .executeTakeFirst();
    const removedGroup = await tx
      .deleteFrom('connected_organization_group_sponsors')
      .where('connectedOrganizationId', '=', organizationId)
      .where('kind', '=', kind)
      .where('groupId', '=', userId)
      .executeTakeFirst();
    const isGroup = Number(removedGroup.numDeletedRows) > 0;
    if (Number(removedUser.numDeletedRows) === 0 && !isGroup) throw new NotFoundError(`'${userId}' is not one of the ${kind === 'internal' ? 'internalSponsors' : 'externalSponsors'} of connected organization '${org.displayName}'.`);
    const sponsor = isGroup
      ? await tx.selectFrom('groups').select('displayName').where('id', '=', userId).executeTakeFirst()
      : await tx.selectFrom('users').select('displayName').where('id', '=', userId).executeTakeFirst();
    await writeAudit(tx, ctx, {
      activityDisplayName: `Remove ${kind} sponsor from connected organization`,
      operationType: 'Delete',
      targets: [
        { id: org.id, displayName: org.displayName, type: 'ConnectedOrganization' },
        { id: userId, displayName: sponsor?.displayName ?? null, type: isGroup ? 'Group' : 'User' },
      ],
    });
  });
}
