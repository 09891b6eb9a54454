import type { DirectoryAuditsTable } from '../store/schema';
import type { CommandContext, Tx } from '../context';
import { newId } from '../context';
import { insertRows } from '../store/prepared';

export interface AuditTarget {
  id: string;
  displayName: string | null;
  /** Graph type of the target, e.g. `AccessPackageCatalog`, `User`. */
  type: string;
}

export interface AuditEntry {
  activityDisplayName: string;
  operationType: 'Add' | 'Update' | 'Delete' | 'Assign' | 'Unassign' | 'Other';
  targets: AuditTarget[];
  result?: 'success' | 'failure';
  resultReason?: string;
  category?: 'EntitlementManagement' | 'UserManagement' | 'GroupManagement' | 'RoleManagement';
  /** Name/value pairs shown as `additionalDetails` (justification, changed properties, …). */
  details?: Record<string, string | null | undefined>;
}

/**
 * Writes a `directoryAudit` record in the same transaction as the change it describes, so a change
 * is never without its record, nor a record without its change.
 */
export async function writeAudit(tx: Tx, ctx: CommandContext, entry: AuditEntry): Promise<void> {
  await insertRows(tx, 'directory_audits', [auditRow(ctx, entry)]);
}

/**
 * The set-based form of `writeAudit`, for changes made to many objects at once (an expiry sweep ends
 * thousands of assignments in one transaction): one multi-row insert per few hundred records.
 */
export async function writeAudits(tx: Tx, ctx: CommandContext, entries: readonly AuditEntry[]): Promise<void> {
  for (let i = 0; i < entries.length; i += 500) {
    await tx
      .insertInto('directory_audits')
      .values(entries.slice(i, i + 500).map((entry) => auditRow(ctx, entry)))
      .execute();
  }
}

/** The `directoryAudit` row of `entry` (what `writeAudit` inserts; benchmarks seed with it). */
export function auditRow(ctx: CommandContext, entry: AuditEntry): DirectoryAuditsTable {
  const p = ctx.principal;
  return {
    id: newId(),
    category: entry.category ?? 'EntitlementManagement',
    activityDateTime: ctx.clock.now().toISOString(),
    activityDisplayName: entry.activityDisplayName,
    operationType: entry.operationType,
    result: entry.result ?? 'success',
    resultReason: entry.resultReason ?? null,
    loggedByService: entry.category === undefined || entry.category === 'EntitlementManagement' ? 'Entitlement Management' : 'Core Directory',
    correlationId: ctx.requestId,
    initiatedBy: JSON.stringify({ user: { id: p.userId, displayName: p.displayName, userPrincipalName: p.userPrincipalName, ipAddress: null }, app: null }),
    initiatedByUserId: p.userId,
    targetResources: JSON.stringify(
      entry.targets.map((t) => ({ id: t.id, displayName: t.displayName, type: t.type, userPrincipalName: null, groupType: null, modifiedProperties: [] })),
    ),
    additionalDetails: JSON.stringify(
      Object.entries(entry.details ?? {})
        .filter(([, v]) => v !== undefined && v !== null)
        .map(([key, value]) => ({ key, value })),
    ),
  };
}
