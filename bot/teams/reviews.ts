import { z } from 'zod';
import type { ActionContext, Actions, VerbHandler } from './actions';
import type { AdaptiveCard } from './cards/card';
import { reviewCard } from './cards/notices';
import { graphStatus, type ReviewDecision } from './engine';
import { formatDateTime } from './strings';
import { verbs } from './verbs';

const id = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be an id');
const page = z.string().regex(/^\d{1,4}$/);
const pageSize = 5;
const reviewVerbs = { approve: verbs.reviewApprove, deny: verbs.reviewDeny, dontKnow: verbs.reviewDontKnow, page: verbs.reviewPage };

/**
 * Access reviews in chat: a reviewer's decision items of one instance, a page at a time, each
 * decided Approve / Deny / Don't know with a justification through Graph's decisions (PATCH).
 */
export class Reviews {
  constructor(actions: Actions) {
    const decide = (decision: 'Approve' | 'Deny' | 'DontKnow'): VerbHandler<Record<string, string>> => ({
      data: z.looseObject({ definitionId: id, instanceId: id, decisionId: id, page }) as unknown as z.ZodType<Record<string, string>>,
      handle: async (ctx, data) => {
        const justification = typeof data[`justification_${data.decisionId}`] === 'string' ? data[`justification_${data.decisionId}`] : '';
        let notice: string | null = null;
        try {
          await ctx.graph
            .api(`/identityGovernance/accessReviews/definitions/${data.definitionId}/instances/${data.instanceId}/decisions/${data.decisionId}`)
            .patch({ decision, justification: justification.slice(0, 1000) });
        } catch (error) {
          notice = actions.refusal(error, ctx.s);
        }
        return this.card(ctx, { definitionId: data.definitionId, instanceId: data.instanceId, page: Number(data.page), due: null }, notice);
      },
    });
    const register = <T>(verb: string, handler: VerbHandler<T>) => actions.register(verb, handler as unknown as VerbHandler<never>);
    register(verbs.reviewApprove, decide('Approve'));
    register(verbs.reviewDeny, decide('Deny'));
    register(verbs.reviewDontKnow, decide('DontKnow'));
    register(verbs.reviewPage, {
      data: z.object({ definitionId: id, instanceId: id, page }),
      handle: (ctx, data) => this.card(ctx, { definitionId: data.definitionId, instanceId: data.instanceId, page: Number(data.page), due: null }, null),
    });
  }

  async card(ctx: Pick<ActionContext, 'graph' | 's' | 'locale'>, v: { definitionId: string; instanceId: string; page: number; due: string | null }, notice: string | null): Promise<AdaptiveCard> {
    let items: ReviewDecision[] = [];
    try {
      const res = (await ctx.graph
        .api(`/identityGovernance/accessReviews/definitions/${v.definitionId}/instances/${v.instanceId}/decisions/filterByCurrentUser(on='reviewer')`)
        .query({ $top: String(pageSize + 1), $skip: String(v.page * pageSize) })
        .get()) as { value: ReviewDecision[] };
      items = res.value;
    } catch (error) {
      if (graphStatus(error) !== 404 && graphStatus(error) !== 403) throw error;
      notice ??= ctx.s.notFound;
    }
    return reviewCard(
      {
        definitionId: v.definitionId,
        instanceId: v.instanceId,
        due: v.due ? formatDateTime(v.due, ctx.locale) : null,
        items: items.slice(0, pageSize).map((d) => ({
          decisionId: d.id,
          principal: d.principal?.displayName ?? d.principal?.userPrincipalName ?? '—',
          resource: d.resource?.displayName ?? '—',
          recommendation: d.recommendation && d.recommendation !== 'unavailable' ? d.recommendation : null,
          decision: d.decision,
        })),
        page: v.page,
        more: items.length > pageSize,
        notice,
      },
      ctx.s,
      reviewVerbs,
    );
  }
}
