import { CommandContext, inTransaction } from '../../context';
import { NotFoundError } from '../../domain/errors';
import { authorize, requireVisible } from '../../policies';
import { writeAudit } from '../audit';
import type { SponsorKind } from './addSponsor';
import { loadConnectedOrganization } from './loadConnectedOrganization';

/** Removes a sponsor; 404 when the user is not a sponsor of that kind. */
export async function removeSponsor(ctx: CommandContext, organizationId: string, kind: SponsorKind, userId: string): Promise<void> {
  requireVisible(ctx.principal, 'connectedOrganization.read', {}, 'Connected organization');
  authorize(ctx.principal, 'connectedOrganization.write');
  await inTransaction(ctx, async (tx) => {
    const org = await loadConnectedOrganization(tx, organizationId);
    const removed = await tx
      .deleteFrom('connected_organization_sponsors')
      .where('connectedOrganizationId', '=', organizationId)
      .where('kind', '=', kind)
      .where('sponsorId', '=', userId)
      .executeTakeFirst();
    if (Number(removed.numDeletedRows) === 0) throw new NotFoundError(`'${userId}' is not one of the ${kind === 'internal' ? 'internalSponsors' : 'externalSponsors'} of connected organization '${org.displayName}'.`);
    const user = await tx.selectFrom('users').select('displayName').where('id', '=', userId).executeTakeFirst();
    await writeAudit(tx, ctx, {
      activityDisplayName: `Remove ${kind} sponsor from connected organization`,
      operationType: 'Delete',
      targets: [
        { id: org.id, displayName: org.displayName, type: 'ConnectedOrganization' },
        { id: userId, displayName: user?.displayName ?? null, type: 'User' },
      ],
    });
  });
}
