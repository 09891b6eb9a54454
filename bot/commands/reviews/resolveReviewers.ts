import type { Tx } from '../../context';
import { catalogScope, entitlementRoles } from '../../domain/roles';
import type { AccessReviewReviewersTable, SubjectsTable } from '../../store/schema';
import { resolveSubjectSets, type SubjectSetRef } from '../approvals/resolveApprovers';
import type { ReviewSettings } from './schedule';

export type ReviewerKind = AccessReviewReviewersTable['kind'];

export interface ResolvedReviewers {
  /** Directory user ids with how each came to review. Empty only when nobody at all could be found. */
  reviewers: Array<{ userId: string; kind: ReviewerKind }>;
  /** How the list was reached, for the audit record. */
  source: 'primary' | 'fallback' | 'catalogOwners' | 'none';
}

/** Subject sets that resolve the same for everybody: resolved once per review, not once per person. */
const fixedSets = new Set(['#microsoft.graph.singleUser', '#microsoft.graph.groupMembers']);
const organizationSets = new Set(['#microsoft.graph.internalSponsors', '#microsoft.graph.externalSponsors']);

/**
 * The reviewers of one person's assignment, like approvers (bot/commands/approvals/resolveApprovers.ts):
 * `primaryReviewers` resolved for the reviewed person (their manager, their organization's internal or
 * external sponsors, their own sponsors, specific users, group members), never the person themselves —
 * unless `isSelfReview`, where the person reviews their own access (kind `self`). When that is nobody,
 * `fallbackReviewers`; when that is nobody too, the catalog owners, so a review never goes unanswered
 * for want of a reviewer. Disabled accounts never review.
 *
 * Returns a resolver that caches by what a subject set depends on (nothing, the organization, the
 * person), so a review of thousands of assignments costs a few queries per distinct organization.
 */
export function reviewerResolver(tx: Tx, settings: Pick<ReviewSettings, 'primaryReviewers' | 'fallbackReviewers' | 'isSelfReview'>, catalogId: string, policyId: string) {
  const cache = new Map<string, Promise<string[]>>();
  const resolveCached = (sets: readonly SubjectSetRef[], target: Pick<SubjectsTable, 'objectId' | 'connectedOrganizationId'>, label: string): Promise<string[]> => {
    if (sets.length === 0) return Promise.resolve([]);
    const perPerson = sets.some((s) => !fixedSets.has(s['@odata.type']) && !organizationSets.has(s['@odata.type']));
    const perOrganization = sets.some((s) => organizationSets.has(s['@odata.type']));
    const key = `${label}|${perPerson ? target.objectId : ''}|${perOrganization ? target.connectedOrganizationId : ''}`;
    let found = cache.get(key);
    if (!found) {
      // Resolved without exclusions so the result can be shared; the person is removed below.
      found = resolveSubjectSets(tx, sets, target, [], policyId);
      cache.set(key, found);
    }
    return found;
  };
  let catalogOwners: Promise<string[]> | undefined;

  return async (target: Pick<SubjectsTable, 'objectId' | 'connectedOrganizationId'> & { objectId: string; accountEnabled: boolean }): Promise<ResolvedReviewers> => {
    const person = target.objectId;
    const primary = (await resolveCached(settings.primaryReviewers as SubjectSetRef[], target, 'primary')).filter((id) => id !== person);
    const reviewers: ResolvedReviewers['reviewers'] = primary.map((userId) => ({ userId, kind: 'primary' as const }));
    if (settings.isSelfReview && target.accountEnabled) reviewers.push({ userId: person, kind: 'self' });
    if (reviewers.length > 0) return { reviewers, source: 'primary' };

    const fallback = (await resolveCached(settings.fallbackReviewers as SubjectSetRef[], target, 'fallback')).filter((id) => id !== person);
    if (fallback.length > 0) return { reviewers: fallback.map((userId) => ({ userId, kind: 'fallback' as const })), source: 'fallback' };

    catalogOwners ??= ownersOfCatalog(tx, catalogId);
    const owners = (await catalogOwners).filter((id) => id !== person);
    if (owners.length > 0) return { reviewers: owners.map((userId) => ({ userId, kind: 'fallback' as const })), source: 'catalogOwners' };
    return { reviewers: [], source: 'none' };
  };
}

/** Enabled users holding the catalog owner role on the catalog. */
async function ownersOfCatalog(tx: Tx, catalogId: string): Promise<string[]> {
  const rows = await tx
    .selectFrom('role_assignments as r')
    .innerJoin('users as u', 'u.id', 'r.principalId')
    .select('u.id')
    .where('r.provider', '=', 'entitlementManagement')
    .where('r.roleDefinitionId', '=', entitlementRoles.catalogOwner)
    .where('r.appScopeId', '=', catalogScope(catalogId))
    .where('u.accountEnabled', '=', 1)
    .orderBy('u.id')
    .execute();
  return [...new Set(rows.map((r) => r.id))];
}
