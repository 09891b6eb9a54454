import type { Kysely } from 'kysely';
import { prepared } from '../../store/prepared';
import type { ConnectedOrganizationsTable, Database } from '../../store/schema';

/** What we know of a partner user: the tenant they signed in with, and their email address. */
export interface PartnerIdentity {
  tenantId?: string | null;
  email?: string | null;
}

/** The lower-cased domain of an email address, or null when it has none. */
export function emailDomain(email: string | null | undefined): string | null {
  if (!email) return null;
  const at = email.lastIndexOf('@');
  if (at < 0 || at === email.length - 1) return null;
  return email.slice(at + 1).trim().toLowerCase() || null;
}

/**
 * The connected organization a partner belongs to: by Entra tenant id first (the strongest proof),
 * then by the domain of their email address. Null when no organization claims them. Both look-ups
 * use the indexed side table `connected_organization_sources`.
 */
export async function matchConnectedOrganization(db: Kysely<Database>, partner: PartnerIdentity): Promise<ConnectedOrganizationsTable | null> {
  const lookups: Array<{ kind: 'tenant' | 'domain'; value: string | null }> = [
    { kind: 'tenant', value: partner.tenantId ? partner.tenantId.trim().toLowerCase() : null },
    { kind: 'domain', value: emailDomain(partner.email) },
  ];
  for (const { kind, value } of lookups) {
    if (!value) continue;
    const org = await organizationBySource.first(db, { kind, value });
    if (org) return org;
  }
  return null;
}

const organizationBySource = prepared((db, p: { kind: 'tenant' | 'domain'; value: string }) =>
  db
    .selectFrom('connected_organization_sources as s')
    .innerJoin('connected_organizations as o', 'o.id', 's.connectedOrganizationId')
    .selectAll('o')
    .where('s.kind', '=', p.kind)
    .where('s.value', '=', p.value),
);
