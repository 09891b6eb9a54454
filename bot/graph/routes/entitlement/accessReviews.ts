import { sql } from 'kysely';
import type { SubjectSetRef } from '../../../commands/approvals/resolveApprovers';
import {
  decisionsReviewedBy,
  definitionsReviewedBy,
  instancesReviewedBy,
  loadVisibleDefinition,
  loadVisibleInstance,
} from '../../../commands/reviews/loadReview';
import { readScopes } from '../../../policies/visibility';
import { recordDecision } from '../../../commands/reviews/recordDecision';
import { durationToMilliseconds } from '../../../commands/policies/durations';
import { defaultReviewDuration, type ReviewSettings } from '../../../commands/reviews/schedule';
import { recordDecisionBody } from '../../../commands/reviews/schemas';
import { recommendationLookBackMs } from '../../../commands/reviews/startReview';
import { NotFoundError, ValidationError } from '../../../domain/errors';
import type { AccessReviewDefinitionsTable } from '../../../store/schema';
import { getEntity, listCollection, type Scope } from '../../odata/engine';
import { registerEntity, type EntityDef, type PropDef } from '../../odata/model';
import { GraphRequest, GraphResponse, GraphRouter, noContent, ok } from '../../router';
import { parseBody } from '../../validate';
import { where } from '../helpers';

/**
 * Access reviews of access package assignments (`/identityGovernance/accessReviews/definitions…`),
 * after Graph v1.0's accessReviewScheduleDefinition, accessReviewInstance and
 * accessReviewInstanceDecisionItem. Portier creates the definitions from policies' reviewSettings
 * (bot/commands/reviews); clients read them and reviewers PATCH their decisions. Administrators and
 * catalog roles read everything of their catalogs; reviewers what they review, and only their own
 * decisions.
 */
const definitions = 'identityGovernance/accessReviews/definitions';
const graph = '#microsoft.graph.';

const text: PropDef = { kind: 'string' };
const dateTime: PropDef = { kind: 'datetime' };
const json: PropDef = { kind: 'json' };

/** Graph shows "nobody" as an identity with the empty GUID. */
const emptyIdentity = { id: '00000000-0000-0000-0000-000000000000', displayName: '', userPrincipalName: '' };
const day = 24 * 3600 * 1000;

/** `accessReviewReviewerScope`s of a policy's reviewers, as Entra writes them for access package reviews. */
function reviewerScopes(sets: readonly SubjectSetRef[] | undefined): unknown[] {
  return (sets ?? []).map((set) => {
    const scope = (query: string, queryRoot: string | null = null) => ({ '@odata.type': `${graph}accessReviewReviewerScope`, query, queryType: 'MicrosoftGraph', queryRoot });
    switch (set['@odata.type']) {
      case `${graph}singleUser`:
        return scope(`/users/${set.userId}`);
      case `${graph}groupMembers`:
        return scope(`/groups/${set.groupId}/transitiveMembers`);
      case `${graph}requestorManager`:
        return scope((set.managerLevel ?? 1) > 1 ? './manager/manager' : './manager', 'decisions');
      case `${graph}internalSponsors`:
        return scope('./connectedOrganization/internalSponsors', 'decisions');
      case `${graph}externalSponsors`:
        return scope('./connectedOrganization/externalSponsors', 'decisions');
      default:
        return scope('./sponsors', 'decisions');
    }
  });
}

function parsedSettings(row: Record<string, unknown>): ReviewSettings | null {
  return typeof row.settings === 'string' ? (JSON.parse(row.settings) as ReviewSettings) : null;
}

/** What a definition reviews: the policy's assignments, as an `accessReviewQueryScope`. */
function reviewScope(row: Record<string, unknown>): unknown {
  if (typeof row.accessPackageId !== 'string') return null;
  return {
    '@odata.type': `${graph}accessReviewQueryScope`,
    query: `/identityGovernance/entitlementManagement/assignments?$filter=accessPackage/id eq '${row.accessPackageId}' and assignmentPolicy/id eq '${row.assignmentPolicyId}'`,
    queryType: 'MicrosoftGraph',
    queryRoot: null,
  };
}

/** `accessReviewScheduleSettings` from the policy's `accessPackageAssignmentReviewSettings`. */
function scheduleSettings(settings: ReviewSettings | null): unknown {
  if (!settings) return null;
  const expiration = settings.schedule?.expiration;
  const durationMs = durationToMilliseconds(expiration?.type === 'afterDuration' && expiration.duration ? expiration.duration : defaultReviewDuration);
  const startDate = settings.schedule?.startDateTime?.slice(0, 10) ?? null;
  const recurrence = settings.schedule?.recurrence;
  return {
    mailNotificationsEnabled: true,
    reminderNotificationsEnabled: false,
    justificationRequiredOnApproval: settings.isReviewerJustificationRequired,
    // keepAccess: no default decision; removeAccess: Deny; acceptAccessRecommendation: the recommendation.
    defaultDecisionEnabled: settings.expirationBehavior !== 'keepAccess',
    defaultDecision: settings.expirationBehavior === 'removeAccess' ? 'Deny' : settings.expirationBehavior === 'acceptAccessRecommendation' ? 'Recommendation' : 'None',
    instanceDurationInDays: Math.max(1, Math.ceil(durationMs / day)),
    recurrence: recurrence ? { ...recurrence, range: { ...recurrence.range, startDate: recurrence.range.startDate ?? startDate } } : null,
    autoApplyDecisionsEnabled: true,
    applyActions: [{ '@odata.type': `${graph}removeAccessApplyAction` }],
    recommendationsEnabled: settings.isRecommendationEnabled,
    recommendationLookBackDuration: `P${recommendationLookBackMs / day}D`,
    decisionHistoriesForReviewersEnabled: false,
    recommendationInsightSettings: [],
  };
}

export const accessReviewScheduleDefinition: EntityDef = registerEntity({
  type: 'accessReviewScheduleDefinition',
  table: 'access_review_definitions',
  props: { id: text, displayName: text, createdDateTime: dateTime, lastModifiedDateTime: dateTime, status: text, descriptionForAdmins: text },
  navs: { instances: { kind: 'many', target: 'accessReviewInstance', foreignKey: 'definitionId' } },
  computed: (row) => {
    const settings = parsedSettings(row);
    return {
      descriptionForReviewers: typeof row.displayName === 'string' ? `Review who still needs access package '${row.displayName}'.` : null,
      createdBy: { id: emptyIdentity.id, displayName: 'Entitlement Management', userPrincipalName: '' },
      scope: reviewScope(row),
      instanceEnumerationScope: null,
      // A self-review has no reviewers, as in Graph.
      reviewers: reviewerScopes(settings?.primaryReviewers as SubjectSetRef[] | undefined),
      fallbackReviewers: reviewerScopes(settings?.fallbackReviewers as SubjectSetRef[] | undefined),
      settings: scheduleSettings(settings),
      additionalNotificationRecipients: [],
    };
  },
});

/** Instances show their definition's scope and reviewers, filled in by `withDefinition`. */
export const accessReviewInstance: EntityDef = registerEntity({
  type: 'accessReviewInstance',
  table: 'access_review_instances',
  props: { id: text, startDateTime: dateTime, endDateTime: dateTime, status: text },
  navs: { decisions: { kind: 'many', target: 'accessReviewInstanceDecisionItem', foreignKey: 'instanceId' } },
  computed: () => ({ scope: null, reviewers: null, fallbackReviewers: null }),
  // Reviews of access packages have one stage; Graph lists stages only for multi-stage reviews.
  derivedNavs: { stages: () => [] },
});

function identityOrEmpty(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : emptyIdentity;
}

export const accessReviewInstanceDecisionItem: EntityDef = registerEntity({
  type: 'accessReviewInstanceDecisionItem',
  table: 'access_review_decisions',
  props: {
    id: text,
    decision: { kind: 'enum', values: ['Approve', 'Deny', 'NotReviewed', 'DontKnow'] },
    recommendation: text,
    justification: text,
    reviewedDateTime: dateTime,
    appliedDateTime: dateTime,
    applyResult: text,
    principal: json,
    resource: json,
  },
  navs: {},
  pathColumns: {
    'principal/id': { column: 'principalId', kind: 'string' },
    'reviewedBy/id': { column: 'reviewedById', kind: 'string' },
  },
  computed: (row) => {
    const resource = typeof row.resource === 'string' ? (JSON.parse(row.resource) as { id?: string }) : null;
    return {
      accessReviewId: row.instanceId ?? null,
      reviewedBy: identityOrEmpty(row.reviewedBy),
      appliedBy: identityOrEmpty(row.appliedBy),
      // Relative here; made absolute against the service root the client called (`absoluteLinks`).
      principalLink: typeof row.principalId === 'string' ? `/users/${row.principalId}` : null,
      resourceLink: resource?.id ? `/identityGovernance/entitlementManagement/accessPackages/${resource.id}` : null,
    };
  },
});

/** Both conditions (either may be absent). */
function both(a: Scope | undefined, b: Scope | undefined): Scope | undefined {
  if (!a) return b;
  if (!b) return a;
  return (alias) => sql`(${a(alias)}) and (${b(alias)})`;
}

type Post = (value: Record<string, unknown>) => void | Promise<void>;

async function list(req: GraphRequest, type: EntityDef, contextPath: string, scope: Scope | undefined, post: Post = () => undefined): Promise<GraphResponse> {
  const page = await listCollection(req.ctx.db, { entity: type, options: req.options, scope, visibility: readScopes(req.ctx), context: `${req.serviceRoot}/$metadata#${contextPath}`, requestUrl: req.url });
  for (const value of page.value) await post(value);
  return ok(page);
}

async function one(req: GraphRequest, type: EntityDef, id: string, contextPath: string, scope: Scope | undefined, post: Post = () => undefined): Promise<GraphResponse> {
  const value = await getEntity(req.ctx.db, type, id, req.options, readScopes(req.ctx), scope);
  if (!value) throw new NotFoundError(`No ${type.type} with id '${id}' was found.`);
  await post(value);
  return ok({ '@odata.context': `${req.serviceRoot}/$metadata#${contextPath}/$entity`, ...value });
}

function absoluteLinks(serviceRoot: string): (value: Record<string, unknown>) => void {
  return (value) => {
    for (const key of ['principalLink', 'resourceLink']) {
      const link = value[key];
      if (typeof link === 'string' && link.startsWith('/')) value[key] = `${serviceRoot}${link}`;
    }
  };
}

/**
 * Fills an instance's scope and reviewers from its definition (only those the client asked for),
 * and makes the links of its expanded decisions absolute.
 */
function withDefinition(definition: AccessReviewDefinitionsTable, serviceRoot: string): (value: Record<string, unknown>) => void {
  const computed = accessReviewScheduleDefinition.computed?.(definition as unknown as Record<string, unknown>) ?? {};
  const links = absoluteLinks(serviceRoot);
  return (value) => {
    for (const key of ['scope', 'reviewers', 'fallbackReviewers']) if (key in value) value[key] = computed[key];
    if (Array.isArray(value.decisions)) (value.decisions as Array<Record<string, unknown>>).forEach(links);
  };
}

/** For definitions: their expanded instances are filled in from the definition (see `withDefinition`). */
function expandedInstances(req: GraphRequest): Post {
  return async (value) => {
    if (!Array.isArray(value.instances) || value.instances.length === 0) return;
    const definition = await req.ctx.db.selectFrom('access_review_definitions').selectAll().where('id', '=', String(value.id)).executeTakeFirstOrThrow();
    (value.instances as Array<Record<string, unknown>>).forEach(withDefinition(definition, req.serviceRoot));
  };
}

/** `filterByCurrentUser(on='reviewer')`: the only option Graph has for access reviews. */
function requireReviewerOption(req: GraphRequest): void {
  const on = req.functionArgs.on;
  if (on !== 'reviewer') throw new ValidationError(`Invalid value '${on ?? ''}' for parameter 'on' of filterByCurrentUser; expected 'reviewer'.`, 'on');
}

const instancesContext = (definitionId: string) => `${definitions}('${definitionId}')/instances`;
const decisionsContext = (definitionId: string, instanceId: string) => `${instancesContext(definitionId)}('${instanceId}')/decisions`;

export function registerAccessReviews(router: GraphRouter): void {
  router
    .add('GET', definitions, (req) => list(req, accessReviewScheduleDefinition, definitions, undefined, expandedInstances(req)))
    .add('GET', `${definitions}/filterByCurrentUser()`, (req) => {
      requireReviewerOption(req);
      return list(req, accessReviewScheduleDefinition, `Collection(microsoft.graph.${accessReviewScheduleDefinition.type})`, definitionsReviewedBy(req.ctx.principal), expandedInstances(req));
    })
    // The caller's visibility is a SQL scope (bot/policies/visibility.ts): an invisible definition is simply not found.
    .add('GET', `${definitions}/{id}`, (req) => one(req, accessReviewScheduleDefinition, req.params.id, definitions, undefined, expandedInstances(req)));

  router
    .add('GET', `${definitions}/{id}/instances`, async (req) => {
      const definition = await loadVisibleDefinition(req.ctx, req.params.id);
      return list(req, accessReviewInstance, instancesContext(definition.id), where('definitionId', definition.id), withDefinition(definition, req.serviceRoot));
    })
    .add('GET', `${definitions}/{id}/instances/filterByCurrentUser()`, async (req) => {
      requireReviewerOption(req);
      const definition = await loadVisibleDefinition(req.ctx, req.params.id);
      return list(req, accessReviewInstance, `Collection(microsoft.graph.${accessReviewInstance.type})`, both(where('definitionId', definition.id), instancesReviewedBy(req.ctx.principal)), withDefinition(definition, req.serviceRoot));
    })
    .add('GET', `${definitions}/{id}/instances/{instanceId}`, async (req) => {
      const definition = await loadVisibleDefinition(req.ctx, req.params.id);
      return one(req, accessReviewInstance, req.params.instanceId, instancesContext(definition.id), where('definitionId', definition.id), withDefinition(definition, req.serviceRoot));
    });

  router
    .add('GET', `${definitions}/{id}/instances/{instanceId}/decisions`, async (req) => {
      const definition = await loadVisibleDefinition(req.ctx, req.params.id);
      const instance = await loadVisibleInstance(req.ctx, definition, req.params.instanceId);
      return list(req, accessReviewInstanceDecisionItem, decisionsContext(definition.id, instance.id), where('instanceId', instance.id), absoluteLinks(req.serviceRoot));
    })
    .add('GET', `${definitions}/{id}/instances/{instanceId}/decisions/filterByCurrentUser()`, async (req) => {
      requireReviewerOption(req);
      const definition = await loadVisibleDefinition(req.ctx, req.params.id);
      const instance = await loadVisibleInstance(req.ctx, definition, req.params.instanceId);
      return list(req, accessReviewInstanceDecisionItem, `Collection(microsoft.graph.${accessReviewInstanceDecisionItem.type})`, both(where('instanceId', instance.id), decisionsReviewedBy(req.ctx.principal)), absoluteLinks(req.serviceRoot));
    })
    .add('GET', `${definitions}/{id}/instances/{instanceId}/decisions/{decisionId}`, async (req) => {
      const definition = await loadVisibleDefinition(req.ctx, req.params.id);
      const instance = await loadVisibleInstance(req.ctx, definition, req.params.instanceId);
      return one(req, accessReviewInstanceDecisionItem, req.params.decisionId, decisionsContext(definition.id, instance.id), where('instanceId', instance.id), absoluteLinks(req.serviceRoot));
    })
    .add('PATCH', `${definitions}/{id}/instances/{instanceId}/decisions/{decisionId}`, async (req) => {
      await recordDecision(req.ctx, req.params.id, req.params.instanceId, req.params.decisionId, parseBody(recordDecisionBody, req.body, 'accessReviewInstanceDecisionItem'));
      return noContent();
    });
}
