import { CommandContext, inTransaction, newId, Tx } from '../../context';
import { ConflictError, ForbiddenError, ValidationError } from '../../domain/errors';
import { authorize, can } from '../../policies';
import type { ConnectedOrganizationsTable, ConnectedOrganizationSourcesTable } from '../../store/schema';
import { writeAudit } from '../audit';
import type { CreateConnectedOrganizationInput, IdentitySource } from './schemas';

/** The side-table row of an identity source: what a partner is matched on. */
export function sourceKey(source: IdentitySource): Pick<ConnectedOrganizationSourcesTable, 'kind' | 'value'> {
  return source['@odata.type'] === '#microsoft.graph.azureActiveDirectoryTenant'
    ? { kind: 'tenant', value: source.tenantId.toLowerCase() }
    : { kind: 'domain', value: source.domainName.toLowerCase() };
}

/**
 * Checks that each identity source is new: not the home tenant, not twice in the body, not claimed by
 * another connected organization (a partner must match exactly one organization).
 */
async function checkSources(tx: Tx, sources: IdentitySource[]): Promise<void> {
  const home = await tx.selectFrom('tenants').select(['id', 'domains']).where('isHome', '=', 1).executeTakeFirst();
  const homeDomains = new Set(home ? (JSON.parse(home.domains) as string[]).map((d) => d.toLowerCase()) : []);
  const seen = new Set<string>();
  for (const [i, source] of sources.entries()) {
    const key = sourceKey(source);
    const field = `identitySources.${i}.${key.kind === 'tenant' ? 'tenantId' : 'domainName'}`;
    if ((key.kind === 'tenant' && home && key.value === home.id.toLowerCase()) || (key.kind === 'domain' && homeDomains.has(key.value))) {
      throw new ValidationError(`Invalid value for '${field}': '${key.value}' belongs to this directory's own tenant.`, field);
    }
    if (seen.has(`${key.kind}:${key.value}`)) throw new ValidationError(`Invalid value for '${field}': '${key.value}' is given twice.`, field);
    seen.add(`${key.kind}:${key.value}`);
    const taken = await tx
      .selectFrom('connected_organization_sources as s')
      .innerJoin('connected_organizations as o', 'o.id', 's.connectedOrganizationId')
      .select(['o.id', 'o.displayName'])
      .where('s.kind', '=', key.kind)
      .where('s.value', '=', key.value)
      .executeTakeFirst();
    if (taken) throw new ConflictError(`The identity source '${key.value}' is already used by connected organization '${taken.displayName}' (${taken.id}).`, 'Conflict');
  }
}

/**
 * Creates a connected organization and indexes its identity sources for partner matching.
 * Administrators create it `configured` unless asked otherwise; the people who may only propose one
 * (bot/policies) create it `proposed`, and asking for `configured` is refused.
 */
export async function createConnectedOrganization(ctx: CommandContext, input: CreateConnectedOrganizationInput): Promise<ConnectedOrganizationsTable> {
  authorize(ctx.principal, 'connectedOrganization.propose');
  const configures = can(ctx.principal, 'connectedOrganization.configure');
  if (input.state === 'configured' && !configures) {
    throw new ForbiddenError("Only an Identity Governance Administrator can create a configured connected organization; create it with state 'proposed'.");
  }
  const state = input.state ?? (configures ? 'configured' : 'proposed');
  return inTransaction(ctx, async (tx) => {
    await checkSources(tx, input.identitySources);
    const now = ctx.clock.now().toISOString();
    // Graph always returns a display name for each source; default it to what identifies the source.
    const sources = input.identitySources.map((s) => ({ ...s, displayName: s.displayName ?? ('tenantId' in s ? s.tenantId : s.domainName) }));
    const row: ConnectedOrganizationsTable = {
      id: newId(),
      displayName: input.displayName,
      description: input.description ?? null,
      state,
      identitySources: JSON.stringify(sources),
      createdBy: ctx.principal.userPrincipalName,
      createdDateTime: now,
      modifiedDateTime: now,
    };
    await tx.insertInto('connected_organizations').values(row).execute();
    await tx
      .insertInto('connected_organization_sources')
      .values(input.identitySources.map((s) => ({ connectedOrganizationId: row.id, ...sourceKey(s) })))
      .execute();
    await writeAudit(tx, ctx, {
      activityDisplayName: 'Create connected organization',
      operationType: 'Add',
      targets: [{ id: row.id, displayName: row.displayName, type: 'ConnectedOrganization' }],
      details: { state: row.state, identitySources: input.identitySources.map((s) => sourceKey(s).value).join(', ') },
    });
    return row;
  });
}
