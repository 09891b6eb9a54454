import { CommandContext, inTransaction, newId } from '../../context';
import { ValidationError } from '../../domain/errors';
import { authorize } from '../../policies';
import type { UsersTable } from '../../store/schema';
import { writeAudit } from '../audit';
import { findUser, isUniqueViolation, loadHomeTenant } from './loadDirectory';
import type { CreateUserInput } from './schemas';

const duplicateUpn = () => new ValidationError('Another object with the same value for property userPrincipalName already exists.', 'userPrincipalName', 'Request_BadRequest');

/**
 * Creates a member user of the home tenant. The password is checked for complexity and dropped:
 * people sign in through Entra ID (or dev sign-in), never with a password Portier keeps.
 */
export async function createUser(ctx: CommandContext, input: CreateUserInput): Promise<UsersTable> {
  authorize(ctx.principal, 'user.write');
  const tenant = await loadHomeTenant(ctx.db);
  const upn = input.userPrincipalName;
  const domain = upn.slice(upn.lastIndexOf('@') + 1).toLowerCase();
  if (!tenant.domains.includes(domain)) {
    throw new ValidationError(
      `The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization (${tenant.domains.join(', ')}).`,
      'userPrincipalName',
      'Request_BadRequest',
    );
  }
  const now = ctx.clock.now().toISOString();
  const row: UsersTable = {
    id: newId(),
    displayName: input.displayName,
    givenName: input.givenName ?? null,
    surname: input.surname ?? null,
    mail: input.mail ?? null,
    mailLower: input.mail ? input.mail.toLowerCase() : null,
    userPrincipalName: upn,
    userType: 'Member',
    accountEnabled: input.accountEnabled ? 1 : 0,
    jobTitle: input.jobTitle ?? null,
    department: input.department ?? null,
    companyName: input.companyName ?? null,
    creationType: null,
    externalUserState: null,
    externalUserStateChangeDateTime: null,
    createdDateTime: now,
    managerId: null,
    homeTenantId: null,
    homeObjectId: null,
    usageLocation: input.usageLocation ? input.usageLocation.toUpperCase() : null,
    lastSignInDateTime: null,
    blockedDateTime: null,
  };
  await inTransaction(ctx, async (tx) => {
    if (await findUser(tx, upn)) throw duplicateUpn();
    if (row.mailLower) await requireMailFree(tx, row.mailLower);
    try {
      await tx.insertInto('users').values(row).execute();
    } catch (error) {
      // Two creates of the same UPN at once: the unique index decides, the loser gets Graph's answer.
      if (isUniqueViolation(error)) throw duplicateUpn();
      throw error;
    }
    await writeAudit(tx, ctx, {
      category: 'UserManagement',
      activityDisplayName: 'Add user',
      operationType: 'Add',
      targets: [{ id: row.id, displayName: row.displayName, type: 'User' }],
      details: { userPrincipalName: upn },
    });
  });
  return row;
}

/** Mail addresses are proxy addresses in Entra: one object each. */
export async function requireMailFree(db: Parameters<typeof findUser>[0], mailLower: string, exceptUserId?: string): Promise<void> {
  let query = db.selectFrom('users').select('id').where('mailLower', '=', mailLower);
  if (exceptUserId) query = query.where('id', '<>', exceptUserId);
  const taken = await query.executeTakeFirst();
  if (taken) throw new ValidationError('Another object with the same value for property proxyAddresses already exists.', 'mail', 'Request_BadRequest');
}
