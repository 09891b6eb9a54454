import { sql } from 'kysely';
import type { CommandContext } from '../../context';
import type { Scope } from '../../graph/odata/engine';
import { readScopes } from '../../policies/visibility';
import type { Question } from '../policies/schemas';
import { requestablePackages, requestablePolicies } from './applicablePolicies';
import { requesterOfPrincipal } from './subjects';
import { accessPackageNotFound } from './submitAddRequest';

/**
 * The packages the caller may request, as a SQL scope on access packages (hidden ones included:
 * the link works for anyone in scope; the list leaves them out itself).
 */
export async function requestableScope(ctx: CommandContext): Promise<Scope> {
  if (ctx.principal.userType === 'System') return () => sql`1 = 0`;
  return requestablePackages(await requesterOfPrincipal(ctx.db, ctx.principal));
}

/**
 * `POST accessPackages/{id}/getApplicablePolicyRequirements`: what the caller must provide to request
 * the package, per policy that lets them (Graph's `accessPackageAssignmentRequestRequirements`).
 */
export async function applicablePolicyRequirements(ctx: CommandContext, accessPackageId: string): Promise<unknown[]> {
  // Exactly like an unknown id when the caller may not read the package: its existence does not leak.
  if (!(await readScopes(ctx).isReadable('accessPackage', accessPackageId))) throw accessPackageNotFound(accessPackageId);
  const exists = await ctx.db.selectFrom('access_packages').select('id').where('id', '=', accessPackageId).executeTakeFirst();
  if (!exists) throw accessPackageNotFound(accessPackageId);
  if (ctx.principal.userType === 'System') return [];
  const requester = await requesterOfPrincipal(ctx.db, ctx.principal);
  const policies = await requestablePolicies(ctx.db, requester, accessPackageId);
  return policies.map((policy) => {
    const approval = JSON.parse(policy.requestApprovalSettings) as { isApprovalRequiredForAdd: boolean; isApprovalRequiredForUpdate: boolean; isRequestorJustificationRequired: boolean };
    const requestor = JSON.parse(policy.requestorSettings) as { allowCustomAssignmentSchedule: boolean };
    const questions = (JSON.parse(policy.questions) as Question[]).slice().sort((a, b) => a.sequence - b.sequence);
    return {
      policyId: policy.id,
      policyDisplayName: policy.displayName,
      policyDescription: policy.description,
      isApprovalRequiredForAdd: approval.isApprovalRequiredForAdd,
      isApprovalRequiredForUpdate: approval.isApprovalRequiredForUpdate,
      isRequestorJustificationRequired: approval.isRequestorJustificationRequired,
      allowCustomAssignmentSchedule: requestor.allowCustomAssignmentSchedule,
      questions,
      schedule: { startDateTime: null, expiration: JSON.parse(policy.expiration) as unknown, recurrence: null },
    };
  });
}
