import { CommandContext, inTransaction } from '../../context';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../domain/errors';
import { writeAudit } from '../audit';
import { readsAllOf } from './loadReview';
import type { ReviewSettings } from './schedule';
import type { RecordDecisionInput } from './schemas';

/**
 * A reviewer records (or changes) their decision on one person's access while the review runs
 * (`PATCH …/decisions/{id}`). Only a reviewer of that decision may; catalog staff who are not get
 * 403, anyone else 404. A finished review is 409. Justification is enforced when the policy asks
 * for it. The last decision before the end counts; it is applied when the review ends.
 */
export async function recordDecision(ctx: CommandContext, definitionId: string, instanceId: string, decisionId: string, input: RecordDecisionInput): Promise<void> {
  const p = ctx.principal;
  const notFound = () => new NotFoundError(`No accessReviewInstanceDecisionItem with id '${decisionId}' was found.`);
  await inTransaction(ctx, async (tx) => {
    // FOR SHARE: a review ending now (which updates the instance first) waits for this decision, or
    // this decision waits for the end and then sees it finished. SQLite runs one writer at a time.
    let instanceQuery = tx.selectFrom('access_review_instances').selectAll().where('id', '=', instanceId).where('definitionId', '=', definitionId);
    if (ctx.dialect === 'postgres') instanceQuery = instanceQuery.forShare();
    const instance = await instanceQuery.executeTakeFirst();
    const definition = instance ? await tx.selectFrom('access_review_definitions').selectAll().where('id', '=', definitionId).executeTakeFirst() : undefined;
    const decision = definition ? await tx.selectFrom('access_review_decisions').selectAll().where('id', '=', decisionId).where('instanceId', '=', instanceId).executeTakeFirst() : undefined;
    if (!instance || !definition || !decision) throw notFound();
    const reviewer = p.userId ? await tx.selectFrom('access_review_reviewers').select('kind').where('decisionId', '=', decision.id).where('userId', '=', p.userId).executeTakeFirst() : undefined;
    if (!reviewer) {
      if (readsAllOf(p, definition)) throw new ForbiddenError('You are not a reviewer of this decision.', 'NotAReviewer');
      throw notFound();
    }
    if (instance.status !== 'InProgress') throw finished();
    const settings = JSON.parse(definition.settings) as ReviewSettings;
    const justification = input.justification?.trim() || null;
    if (settings.isReviewerJustificationRequired && input.decision !== 'NotReviewed' && !justification) {
      throw new ValidationError("Property 'justification' is required: reviewers of this access review must justify their decision.", 'justification');
    }
    const now = ctx.clock.now().toISOString();
    const reviewed = input.decision !== 'NotReviewed';
    const updated = await tx
      .updateTable('access_review_decisions')
      .set({
        decision: input.decision,
        justification,
        reviewedById: reviewed ? p.userId : null,
        reviewedBy: reviewed ? JSON.stringify({ id: p.userId, displayName: p.displayName, userPrincipalName: p.userPrincipalName }) : null,
        reviewedDateTime: reviewed ? now : null,
      })
      .where('id', '=', decision.id)
      .where('applyResult', '=', 'New')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) throw finished();
    const principal = JSON.parse(decision.principal) as { id: string; displayName: string | null };
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Record access review decision',
      operationType: 'Update',
      targets: [
        { id: decision.id, displayName: null, type: 'AccessReviewInstanceDecisionItem' },
        { id: instance.id, displayName: definition.displayName, type: 'AccessReviewInstance' },
        { id: principal.id, displayName: principal.displayName, type: 'User' },
      ],
      details: { decision: input.decision, justification, reviewerKind: reviewer.kind, assignmentId: decision.assignmentId },
    });
  });
}

function finished(): ConflictError {
  return new ConflictError('This access review has ended; its decisions can no longer change.', 'AccessReviewCompleted');
}
