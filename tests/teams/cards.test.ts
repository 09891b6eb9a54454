import * as AC from 'adaptivecards';
import { approvalCard, type ApprovalView } from '../../bot/teams/cards/approval';
import type { AdaptiveCard } from '../../bot/teams/cards/card';
import { helpCard, messageCard, welcomeCard } from '../../bot/teams/cards/help';
import { noticeCard, reviewCard } from '../../bot/teams/cards/notices';
import { changeFormCard, myAccessCard, myRequestsCard, noApprovalsCard, packagesCard, requestFormCard, requestStatusCard, waitingCard } from '../../bot/teams/cards/requests';
import { stringsFor } from '../../bot/teams/strings';
import { verbs } from '../../bot/teams/verbs';

const idPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const id = (n: number) => `0000000${n}-0000-4000-8000-000000000000`.slice(-36).replace(/^.{8}/, `${String(n).padStart(8, '0')}`);

function approvalView(overrides: Partial<ApprovalView> = {}): ApprovalView {
  return {
    requestId: id(1),
    stageId: id(2),
    stageNumber: 1,
    stageCount: 2,
    requestor: { name: 'Pradeep Gupta', mail: 'pradeep@fabrikam.test', organization: 'Fabrikam' },
    packageName: 'Project Falcon – partner access',
    catalogName: 'Fabrikam extranet',
    resources: ['Project Falcon: Member', 'Project Falcon Members'],
    answers: Array.from({ length: 10 }, (_, i) => ({ question: `Question ${i} ${'x'.repeat(200)}`, answer: 'y'.repeat(1000) })),
    justification: 'j'.repeat(2000),
    schedule: { start: '1 Mar 2026', end: '1 Jun 2026' },
    due: '15 Mar 2026 09:00 UTC',
    askedAs: 'fallback',
    reminder: true,
    justificationRequired: true,
    decision: null,
    closedState: null,
    canDecide: true,
    notice: 'A notice',
    refreshUserIds: Array.from({ length: 80 }, (_, i) => `29:${i}`),
    ...overrides,
  };
}

/** Every card the bot can send, in both languages and in each of its states. */
function everyCard(): Array<[string, AdaptiveCard]> {
  const cards: Array<[string, AdaptiveCard]> = [];
  for (const locale of ['en-US', 'nl-NL']) {
    const s = stringsFor(locale);
    const add = (name: string, c: AdaptiveCard) => cards.push([`${locale} ${name}`, c]);
    add('welcome', welcomeCard(s));
    add('help', helpCard(s));
    add('message', messageCard('Portier', s.alreadyDecided, 'Attention'));
    add('approval pending', approvalCard(approvalView(), s));
    add('approval decided', approvalCard(approvalView({ decision: { result: 'Approve', by: 'Ruth', at: 'now', justification: 'ok' }, canDecide: false }), s));
    add('approval closed', approvalCard(approvalView({ closedState: 'canceled' }), s));
    add('packages', packagesCard(Array.from({ length: 5 }, (_, i) => ({ id: id(i + 10), name: `Package ${i}`, description: 'd'.repeat(500), catalog: 'Catalog' })), { search: 'fal', page: 1, more: true }, s));
    add('packages empty', packagesCard([], { search: '', page: 0, more: false }, s));
    add(
      'request form',
      requestFormCard(
        {
          accessPackageId: id(3),
          name: 'Project Falcon',
          description: 'desc',
          questions: [
            { id: id(4), text: 'What?', required: true, multiline: true, regex: '^[A-Z].*$', choices: null },
            { id: id(5), text: 'Which?', required: false, multiline: false, regex: null, choices: [{ title: 'A', value: 'a' }] },
          ],
          justificationRequired: true,
          customSchedule: true,
          notice: 'Refused',
        },
        s,
      ),
    );
    add('status', requestStatusCard({ id: id(6), packageName: 'P', state: 'pendingApproval', created: 'now', cancelable: true }, s));
    add('my requests', myRequestsCard([{ id: id(6), packageName: 'P', state: 'submitted', created: 'now', cancelable: true }], s));
    add('my access', myAccessCard([{ assignmentId: id(7), accessPackageId: id(3), packageName: 'P', ends: 'soon', canExtend: true, canLeave: true }], s));
    add('no approvals', noApprovalsCard(s));
    add('extend form', changeFormCard({ assignmentId: id(7), packageName: 'P', verb: verbs.extend, title: s.extend, justificationRequired: true, notice: 'n' }, s));
    add('waiting', waitingCard({ approvals: 2, requests: 1 }, s));
    add('notice', noticeCard({ title: 'Portier', lines: [s.expiringSoon('P', 'soon')], tone: 'Warning', facts: [[s.reason, 'r']], actions: [{ type: 'Action.Execute', title: s.extend, verb: verbs.extend, data: { assignmentId: id(7) } }] }));
    add(
      'review',
      reviewCard(
        { definitionId: id(8), instanceId: id(9), due: 'soon', page: 1, more: true, notice: null, items: [{ decisionId: id(11), principal: 'Pradeep', resource: 'P', recommendation: 'Approve', decision: 'NotReviewed' }, { decisionId: id(12), principal: 'Isabel', resource: 'P', recommendation: null, decision: 'Deny' }] },
        s,
        { approve: verbs.reviewApprove, deny: verbs.reviewDeny, dontKnow: verbs.reviewDontKnow, page: verbs.reviewPage },
      ),
    );
  }
  return cards;
}

function actionsOf(node: unknown, out: Array<{ verb?: string; data?: Record<string, unknown>; type: string }> = []): typeof out {
  if (!node || typeof node !== 'object') return out;
  if (Array.isArray(node)) {
    node.forEach((n) => actionsOf(n, out));
    return out;
  }
  const o = node as Record<string, unknown>;
  if (typeof o.type === 'string' && o.type.startsWith('Action.')) out.push(o as never);
  for (const value of Object.values(o)) actionsOf(value, out);
  return out;
}

describe('Teams cards', () => {
  const allVerbs = new Set<string>(Object.values(verbs));

  it.each(everyCard())('%s parses with adaptivecards 2.11 without errors or warnings, version ≤ 1.5, under 28 KB, data of ids and verbs only', (_name, content) => {
    const context = new AC.SerializationContext();
    const card = new AC.AdaptiveCard();
    card.parse(content, context);
    const events = Array.from({ length: context.eventCount }, (_, i) => context.getEventAt(i));
    expect(events.map((e) => `${AC.ValidationEvent[e.event]}: ${e.message}`)).toEqual([]);
    const validation = card.validateProperties();
    expect(validation.validationEvents.map((e) => `${AC.ValidationEvent[e.event]}: ${e.message}`)).toEqual([]);
    expect(Number(content.version)).toBeLessThanOrEqual(1.5);
    expect(Buffer.byteLength(JSON.stringify(content))).toBeLessThan(28 * 1024);
    expect(content.refresh?.userIds?.length ?? 0).toBeLessThanOrEqual(60);
    for (const action of actionsOf(content)) {
      if (action.type !== 'Action.Execute') continue;
      expect(allVerbs.has(action.verb ?? '')).toBe(true);
      for (const [key, value] of Object.entries(action.data ?? {})) {
        expect(typeof value).toBe('string');
        if (key === 'page') expect(value).toMatch(/^\d+$/);
        else expect({ key, value }).toEqual({ key, value: expect.stringMatching(idPattern) });
      }
    }
  });

  it("a question's pattern says what it wants when the answer does not match, in the person's language", () => {
    const form = (locale: string, required: boolean) =>
      requestFormCard(
        { accessPackageId: '00000000-0000-0000-0000-000000000003', name: 'P', description: null, questions: [{ id: '00000000-0000-0000-0000-000000000004', text: 'Code?', required, multiline: false, regex: '^[A-Z]{3}$', choices: null }], justificationRequired: false, customSchedule: false, notice: null },
        stringsFor(locale),
      ).body.find((e) => (e as { id?: string }).id?.startsWith('q_'));
    expect(form('en-US', true)).toMatchObject({ regex: '^[A-Z]{3}$', isRequired: true, errorMessage: 'This field is required, in the form the question asks for.' });
    expect(form('nl-NL', false)).toMatchObject({ regex: '^[A-Z]{3}$', errorMessage: 'Dit antwoord heeft niet de gevraagde vorm.' });
    expect(form('nl-NL', false)).not.toHaveProperty('isRequired');
  });
});
