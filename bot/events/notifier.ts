import type { Tx } from '../context';
import { newId } from '../context';
import { sponsorsOf } from '../commands/guests/guests';
import { sql } from 'kysely';
import { prepared, preparedPerCount } from '../store/prepared';
import type { NotificationsTable } from '../store/schema';
import type { EventConsumer } from './consumer';
import { allEventTypes, eventTypes, type EventType } from './types';

/**
 * The notifier: turns each event into one `notifications` row per person who should hear of it
 * (docs/EVENTS.md lists who, per type). It runs in the transaction that completes the event's
 * delivery, and (eventId, recipientId) is unique, so every person gets each notice exactly once even
 * when the handler is retried. The bot sends the rows as Teams cards.
 *
 * A recipient is a directory user id; a partner user who is not in the directory yet is addressed by
 * their `accessPackageSubject` id (the bot reaches them through the conversation they started).
 */
export type RecipientRole = 'requestor' | 'target' | 'approver' | 'reviewer' | 'guest' | 'sponsor' | 'catalogOwner';

export const notifierConsumer: EventConsumer = {
  types: allEventTypes,
  handle: async (event, { tx, now }) => {
    const recipients = await recipientsOf(tx, event.type as EventType, event.data);
    if (recipients.size === 0) return;
    await insertNotices(
      tx,
      [...recipients].map(([recipientId, roles]) => ({
        id: newId(),
        eventId: event.id,
        eventType: event.type,
        recipientId,
        subjectId: event.subjectId,
        payload: JSON.stringify({ ...event.data, recipientRoles: [...roles].sort() }),
        createdDateTime: now.toISOString(),
        sentDateTime: null,
      })),
    );
  },
};

type NoticeRow = Pick<NotificationsTable, 'id' | 'eventId' | 'eventType' | 'recipientId' | 'subjectId' | 'payload' | 'createdDateTime' | 'sentDateTime'>;
const noticeColumns = ['id', 'eventId', 'eventType', 'recipientId', 'subjectId', 'payload', 'createdDateTime', 'sentDateTime'] as const;

/**
 * Inserts one event's notices unless the event has notices already, in one statement: a delivery
 * handed out again finds who the recipients were — who they are may have changed since (a partner
 * became a guest), and the first resolution stands rather than adding to it. (A check before the
 * insert cost a statement per event.) `on conflict do nothing` keeps each person's notice once.
 */
async function insertNotices(tx: Tx, rows: readonly NoticeRow[]): Promise<void> {
  const params: Record<string, string | null> = { eventId: rows[0].eventId };
  for (let r = 0; r < rows.length; r++) {
    const names = paramNamesOf(r);
    for (let k = 0; k < noticeColumns.length; k++) params[names[k]] = rows[r][noticeColumns[k]];
  }
  await insertNoticesOf(rows.length).run(tx, params);
}

/** The parameter names of row `r` (`${r}_${column}`), made once: an event's notices are written on every delivery. */
const paramNames: string[][] = [];
const paramNamesOf = (r: number): string[] => (paramNames[r] ??= noticeColumns.map((c) => `${r}_${c}`));

// Compiled once per count up to a few recipients (nearly every event); larger counts each time.
const insertNoticesOf = preparedPerCount(8, (count) => (db, p: Record<string, string | null>) => {
  const values = Array.from({ length: count }, (_, r) => sql.join(noticeColumns.map((c) => sql`${p[`${r}_${c}`]}`)));
  // The first row names the columns (SQLite's VALUES in a subquery has no column names of its own).
  const selects = values.map((v, r) => (r === 0 ? sql`select ${sql.join(noticeColumns.map((c, k) => sql`${p[`${r}_${c}`]} as ${sql.ref(`c${k}`)}`))}` : sql`select ${v}`));
  const query = sql`insert into ${sql.table('notifications')} (${sql.join(noticeColumns.map((c) => sql.ref(c)))})
    select * from (${sql.join(selects, sql` union all `)}) as ${sql.ref('v')}
    where not exists (select 1 from ${sql.table('notifications')} as ${sql.ref('n')} where ${sql.ref('n.eventId')} = ${p.eventId})
    on conflict (${sql.ref('eventId')}, ${sql.ref('recipientId')}) do nothing`;
  return { compile: () => query.compile(db) };
});
const subjectsById = prepared((db, p: { first: string; second: string }) => db.selectFrom('subjects').select(['id', 'objectId']).where('id', 'in', [p.first, p.second]));

type Payload = Record<string, unknown>;
/** recipient id → why they are told. */
type Recipients = Map<string, Set<RecipientRole>>;

/** Who hears of an event of `type` with `payload`; what the payload lacks is read from the database by id. */
export async function recipientsOf(tx: Tx, type: EventType, payload: Payload): Promise<Recipients> {
  const to: Recipients = new Map();
  const add = (ids: readonly (string | null | undefined)[], role: RecipientRole) => {
    for (const id of ids) {
      if (!id) continue;
      const roles = to.get(id) ?? new Set<RecipientRole>();
      roles.add(role);
      to.set(id, roles);
    }
  };

  switch (type) {
    case eventTypes.requestSubmitted:
    case eventTypes.requestDenied:
    case eventTypes.requestExpired:
    case eventTypes.requestCanceled: {
      // An administrator who just assigned or removed someone needs no notice of their own request.
      const byAdministrator = type === eventTypes.requestSubmitted && typeof payload.requestType === 'string' && payload.requestType.startsWith('admin');
      await addRequestParties(tx, payload, add, { requestor: !byAdministrator });
      // Approvers of a stage still open hold a card that must show the request is over.
      if (type !== eventTypes.requestSubmitted) add(await undecidedApprovers(tx, str(payload.requestId)), 'approver');
      break;
    }
    case eventTypes.stageStarted:
    case eventTypes.stageEscalated:
    case eventTypes.approvalReminder:
      add(ids(payload.approverIds) ?? (await stageApprovers(tx, str(payload.stageId))), 'approver');
      break;
    case eventTypes.stageDecided:
      // Every approver's card updates to show who decided; the requestor hears of an approval here
      // (a denial comes as `assignmentRequest.denied`).
      add(ids(payload.approverIds) ?? (await stageApprovers(tx, str(payload.stageId))), 'approver');
      if (payload.reviewResult === 'Approve') await addRequestParties(tx, payload, add);
      break;
    case eventTypes.assignmentDelivered:
    case eventTypes.deliveryFailed:
    case eventTypes.assignmentExpiringSoon:
    case eventTypes.assignmentExpired:
    case eventTypes.assignmentRemoved:
    case eventTypes.assignmentExtended:
      add([await assignmentTarget(tx, payload)], 'target');
      break;
    case eventTypes.reviewStarted:
    case eventTypes.reviewCompleted:
      add(ids(payload.reviewerIds) ?? (await instanceReviewers(tx, str(payload.instanceId))), 'reviewer');
      break;
    case eventTypes.guestToBeBlocked:
    case eventTypes.guestBlocked:
    case eventTypes.guestToBeDeleted:
    case eventTypes.guestKept:
      add([str(payload.userId)], 'guest');
      add(ids(payload.sponsorIds) ?? (await guestSponsors(tx, str(payload.userId))), 'sponsor');
      break;
    case eventTypes.guestDeleted:
      // The guest's account is gone: nobody can reach them in Teams any more; the sponsors learn it.
      add(ids(payload.sponsorIds) ?? [], 'sponsor');
      break;
    case eventTypes.timerFailed:
      // For operators: the item the timer worked on has its own event (e.g. assignment.deliveryFailed).
      break;
    default: {
      const unknown: never = type;
      void unknown;
    }
  }
  add(ids(payload.catalogOwnerIds) ?? [], 'catalogOwner');
  return to;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function ids(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : undefined;
}

/** Where to reach subjects: their directory user id, or the subject id for a partner not in the directory. */
async function subjectRecipients(tx: Tx, subjectIds: readonly (string | null)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(subjectIds.filter((id): id is string => !!id))];
  if (wanted.length === 0) return new Map();
  // One or two subjects (target, requestor): one compiled query for both cases.
  const rows = wanted.length <= 2 ? await subjectsById.all(tx, { first: wanted[0], second: wanted[1] ?? wanted[0] }) : await tx.selectFrom('subjects').select(['id', 'objectId']).where('id', 'in', wanted).execute();
  return new Map(rows.map((r) => [r.id, r.objectId ?? r.id]));
}

/** The request's requestor and target (the payload's subject ids, else the request row). */
async function addRequestParties(tx: Tx, payload: Payload, add: (ids: (string | null | undefined)[], role: RecipientRole) => void, include = { requestor: true }): Promise<void> {
  let targetId = str(payload.targetId);
  let requestorId = str(payload.requestorId);
  const requestId = str(payload.requestId);
  if (!targetId && !requestorId && requestId) {
    // Neither in the payload (approval.decided): the request's parties and where to reach them, in one query.
    const parties = await requestParties.first(tx, { requestId });
    if (!parties) return;
    add([parties.targetUserId ?? parties.targetId], 'target');
    if (include.requestor) add([parties.requestorUserId ?? parties.requestorId], 'requestor');
    return;
  }
  if ((!targetId || !requestorId) && requestId) {
    const request = await tx.selectFrom('assignment_requests').select(['targetId', 'requestorId']).where('id', '=', requestId).executeTakeFirst();
    targetId ??= request?.targetId ?? null;
    requestorId ??= request?.requestorId ?? null;
  }
  const where = await subjectRecipients(tx, [targetId, requestorId]);
  add([targetId ? where.get(targetId) : null], 'target');
  if (include.requestor) add([requestorId ? where.get(requestorId) : null], 'requestor');
}

const requestParties = prepared((db, p: { requestId: string }) =>
  db
    .selectFrom('assignment_requests as r')
    .innerJoin('subjects as t', 't.id', 'r.targetId')
    .innerJoin('subjects as q', 'q.id', 'r.requestorId')
    .select(['r.targetId', 'r.requestorId', 't.objectId as targetUserId', 'q.objectId as requestorUserId'])
    .where('r.id', '=', p.requestId),
);

/** The assignment's target: the payload's `targetUserId` or subject `targetId`, else the assignment row. */
async function assignmentTarget(tx: Tx, payload: Payload): Promise<string | null> {
  const userId = str(payload.targetUserId);
  if (userId) return userId;
  let targetId = str(payload.targetId);
  const assignmentId = str(payload.assignmentId);
  if (!targetId && assignmentId) targetId = (await tx.selectFrom('assignments').select('targetId').where('id', '=', assignmentId).executeTakeFirst())?.targetId ?? null;
  if (!targetId) return null;
  return (await subjectRecipients(tx, [targetId])).get(targetId) ?? null;
}

const approversOfStage = prepared((db, p: { stageId: string }) => db.selectFrom('approval_stage_approvers').select('userId').where('stageId', '=', p.stageId));

async function stageApprovers(tx: Tx, stageId: string | null): Promise<string[]> {
  if (!stageId) return [];
  return (await approversOfStage.all(tx, { stageId })).map((r) => r.userId);
}

/** Approvers of the request's stages that started and that no person decided. */
async function undecidedApprovers(tx: Tx, requestId: string | null): Promise<string[]> {
  if (!requestId) return [];
  // From the request's stages (indexed by request) to their approvers (by stage): approvers have no index by request alone.
  const rows = await tx
    .selectFrom('approval_stages as s')
    .innerJoin('approval_stage_approvers as a', 'a.stageId', 's.id')
    .select('a.userId')
    .where('s.requestId', '=', requestId)
    .where('s.startedDateTime', 'is not', null)
    .where('s.reviewedById', 'is', null)
    .execute();
  return rows.map((r) => r.userId);
}

/** A guest's sponsors as the lifecycle counts them (own sponsors and the organization's internal sponsors). */
async function guestSponsors(tx: Tx, userId: string | null): Promise<string[]> {
  if (!userId) return [];
  const subject = await tx.selectFrom('subjects').select('connectedOrganizationId').where('objectId', '=', userId).executeTakeFirst();
  return (await sponsorsOf(tx, [{ userId, connectedOrganizationId: subject?.connectedOrganizationId ?? null }])).get(userId) ?? [];
}

async function instanceReviewers(tx: Tx, instanceId: string | null): Promise<string[]> {
  if (!instanceId) return [];
  // From the instance's decisions (indexed by instance) to their reviewers (by decision): reviewers have no index by instance alone.
  const rows = await tx
    .selectFrom('access_review_decisions as d')
    .innerJoin('access_review_reviewers as r', 'r.decisionId', 'd.id')
    .select('r.userId')
    .distinct()
    .where('d.instanceId', '=', instanceId)
    .execute();
  return rows.map((r) => r.userId);
}
