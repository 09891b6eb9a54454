import { sql } from 'kysely';
import { newId, type CommandContext, type Tx } from '../../context';
import { cancelTimer, scheduleTimer } from '../../jobs/timers';
import type { AccessReviewDefinitionsTable } from '../../store/schema';
import { nextReviewStart, type ReviewSettings } from './schedule';

/** Timer kinds of access reviews. */
export const reviewTimerKinds = {
  /** One for the whole database: a safety net that brings every definition in step with its policy. */
  sweep: 'reviews.sweep',
  /** Per policy: its definition follows a policy change at once (scheduled by the policy command). */
  sync: 'reviews.sync',
  /** Per definition: the next review of the series starts (payload: `occurrence`, its scheduled start). */
  start: 'review.start',
  /** Per instance: the review ends and its decisions are applied. */
  end: 'review.end',
} as const;

/**
 * Policy commands sync their policy's definition at once (`requestReviewSync`); the whole-database
 * sweep is only a safety net (a crash between a policy's commit and its sync timer cannot happen —
 * the timer is in the same transaction — but an upgrade or a restore might need it), so it runs
 * rarely and in slices, never holding the (single-writer) database for long.
 */
export const reviewSyncIntervalMs = 24 * 3600 * 1000;
export const reviewSweepSlice = 50;

/** Has the policy's review definition follow it right after the caller's commit. */
export async function requestReviewSync(tx: Tx, now: Date, policyId: string): Promise<void> {
  await scheduleTimer(tx, { kind: reviewTimerKinds.sync, subjectId: policyId, dueAt: now }, now);
}

/**
 * Brings the access review definitions in line with the policies (all, or `policyIds`): one
 * definition per policy whose `reviewSettings.isEnabled` (created on first sight, `NotStarted`),
 * updated when its settings or its package's name change (the next start is recomputed), closed
 * (`Completed`) when reviews are turned off or the policy is gone. Reviews already in progress run to
 * their end either way. Handles at most `limit` changed policies; returns how many changed and
 * whether more are left. Not audited: a definition only mirrors its policy, whose change was
 * audited by the policy command; what reviews do (start, decisions, applying them) is.
 */
export async function syncDefinitions(tx: Tx, ctx: CommandContext, options: { policyIds?: readonly string[]; limit?: number } = {}): Promise<{ changed: number; more: boolean }> {
  const now = ctx.clock.now();
  const limit = options.limit ?? reviewSweepSlice;
  let query = tx
    .selectFrom('assignment_policies as p')
    .innerJoin('access_packages as ap', 'ap.id', 'p.accessPackageId')
    .leftJoin('access_review_definitions as d', 'd.assignmentPolicyId', 'p.id')
    .select(['p.id as policyId', 'p.displayName as policyName', 'p.reviewSettings', 'p.accessPackageId', 'p.catalogId', 'ap.displayName as packageName', 'd.id as definitionId'])
    .where((eb) =>
      eb.or([
        // JSON.stringify writes `"isEnabled":true` exactly (bot/commands/policies/checkPolicyDefinition.ts).
        eb.and([eb('d.id', 'is', null), eb('p.reviewSettings', 'like', '%"isEnabled":true%')]),
        eb.and([eb('d.id', 'is not', null), eb.or([eb('d.settings', '<>', eb.ref('p.reviewSettings')), eb('d.displayName', '<>', eb.ref('ap.displayName'))])]),
      ]),
    )
    .orderBy('p.id')
    .limit(limit + 1);
  if (options.policyIds) query = query.where('p.id', 'in', options.policyIds.length > 0 ? [...options.policyIds] : ['']);
  const found = await query.execute();
  const more = found.length > limit;
  const changed = found.slice(0, limit);

  for (const row of changed) {
    const settings = JSON.parse(row.reviewSettings) as ReviewSettings;
    const values = {
      displayName: row.packageName,
      descriptionForAdmins: `Review of the assignments of access package '${row.packageName}' granted through policy '${row.policyName}'.`,
      settings: row.reviewSettings,
      lastModifiedDateTime: now.toISOString(),
    };
    if (!row.definitionId) {
      const definition: AccessReviewDefinitionsTable = {
        id: newId(),
        ...values,
        status: 'NotStarted',
        assignmentPolicyId: row.policyId,
        accessPackageId: row.accessPackageId,
        catalogId: row.catalogId,
        createdDateTime: now.toISOString(),
      };
      // Only the one sweep timer runs this, so nobody races it; the unique index on the policy would
      // settle it if that ever changed.
      const inserted = await tx.insertInto('access_review_definitions').values(definition).onConflict((oc) => oc.column('assignmentPolicyId').doNothing()).returning('id').executeTakeFirst();
      if (!inserted) continue;
      const next = await scheduleNextReview(tx, definition, settings, null, now);
      if (!next) await tx.updateTable('access_review_definitions').set({ status: 'Completed' }).where('id', '=', definition.id).execute();
      continue;
    }
    const definition = await tx.selectFrom('access_review_definitions').selectAll().where('id', '=', row.definitionId).executeTakeFirstOrThrow();
    const running = await hasReviewInProgress(tx, definition.id);
    let status: string;
    if (settings.isEnabled) {
      const last = await tx.selectFrom('access_review_instances').select(sql<string | null>`max(${sql.ref('startDateTime')})`.as('last')).where('definitionId', '=', definition.id).executeTakeFirst();
      const next = await scheduleNextReview(tx, definition, settings, last?.last ? new Date(last.last) : null, now);
      status = next || running ? (last?.last ? 'InProgress' : 'NotStarted') : 'Completed';
    } else {
      await cancelTimer(tx, reviewTimerKinds.start, definition.id);
      status = running ? 'InProgress' : 'Completed';
    }
    await tx.updateTable('access_review_definitions').set({ ...values, status }).where('id', '=', definition.id).execute();
  }

  // Policies deleted since: their series end (nothing of theirs is left to review).
  let orphanQuery = tx
    .selectFrom('access_review_definitions as d')
    .leftJoin('assignment_policies as p', 'p.id', 'd.assignmentPolicyId')
    .select('d.id')
    .where('p.id', 'is', null)
    .where('d.status', '<>', 'Completed')
    .limit(limit);
  if (options.policyIds) orphanQuery = orphanQuery.where('d.assignmentPolicyId', 'in', options.policyIds.length > 0 ? [...options.policyIds] : ['']);
  const orphans = await orphanQuery.execute();
  for (const orphan of orphans) {
    await cancelTimer(tx, reviewTimerKinds.start, orphan.id);
    if (await hasReviewInProgress(tx, orphan.id)) continue;
    await tx.updateTable('access_review_definitions').set({ status: 'Completed', lastModifiedDateTime: now.toISOString() }).where('id', '=', orphan.id).execute();
  }
  return { changed: changed.length + orphans.length, more: more || orphans.length >= limit };
}

/**
 * Schedules the start of the series' next review after `after` (the previous review's scheduled
 * start), or cancels it when the series has ended. Returns when it starts.
 */
export async function scheduleNextReview(tx: Tx, definition: Pick<AccessReviewDefinitionsTable, 'id' | 'createdDateTime'>, settings: ReviewSettings, after: Date | null, now: Date): Promise<Date | null> {
  const next = settings.isEnabled ? nextReviewStart(settings, new Date(definition.createdDateTime), after, now) : null;
  if (!next) {
    await cancelTimer(tx, reviewTimerKinds.start, definition.id);
    return null;
  }
  await scheduleTimer(tx, { kind: reviewTimerKinds.start, subjectId: definition.id, dueAt: next, payload: { occurrence: next.toISOString() } }, now);
  return next;
}

export async function hasReviewInProgress(tx: Tx, definitionId: string): Promise<boolean> {
  const row = await tx.selectFrom('access_review_instances').select('id').where('definitionId', '=', definitionId).where('status', '=', 'InProgress').limit(1).executeTakeFirst();
  return row !== undefined;
}
