/**
 * Checks of the Extranet tab's smaller forms (connected organization, catalog, access package,
 * settings), pure so jest tests them and the forms only render the result. Keys name fields;
 * values name the message (worded per language in strings.ts).
 */

export type FormProblem = 'required' | 'tooLong' | 'invalidDomain' | 'invalidTenantId' | 'pickCatalog' | 'positiveWholeNumber';
export type FormProblems = Record<string, FormProblem>;

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A DNS name with at least two labels: letters, digits and inner hyphens, 63 characters per label.
const domain = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/i;

function name(value: string, problems: FormProblems, field = 'displayName'): void {
  if (!value.trim()) problems[field] = 'required';
  else if (value.length > 256) problems[field] = 'tooLong';
}

function text(value: string, problems: FormProblems, field = 'description'): void {
  if (value.length > 1024) problems[field] = 'tooLong';
}

export interface OrganizationDraft {
  displayName: string;
  description: string;
  /** How the partner is recognized: by email domain, or by Entra tenant id. */
  sourceKind: 'domain' | 'tenant';
  source: string;
}

export function validateOrganization(draft: OrganizationDraft): FormProblems {
  const problems: FormProblems = {};
  name(draft.displayName, problems);
  text(draft.description, problems);
  const source = draft.source.trim();
  if (!source) problems.source = 'required';
  else if (draft.sourceKind === 'domain' && !domain.test(source)) problems.source = 'invalidDomain';
  else if (draft.sourceKind === 'tenant' && !guid.test(source)) problems.source = 'invalidTenantId';
  return problems;
}

/** The `identitySources` of a valid organization draft. */
export function identitySources(draft: OrganizationDraft): Array<Record<string, string>> {
  const source = draft.source.trim();
  return draft.sourceKind === 'domain'
    ? [{ '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: source.toLowerCase(), displayName: source.toLowerCase() }]
    : [{ '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId: source.toLowerCase(), displayName: draft.displayName.trim() }];
}

export interface CatalogDraft {
  displayName: string;
  description: string;
  enabled: boolean;
  externallyVisible: boolean;
}

export function validateCatalog(draft: CatalogDraft): FormProblems {
  const problems: FormProblems = {};
  name(draft.displayName, problems);
  text(draft.description, problems);
  return problems;
}

export interface PackageDraft {
  displayName: string;
  description: string;
  catalogId: string;
  hidden: boolean;
}

export function validatePackage(draft: PackageDraft): FormProblems {
  const problems: FormProblems = {};
  name(draft.displayName, problems);
  text(draft.description, problems);
  if (!draft.catalogId) problems.catalogId = 'pickCatalog';
  return problems;
}

export interface SettingsDraft {
  action: 'none' | 'blockSignIn' | 'blockSignInAndDelete';
  deleteAfterDays: string;
}

export function validateSettings(draft: SettingsDraft): FormProblems {
  const problems: FormProblems = {};
  if (draft.action === 'blockSignInAndDelete') {
    const days = Number(draft.deleteAfterDays);
    if (!draft.deleteAfterDays.trim() || !Number.isInteger(days) || days < 1) problems.deleteAfterDays = 'positiveWholeNumber';
  }
  return problems;
}

/** Whole days of an ISO 8601 duration such as `P30D` (undefined for other forms). */
export function durationDays(duration: string | null | undefined): number | undefined {
  const match = /^P(\d+)D$/.exec(duration ?? '');
  return match ? Number(match[1]) : undefined;
}

/** The direct link of an access package, which partners open to request it (hidden ones too). */
export function directLink(publicUrl: string, accessPackageId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/#/access-packages/${encodeURIComponent(accessPackageId)}`;
}

/** The Extranet tab's query (`#/extranet/…?groupId=…`): the team the tab was configured for. */
export function groupIdFromHash(hash: string): string | undefined {
  const query = hash.split('?')[1];
  if (!query) return undefined;
  const value = new URLSearchParams(query).get('groupId') ?? undefined;
  return value && guid.test(value) ? value : undefined;
}

/**
 * What the configuration page saves with `pages.config.setConfig`: the tab's content (and website)
 * URL carries the team's group id, and its entity id names the team, so one team has one Extranet tab
 * identity however often it is added.
 */
export function extranetTabConfig(origin: string, groupId: string, displayName: string) {
  const contentUrl = `${origin.replace(/\/+$/, '')}/#/extranet?groupId=${encodeURIComponent(groupId)}`;
  return { entityId: `portier-extranet-${groupId}`, contentUrl, websiteUrl: contentUrl, suggestedDisplayName: displayName };
}
