import type { Client } from '@microsoft/microsoft-graph-client';
import { em, graphErrorStatus, Page } from '../app/graph';
import type { AccessPackage, Requirements } from './model';
import { isChoiceQuestion } from './requestForm';

/**
 * The Graph calls of the personal tab's first pages, apart from their components so the app can
 * start them at sign-in (`startFirstLoads` in firstPage.ts) and the page take them when it renders.
 */

export const catalogPageSize = 25;

/** OData string literal: single quotes doubled. */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The early-load key of the catalog's first page for `search`. */
export const catalogKey = (search: string) => `catalog:${search}`;

/**
 * Packages I may request (`filterByCurrentUser(on='allowedRequestor')`), the first page of 25 with
 * `$select` and `$count`, searched by name on the server.
 */
export function catalogFirstPage(graph: Client, search: string): Promise<Page<AccessPackage>> {
  let request = graph
    .api(`${em}/accessPackages/filterByCurrentUser(on='allowedRequestor')`)
    .select(['id', 'displayName', 'description'])
    .orderby('displayName')
    .top(catalogPageSize)
    .count(true);
  if (search) request = request.filter(`contains(tolower(displayName),${literal(search.toLowerCase())})`);
  return request.get() as Promise<Page<AccessPackage>>;
}

export type PackagePageData = { kind: 'notForYou' } | { kind: 'ok'; accessPackage: AccessPackage; requirements: Requirements[] };

/** The early-load key of package `id`'s page. */
export const packageKey = (id: string) => `package:${id}`;

/**
 * The package page's two calls, at once: the package with the roles it grants, and what the caller
 * must provide to request it. A package the caller may not see (404, or 403) is "not for you".
 */
export async function packagePageData(graph: Client, id: string): Promise<PackagePageData> {
  try {
    const [accessPackage, requirements] = await Promise.all([
      graph.api(`${em}/accessPackages/${encodeURIComponent(id)}`).expand('resourceRoleScopes($expand=role,scope)').get() as Promise<AccessPackage>,
      graph.api(`${em}/accessPackages/${encodeURIComponent(id)}/getApplicablePolicyRequirements`).post({}) as Promise<{ value: Requirements[] }>,
    ]);
    // A policy with choice questions needs the choice controls: their code loads beside the page's.
    if (requirements.value.some((r) => r.questions?.some(isChoiceQuestion))) wantChoiceControls();
    return { kind: 'ok', accessPackage, requirements: requirements.value };
  } catch (error) {
    if (graphErrorStatus(error) === 404 || graphErrorStatus(error) === 403) return { kind: 'notForYou' };
    throw error;
  }
}

/**
 * The choice-question controls (radio buttons, checkboxes, a dropdown) load only for a policy that
 * asks choices, beside the package page's code. The package page's data may come before that code
 * (at sign-in), so it asks here, and the package page, once loaded, provides the loader.
 */
let choicesWanted = false;
let loadChoices: (() => void) | undefined;

/** The package page's data asks choices: load their controls (now, or once the page's code is there). */
function wantChoiceControls(): void {
  if (loadChoices) loadChoices();
  else choicesWanted = true;
}

/** Called by the package page's code: how to load the choice controls. */
export function provideChoiceControls(load: () => void): void {
  loadChoices = load;
  if (choicesWanted) load();
}
