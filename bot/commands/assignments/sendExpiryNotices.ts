import type { CommandContext, Tx } from '../../context';
import { eventTypes } from '../../events/types';
import { emitMany } from '../guests/guests';
import { afterNotice } from './schedule';

/**
 * Sends up to `limit` due expiry notices (14 days and 1 day before the end, scaled for short
 * assignments; see `noticeTimes`), inside the caller's transaction: an `assignment.expiringSoon`
 * event each — with `canExtend` when the policy lets the target extend their own access — and the
 * assignment moves on to its next notice (or none). Returns how many were sent.
 *
 * The batch is claimed with one conditional UPDATE … RETURNING (rows still active, not yet ended,
 * notice still due), which on PostgreSQL also locks them until commit, so an extension made at the
 * same moment waits and then starts the notices over; nothing is sent twice.
 */
export async function sendExpiryNotices(tx: Tx, ctx: CommandContext, limit: number): Promise<number> {
  const now = ctx.clock.now();
  const at = now.toISOString();
  const due = await tx
    .updateTable('assignments')
    .set({ nextNoticeDateTime: null })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('assignments')
        .select('id')
        .where('nextNoticeDateTime', '<=', at)
        .where('activeKey', 'is not', null)
        .where('endDateTime', '>', at)
        .orderBy('nextNoticeDateTime')
        .orderBy('id')
        .limit(limit),
    )
    .where('nextNoticeDateTime', '<=', at)
    .where('activeKey', 'is not', null)
    .where('endDateTime', '>', at)
    .returning(['id', 'accessPackageId', 'assignmentPolicyId', 'targetId', 'startDateTime', 'endDateTime', 'noticesSent'])
    .execute();
  if (due.length === 0) return 0;

  // Assignments move on in groups that share their next notice: few statements for a batch delivered together.
  const groups = new Map<string, { sent: number; next: string | null; ids: string[] }>();
  for (const a of due) {
    const end = a.endDateTime ? new Date(a.endDateTime) : null;
    const start = new Date(a.startDateTime ?? a.endDateTime ?? at);
    const { sent, next } = afterNotice(start, end, now, a.noticesSent);
    const key = `${sent}|${next?.toISOString() ?? ''}`;
    const group = groups.get(key) ?? { sent, next: next?.toISOString() ?? null, ids: [] };
    group.ids.push(a.id);
    groups.set(key, group);
  }
  for (const group of groups.values()) {
    for (let i = 0; i < group.ids.length; i += 1000) {
      await tx.updateTable('assignments').set({ noticesSent: group.sent, nextNoticeDateTime: group.next }).where('id', 'in', group.ids.slice(i, i + 1000)).execute();
    }
  }

  const policyIds = [...new Set(due.map((a) => a.assignmentPolicyId))];
  const policies = await tx.selectFrom('assignment_policies').select(['id', 'requestorSettings']).where('id', 'in', policyIds).execute();
  const canExtend = new Map(policies.map((p) => [p.id, (JSON.parse(p.requestorSettings) as { enableTargetsToSelfUpdateAccess?: boolean }).enableTargetsToSelfUpdateAccess === true]));
  const targetIds = [...new Set(due.map((a) => a.targetId))];
  const users = new Map<string, string | null>();
  for (let i = 0; i < targetIds.length; i += 1000) {
    for (const s of await tx.selectFrom('subjects').select(['id', 'objectId']).where('id', 'in', targetIds.slice(i, i + 1000)).execute()) users.set(s.id, s.objectId);
  }
  await emitMany(
    tx,
    ctx,
    due.map((a) => ({
      type: eventTypes.assignmentExpiringSoon,
      subjectId: a.id,
      payload: {
        assignmentId: a.id,
        accessPackageId: a.accessPackageId,
        targetId: a.targetId,
        targetUserId: users.get(a.targetId) ?? null,
        endDateTime: a.endDateTime,
        canExtend: canExtend.get(a.assignmentPolicyId) ?? false,
      },
    })),
  );
  return due.length;
}
