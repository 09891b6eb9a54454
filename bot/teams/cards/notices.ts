import type { Strings } from '../strings';
import { AdaptiveCard, card, CardAction, CardElement, facts, heading, text } from './card';

/** A notice: a title, its lines (markdown from `strings`, values escaped by the caller), optional facts and actions. */
export interface NoticeView {
  title: string;
  lines: string[];
  facts?: ReadonlyArray<readonly [string, string | null | undefined]>;
  actions?: CardAction[];
  tone?: 'Default' | 'Good' | 'Warning' | 'Attention';
}

export function noticeCard(v: NoticeView): AdaptiveCard {
  const body: CardElement[] = [heading(v.title), ...v.lines.map((line, i) => text(line, i === 0 && v.tone && v.tone !== 'Default' ? { color: v.tone } : {}))];
  if (v.facts && v.facts.some(([, value]) => value)) body.push(facts(v.facts));
  return card(body, { actions: v.actions ?? [] });
}

export interface ReviewItemView {
  decisionId: string;
  principal: string;
  resource: string;
  recommendation: string | null;
  decision: string;
}

/** A review instance's decision items for one reviewer, a page at a time, each decided on its own. */
export function reviewCard(
  v: { definitionId: string; instanceId: string; due: string | null; items: ReviewItemView[]; page: number; more: boolean; notice: string | null },
  s: Strings,
  verbs: { approve: string; deny: string; dontKnow: string; page: string },
): AdaptiveCard {
  const body: CardElement[] = [];
  if (v.notice) body.push(text(v.notice, { color: 'Attention', weight: 'Bolder' }));
  body.push(heading(s.reviewStarted));
  if (v.due) body.push(facts([[s.reviewDue, v.due]]));
  for (const item of v.items) {
    const ids = { definitionId: v.definitionId, instanceId: v.instanceId, decisionId: item.decisionId, page: String(v.page) };
    const open = item.decision === 'NotReviewed';
    body.push({
      type: 'Container',
      separator: true,
      items: [
        text(`**${s.reviewItem(item.principal, item.resource)}**`),
        ...(item.recommendation ? [text(`${s.recommendation}: ${item.recommendation}`, { isSubtle: true, size: 'Small', spacing: 'None' })] : []),
        ...(open
          ? [
              { type: 'Input.Text' as const, id: `justification_${item.decisionId}`, label: s.justification, maxLength: 1000 },
              {
                type: 'ActionSet' as const,
                actions: [
                  { type: 'Action.Execute' as const, title: s.approve, verb: verbs.approve, data: ids, associatedInputs: 'auto' as const, style: 'positive' as const },
                  { type: 'Action.Execute' as const, title: s.deny, verb: verbs.deny, data: ids, associatedInputs: 'auto' as const, style: 'destructive' as const },
                  { type: 'Action.Execute' as const, title: s.dontKnow, verb: verbs.dontKnow, data: ids, associatedInputs: 'auto' as const },
                ],
              },
            ]
          : [text(s.reviewDecided(item.decision), { color: 'Good' as const })]),
      ],
    });
  }
  const actions: CardAction[] = [];
  if (v.page > 0) actions.push({ type: 'Action.Execute', title: '‹', verb: verbs.page, data: { definitionId: v.definitionId, instanceId: v.instanceId, page: String(v.page - 1) } });
  if (v.more) actions.push({ type: 'Action.Execute', title: s.more, verb: verbs.page, data: { definitionId: v.definitionId, instanceId: v.instanceId, page: String(v.page + 1) } });
  return card(body, { actions });
}
