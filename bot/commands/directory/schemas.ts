import { z } from 'zod';
import { description, displayName, graphObject } from '../../graph/validate';

/**
 * Request bodies of the directory part of the embedded Graph, with Graph's limits. Strict objects:
 * an unknown property is a 400 that names it, as in Graph.
 */

/** Graph's rule for mail nicknames (users and groups): ASCII without spaces and `@ ( ) \ [ ] " ; : < > ,`. */
export const mailNickname = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[\x21-\x7e]+$/, 'must be ASCII without spaces')
  .regex(/^[^@()\\[\]";:<>,]+$/, 'must not contain @ ( ) \\ [ ] " ; : < > ,');

/** alias@domain; the domain is checked against the organization's verified domains by the command. */
export const userPrincipalName = z
  .string()
  .trim()
  .max(113, 'must be at most 113 characters')
  .regex(/^[A-Za-z0-9._'+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, 'must look like alias@domain');

/** Entra's complexity rule: 8–256 characters and three of lower case, upper case, digits, symbols. */
const password = z
  .string()
  .min(8, 'the password does not comply with password complexity requirements (at least 8 characters)')
  .max(256, 'the password does not comply with password complexity requirements (at most 256 characters)')
  .refine(
    (v) => [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(v)).length >= 3,
    'the password does not comply with password complexity requirements (use three of: lower case, upper case, digits, symbols)',
  );

const text = (max: number) => z.string().max(max, `must be at most ${max} characters`).nullable().optional();

const descriptiveUserFields = {
  givenName: text(64),
  surname: text(64),
  jobTitle: text(128),
  department: text(64),
  companyName: text(64),
  mail: z.email('must be an email address').max(256).nullable().optional(),
  usageLocation: z.string().regex(/^[A-Za-z]{2}$/, 'must be a two-letter country code').nullable().optional(),
};

/** POST /users. The password is validated and then forgotten: sign-in is not by password here. */
export const createUserBody = graphObject('user', {
  accountEnabled: z.boolean(),
  displayName,
  mailNickname,
  userPrincipalName,
  passwordProfile: z.strictObject({
    password,
    forceChangePasswordNextSignIn: z.boolean().optional(),
    forceChangePasswordNextSignInWithMfa: z.boolean().optional(),
  }),
  ...descriptiveUserFields,
});

/** PATCH /users/{id}: sign-in blocking and the descriptive fields. */
export const updateUserBody = graphObject('user', {
  accountEnabled: z.boolean().optional(),
  displayName: displayName.optional(),
  ...descriptiveUserFields,
});

const bindings = z.array(z.string().min(1, 'must be a URL of a user')).max(20, 'at most 20 objects can be bound when creating a group');

/** POST /groups. Only Microsoft 365 (Unified) groups and security groups can be created, as in Graph. */
export const createGroupBody = graphObject('group', {
  displayName,
  description: description.nullable().optional(),
  mailNickname,
  mailEnabled: z.boolean(),
  securityEnabled: z.boolean(),
  groupTypes: z.array(z.enum(['Unified'])).max(1).optional(),
  visibility: z.enum(['Public', 'Private', 'HiddenMembership']).nullable().optional(),
  'owners@odata.bind': bindings.optional(),
  'members@odata.bind': bindings.optional(),
});

const recipient = z.strictObject({
  emailAddress: z.strictObject({ address: z.email('must be an email address'), name: z.string().max(256).nullable().optional() }),
  '@odata.type': z.literal('#microsoft.graph.recipient').optional(),
});

/** POST /invitations. The message fields are accepted; Portier sends no invitation mail itself. */
export const createInvitationBody = graphObject('invitation', {
  invitedUserEmailAddress: z.email('must be an email address').max(256),
  inviteRedirectUrl: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).max(2048),
  invitedUserDisplayName: displayName.nullable().optional(),
  sendInvitationMessage: z.boolean().optional(),
  invitedUserMessageInfo: z
    .strictObject({
      customizedMessageBody: z.string().max(10000).nullable().optional(),
      messageLanguage: z.string().max(35).nullable().optional(),
      ccRecipients: z.array(recipient).max(1, 'only one additional recipient is supported').nullable().optional(),
      '@odata.type': z.literal('#microsoft.graph.invitedUserMessageInfo').optional(),
    })
    .nullable()
    .optional(),
  invitedUserType: z.enum(['Guest', 'Member']).optional(),
});

/** POST /roleManagement/entitlementManagement/roleAssignments. */
export const createRoleAssignmentBody = graphObject('unifiedRoleAssignment', {
  principalId: z.string().trim().min(1, 'must not be empty'),
  roleDefinitionId: z.string().trim().min(1, 'must not be empty'),
  appScopeId: z.string().trim().min(1, 'must not be empty').optional(),
  directoryScopeId: z.string().trim().min(1, 'must not be empty').optional(),
});

export type CreateUserInput = z.infer<typeof createUserBody>;
export type UpdateUserInput = z.infer<typeof updateUserBody>;
export type CreateGroupInput = z.infer<typeof createGroupBody>;
export type CreateInvitationInput = z.infer<typeof createInvitationBody>;
export type CreateRoleAssignmentInput = z.infer<typeof createRoleAssignmentBody>;
