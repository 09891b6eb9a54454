import { CommandContext, inTransaction, newId } from '../../context';
import { ValidationError } from '../../domain/errors';
import { authorize } from '../../policies';
import type { UsersTable } from '../../store/schema';
import { writeAudit } from '../audit';
import { isUniqueViolation, loadHomeTenant } from './loadDirectory';
import type { CreateInvitationInput } from './schemas';

/** Graph's `invitation`: not stored; it describes what the invite did. */
export interface Invitation {
  id: string;
  inviteRedeemUrl: string;
  inviteRedirectUrl: string;
  invitedUserDisplayName: string;
  invitedUserEmailAddress: string;
  invitedUserType: 'Guest' | 'Member';
  sendInvitationMessage: boolean;
  invitedUserMessageInfo: { customizedMessageBody: string | null; messageLanguage: string | null; ccRecipients: Array<{ emailAddress: { address: string; name: string | null } }> };
  status: 'PendingAcceptance' | 'Completed';
  invitedUser: { id: string };
  resetRedemption: false;
}

/**
 * Invites an external person (`POST /invitations`): creates their guest user, or re-invites the user
 * who already has that address. When the address is a home account Portier knows (a partner
 * tenant's), the guest is linked to it, so signing in with the home account *is* the redemption.
 * Portier sends no invitation mail; the caller's `sendInvitationMessage` is echoed as Graph does.
 */
export async function inviteUser(ctx: CommandContext, input: CreateInvitationInput): Promise<Invitation> {
  authorize(ctx.principal, 'invitation.create');
  const address = input.invitedUserEmailAddress.trim();
  const lower = address.toLowerCase();
  const at = lower.lastIndexOf('@');
  const local = lower.slice(0, at);
  const domain = lower.slice(at + 1);
  const home = await loadHomeTenant(ctx.db);
  if (home.domains.includes(domain)) {
    throw new ValidationError(
      `'${address}' belongs to ${home.displayName}'s own domain; people of the organization are added as users, not invited.`,
      'invitedUserEmailAddress',
      'BadRequest',
    );
  }
  const guestUpn = `${local}_${domain}#EXT#@${home.domains[0]}`;
  const now = ctx.clock.now().toISOString();

  const { user, reinvited } = await inTransaction(ctx, async (tx) => {
    const existing = await tx
      .selectFrom('users')
      .selectAll()
      .where((eb) => eb.or([eb('mailLower', '=', lower), eb(eb.fn('lower', ['userPrincipalName']), '=', guestUpn.toLowerCase())]))
      .orderBy('userType', 'desc')
      .executeTakeFirst();
    let user: UsersTable;
    if (existing) {
      user = existing;
    } else {
      const partners = await tx.selectFrom('tenants').select(['id', 'displayName', 'domains']).where('isHome', '=', 0).execute();
      const partner = partners.find((t) => (JSON.parse(t.domains) as string[]).some((d) => d.toLowerCase() === domain));
      const account = await tx
        .selectFrom('external_accounts')
        .selectAll()
        .where((eb) => eb(eb.fn('lower', ['mail']), '=', lower))
        .executeTakeFirst();
      user = {
        id: newId(),
        displayName: input.invitedUserDisplayName ?? account?.displayName ?? local,
        givenName: null,
        surname: null,
        mail: address,
        mailLower: lower,
        userPrincipalName: guestUpn,
        userType: input.invitedUserType ?? 'Guest',
        accountEnabled: 1,
        jobTitle: null,
        department: null,
        companyName: partner?.displayName ?? null,
        creationType: 'Invitation',
        externalUserState: 'PendingAcceptance',
        externalUserStateChangeDateTime: now,
        createdDateTime: now,
        managerId: null,
        homeTenantId: account?.tenantId ?? null,
        homeObjectId: account?.id ?? null,
        usageLocation: null,
        lastSignInDateTime: null,
        blockedDateTime: null,
      };
      try {
        await tx.insertInto('users').values(user).execute();
      } catch (error) {
        if (isUniqueViolation(error)) throw new ValidationError(`'${address}' was invited at the same moment by someone else; try again.`, 'invitedUserEmailAddress');
        throw error;
      }
    }
    await writeAudit(tx, ctx, {
      category: 'UserManagement',
      activityDisplayName: 'Invite external user',
      operationType: existing ? 'Update' : 'Add',
      targets: [{ id: user.id, displayName: user.displayName, type: 'User' }],
      details: { invitedUserEmailAddress: address, invitedUserType: user.userType, reinvited: existing ? 'true' : undefined },
    });
    return { user, reinvited: !!existing };
  });

  const info = input.invitedUserMessageInfo;
  return {
    id: newId(),
    // Redemption is signing in with the home account at the redirect URL: the guest is matched then.
    inviteRedeemUrl: input.inviteRedirectUrl,
    inviteRedirectUrl: input.inviteRedirectUrl,
    invitedUserDisplayName: user.displayName,
    invitedUserEmailAddress: address,
    invitedUserType: user.userType,
    sendInvitationMessage: input.sendInvitationMessage ?? false,
    invitedUserMessageInfo: {
      customizedMessageBody: info?.customizedMessageBody ?? null,
      messageLanguage: info?.messageLanguage ?? null,
      ccRecipients: (info?.ccRecipients ?? []).map((r) => ({ emailAddress: { address: r.emailAddress.address, name: r.emailAddress.name ?? null } })),
    },
    status: reinvited && user.externalUserState === 'Accepted' ? 'Completed' : 'PendingAcceptance',
    invitedUser: { id: user.id },
    resetRedemption: false,
  };
}
