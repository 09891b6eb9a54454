import { CommandContext, inTransaction, newId, Tx } from '../../context';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../domain/errors';
import { emit } from '../../events/emit';
import { eventTypes } from '../../events/types';
import { scheduleTimer } from '../../jobs/timers';
import { authorize, can } from '../../policies';
import { readScopes } from '../../policies/visibility';
import { insertRows, prepared } from '../../store/prepared';
import type { AccessPackagesTable, AssignmentPoliciesTable, AssignmentRequestsTable, CatalogsTable, ConnectedOrganizationsTable, SubjectsTable } from '../../store/schema';
import { checkRequestedSchedule, type Expiration } from '../assignments/schedule';
import { writeAudit } from '../audit';
import { emailDomain, matchConnectedOrganization } from '../connectedOrganizations/matchConnectedOrganization';
import { isUniqueViolation } from '../directory/loadDirectory';
import type { Question } from '../policies/schemas';
import { catalogOpenTo, groupsOf, policyCovers, requestablePolicies } from './applicablePolicies';
import type { CreateAssignmentRequestInput } from './schemas';
import { ensureSubject, Requester, requesterOfEmail, requesterOfPrincipal, requesterOfUser } from './subjects';
import { validateAnswers } from './validateAnswers';

export const processRequestTimer = 'request.process';

/** Request states in which a request is still open (it holds the package|target open key). */
export const openRequestStates = ['submitted', 'pendingApproval', 'delivering', 'scheduled', 'deliveryFailed'] as const;

/**
 * `userAdd` (a person asks for a package for themselves) and `adminAdd` (a catalog owner, package
 * manager or assignment manager assigns someone, also an email address not in the directory yet).
 * Every rule is checked before anything is written; the request is stored `submitted` with its event
 * and a processing timer due now, and processing (approvals or delivery) follows after the commit.
 */
export async function submitAddRequest(ctx: CommandContext, input: CreateAssignmentRequestInput): Promise<AssignmentRequestsTable> {
  const p = ctx.principal;
  if (p.userType === 'System') throw new ForbiddenError();
  const packageId = input.assignment.accessPackageId;
  if (!packageId) throw new ValidationError("Property 'assignment.accessPackageId' is required.", 'assignment.accessPackageId');
  const isAdmin = input.requestType === 'adminAdd';
  const now = ctx.clock.now();

  // A package the caller may not read is answered exactly like an unknown one (no 403 naming it).
  const found = await packageWithCatalog.first(ctx.db, { id: packageId });
  if (!found) throw accessPackageNotFound(packageId);
  const { catalogRowId, catalogState, catalogIsExternallyVisible, ...accessPackage } = found;
  const catalog: RequestCatalog | undefined = catalogRowId !== null && catalogState !== null && catalogIsExternallyVisible !== null ? { id: catalogRowId, state: catalogState, isExternallyVisible: catalogIsExternallyVisible } : undefined;

  let requester: Requester;
  let policy: AssignmentPoliciesTable;
  if (isAdmin) {
    if (!catalog || !(await readScopes(ctx).isReadable('accessPackage', packageId))) throw accessPackageNotFound(packageId);
    authorize(p, 'assignment.manage', { catalogId: catalog.id });
    requester = await adminTarget(ctx, input);
    policy = await adminPolicy(ctx, input, accessPackage, requester);
  } else {
    requester = await requesterOfPrincipal(ctx.db, p);
    // A package someone may request through a policy is one they may read (its direct link,
    // bot/policies/visibility.ts): the read rule's query is needed only when no policy lets them.
    const candidates = catalog && catalogOpenTo(catalog, requester) ? await requestablePolicies(ctx.db, requester, accessPackage.id) : [];
    if (candidates.length === 0 && !(await readScopes(ctx).isReadable('accessPackage', packageId))) throw accessPackageNotFound(packageId);
    if (!catalog) throw accessPackageNotFound(packageId);
    if (input.assignment.targetId && input.assignment.targetId !== p.userId) {
      throw new ForbiddenError("A 'userAdd' request is for the caller; use 'adminAdd' to assign someone else.", 'RequestorNotAllowed');
    }
    if (input.assignment.target) throw new ValidationError("Property 'assignment.target' is only allowed in an 'adminAdd' request.", 'assignment.target');
    policy = await requestorPolicy(ctx, input, accessPackage, catalog, requester, candidates);
  }

  const approval = JSON.parse(policy.requestApprovalSettings) as { isApprovalRequiredForAdd: boolean; isRequestorJustificationRequired: boolean; stages: unknown[] };
  const requestorSettings = JSON.parse(policy.requestorSettings) as { allowCustomAssignmentSchedule: boolean };
  const justification = input.justification?.trim() || null;
  if (!isAdmin && approval.isRequestorJustificationRequired && !justification) {
    throw new ValidationError("Property 'justification' is required: this access package's policy asks requestors to justify their request.", 'justification');
  }
  const answers = validateAnswers(JSON.parse(policy.questions) as Question[], input.answers, { requireAll: !isAdmin });
  const schedule = checkRequestedSchedule(input.schedule ?? input.assignment.schedule, JSON.parse(policy.expiration) as Expiration, { mayChoose: isAdmin || requestorSettings.allowCustomAssignmentSchedule, now, startsWhenApplied: false });
  const needsApproval = !isAdmin && approval.isApprovalRequiredForAdd && approval.stages.length > 0;

  const request = await inTransaction(ctx, async (tx) => {
    if (requester.kind !== 'member' && !requester.organization && policy.allowedTargetScope === 'allExternalUsers') {
      requester = { ...requester, organization: await proposeOrganization(tx, ctx, requester) };
    }
    const target = await ensureSubject(tx, requester, now);
    const creator = isAdmin ? await ensureSubject(tx, await requesterOfPrincipal(tx, p), now) : target;
    await checkTargetMayHavePackage(tx, ctx, accessPackage, target);
    const row: AssignmentRequestsTable = {
      id: newId(),
      requestType: input.requestType,
      state: 'submitted',
      status: 'Accepted',
      accessPackageId: accessPackage.id,
      assignmentPolicyId: policy.id,
      catalogId: catalog.id,
      assignmentId: null,
      targetId: target.id,
      requestorId: creator.id,
      justification,
      answers: JSON.stringify(answers),
      schedule: JSON.stringify(schedule),
      createdDateTime: now.toISOString(),
      completedDateTime: null,
      currentStage: null,
      stageCount: needsApproval ? approval.stages.length : 0,
      resultReason: null,
      openKey: `${accessPackage.id}|${target.id}`,
    };
    try {
      await insertRows(tx, 'assignment_requests', [row]);
    } catch (error) {
      if (isUniqueViolation(error)) throw pendingRequestError(accessPackage);
      throw error;
    }
    await emit(tx, ctx, eventTypes.requestSubmitted, row.id, { requestId: row.id, accessPackageId: accessPackage.id, targetId: target.id, requestorId: creator.id, requestType: row.requestType });
    await scheduleTimer(tx, { kind: processRequestTimer, subjectId: row.id, dueAt: now }, now);
    await writeAudit(tx, ctx, {
      activityDisplayName: isAdmin ? 'Create access package assignment request (admin)' : 'User requests access package assignment',
      operationType: 'Add',
      targets: [
        { id: row.id, displayName: null, type: 'AccessPackageAssignmentRequest' },
        { id: accessPackage.id, displayName: accessPackage.displayName, type: 'AccessPackage' },
        { id: target.objectId ?? target.id, displayName: target.displayName, type: target.objectId ? 'User' : 'AccessPackageSubject' },
      ],
      details: { requestType: row.requestType, justification, policyId: policy.id },
    });
    return row;
  });
  ctx.wake();
  return request;
}

function pendingRequestError(accessPackage: AccessPackagesTable): ConflictError {
  return new ConflictError(`There is already an open request for '${accessPackage.displayName}' for this user; wait for it or cancel it.`, 'PendingRequestExists');
}

/** The person an `adminAdd` is for: a directory user by id, or an address (a user with that mail, or someone new). */
async function adminTarget(ctx: CommandContext, input: CreateAssignmentRequestInput): Promise<Requester> {
  const { targetId, target } = input.assignment;
  if (targetId && target) throw new ValidationError("Give either 'assignment.targetId' or 'assignment.target', not both.", 'assignment.target');
  const objectId = targetId ?? target?.objectId;
  if (objectId) {
    const user = await ctx.db.selectFrom('users').selectAll().where('id', '=', objectId).executeTakeFirst();
    if (!user) throw new NotFoundError(`No user with id '${objectId}' was found.`);
    return requesterOfUser(ctx.db, user);
  }
  if (!target) throw new ValidationError("Property 'assignment.targetId' (or 'assignment.target.email') is required in an 'adminAdd' request.", 'assignment.targetId');
  const user = await ctx.db.selectFrom('users').selectAll().where('mailLower', '=', target.email).executeTakeFirst();
  if (user) return requesterOfUser(ctx.db, user);
  const home = await ctx.db.selectFrom('tenants').select('domains').where('isHome', '=', 1).executeTakeFirstOrThrow();
  if ((JSON.parse(home.domains) as string[]).some((d) => d.toLowerCase() === emailDomain(target.email))) {
    throw new NotFoundError(`'${target.email}' belongs to this directory's own domain but no such user exists.`);
  }
  return requesterOfEmail(ctx.db, target.email, target.displayName ?? null);
}

/** An administrator names the policy; the target must be one it allows (or it is a direct-assignment policy). */
async function adminPolicy(ctx: CommandContext, input: CreateAssignmentRequestInput, accessPackage: AccessPackagesTable, target: Requester): Promise<AssignmentPoliciesTable> {
  const policyId = input.assignment.assignmentPolicyId;
  if (!policyId) throw new ValidationError("Property 'assignment.assignmentPolicyId' is required in an 'adminAdd' request.", 'assignment.assignmentPolicyId');
  const policy = await ctx.db.selectFrom('assignment_policies').selectAll().where('id', '=', policyId).where('accessPackageId', '=', accessPackage.id).executeTakeFirst();
  if (!policy) throw new NotFoundError(`Access package '${accessPackage.displayName}' has no policy '${policyId}'.`);
  const direct = policy.allowedTargetScope === 'notSpecified' && target.kind !== 'external';
  const covered = direct || policyCovers(policy, target, await groupsOf(ctx.db, target.userId)) || (policy.allowedTargetScope === 'allExternalUsers' && target.kind === 'external');
  if (!covered) {
    throw new ForbiddenError(`'${target.email ?? target.displayName}' is not in the scope of policy '${policy.displayName}' (${policy.allowedTargetScope}).`, 'TargetNotInPolicyScope');
  }
  return policy;
}

/** The policy a requestor's request goes through: the one they named, if it lets them, or the most specific that does (`policies`: those that let them, most specific first). */
async function requestorPolicy(
  ctx: CommandContext,
  input: CreateAssignmentRequestInput,
  accessPackage: AccessPackagesTable,
  catalog: RequestCatalog,
  r: Requester,
  policies: readonly AssignmentPoliciesTable[],
): Promise<AssignmentPoliciesTable> {
  if (!catalogOpenTo(catalog, r)) {
    const why = catalog.state !== 'published' ? 'its catalog is not enabled' : 'its catalog is not enabled for external users';
    throw new ForbiddenError(`Access package '${accessPackage.displayName}' cannot be requested: ${why}.`, 'CatalogNotAvailable');
  }
  const named = input.assignment.assignmentPolicyId;
  if (named) {
    const match = policies.find((candidate) => candidate.id === named);
    if (match) return match;
    const exists = await ctx.db.selectFrom('assignment_policies').select('id').where('id', '=', named).where('accessPackageId', '=', accessPackage.id).executeTakeFirst();
    if (!exists) throw new NotFoundError(`Access package '${accessPackage.displayName}' has no policy '${named}'.`);
  }
  if (!named && policies[0]) return policies[0];
  const who = r.kind === 'member' ? 'You are' : r.organization ? `Users of '${r.organization.displayName}' are` : 'Users of your organization are';
  throw new ForbiddenError(`${who} not allowed to request access package '${accessPackage.displayName}'${named ? ' through this policy' : ''}.`, 'RequestorNotInScope');
}

/** No second active assignment of the package, and nothing incompatible with it. */
async function checkTargetMayHavePackage(tx: Tx, ctx: CommandContext, accessPackage: AccessPackagesTable, target: SubjectsTable): Promise<void> {
  // One query for both: the target's active assignments of this package (at most one: `activeKey`) or of an incompatible one.
  const held = await heldConflicting.all(tx, { targetId: target.id, packageId: accessPackage.id });
  const active = held.find((a) => a.id === accessPackage.id);
  if (active) throw new ConflictError(`This user already has access package '${accessPackage.displayName}' (assignment ${active.assignmentId}).`, 'ActiveAssignmentExists');
  const incompatible = held[0];
  if (incompatible) {
    // An administrator assigning someone may not be able to read the other package (another catalog): it stays unnamed then.
    const other = (await readScopes({ db: tx, principal: ctx.principal }).isReadable('accessPackage', incompatible.id)) ? `'${incompatible.displayName}'` : 'another access package';
    throw new ForbiddenError(`Access package '${accessPackage.displayName}' is incompatible with ${other}, which this user already has.`, 'IncompatibleAccessPackage');
  }
  if (target.objectId) {
    const group = await incompatibleGroup.first(tx, { packageId: accessPackage.id, userId: target.objectId });
    if (group) throw new ForbiddenError(`Access package '${accessPackage.displayName}' is incompatible with membership of group '${group.displayName}'.`, 'IncompatibleGroup');
  }
}

/** What a request needs of the package's catalog. */
type RequestCatalog = Pick<CatalogsTable, 'id' | 'state' | 'isExternallyVisible'>;
/** The package, and what a request needs of its catalog, in one query (a left join: a package without its catalog is not found). */
const packageWithCatalog = prepared((db, p: { id: string }) =>
  db
    .selectFrom('access_packages as ap')
    .leftJoin('catalogs as c', 'c.id', 'ap.catalogId')
    .selectAll('ap')
    .select(['c.id as catalogRowId', 'c.state as catalogState', 'c.isExternallyVisible as catalogIsExternallyVisible'])
    .where('ap.id', '=', p.id),
);
/** The target's active assignments of this package or of one incompatible with it (either way round). */
const heldConflicting = prepared((db, p: { targetId: string; packageId: string }) =>
  db
    .selectFrom('assignments as a')
    .innerJoin('access_packages as other', 'other.id', 'a.accessPackageId')
    .select(['other.id', 'other.displayName', 'a.id as assignmentId'])
    .where('a.targetId', '=', p.targetId)
    .where('a.activeKey', 'is not', null)
    .where((eb) =>
      eb.or([
        eb('a.accessPackageId', '=', p.packageId),
        eb('a.accessPackageId', 'in', eb.selectFrom('incompatible_access_packages').select('incompatibleAccessPackageId').where('accessPackageId', '=', p.packageId)),
        eb('a.accessPackageId', 'in', eb.selectFrom('incompatible_access_packages').select('accessPackageId').where('incompatibleAccessPackageId', '=', p.packageId)),
      ]),
    ),
);
const incompatibleGroup = prepared((db, p: { packageId: string; userId: string }) =>
  db
    .selectFrom('incompatible_groups as i')
    .innerJoin('group_members as m', 'm.groupId', 'i.groupId')
    .innerJoin('groups as g', 'g.id', 'i.groupId')
    .select('g.displayName')
    .where('i.accessPackageId', '=', p.packageId)
    .where('m.memberId', '=', p.userId),
);

/**
 * `allExternalUsers` lets anyone from outside request; a partner whose organization is unknown gets
 * a `proposed` connected organization (by tenant, and by domain), like Entra.
 */
async function proposeOrganization(tx: Tx, ctx: CommandContext, r: Requester): Promise<ConnectedOrganizationsTable> {
  // Someone of the same organization may have proposed it since `r` was read.
  const earlier = await matchConnectedOrganization(tx, { tenantId: r.tenantId, email: r.email });
  if (earlier) return earlier;
  const domain = emailDomain(r.email);
  const now = ctx.clock.now().toISOString();
  const sources = [
    ...(r.tenantId ? [{ '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId: r.tenantId, displayName: domain ?? r.tenantId }] : []),
    ...(domain ? [{ '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: domain, displayName: domain }] : []),
  ];
  const row = {
    id: newId(),
    displayName: domain ?? r.tenantId ?? 'Unknown organization',
    description: `Proposed when ${r.email ?? r.principalName ?? 'a partner user'} requested access.`,
    state: 'proposed',
    identitySources: JSON.stringify(sources),
    createdBy: 'Entitlement Management',
    createdDateTime: now,
    modifiedDateTime: now,
  };
  await tx.insertInto('connected_organizations').values(row).execute();
  const keys = [...(r.tenantId ? [{ kind: 'tenant' as const, value: r.tenantId.toLowerCase() }] : []), ...(domain ? [{ kind: 'domain' as const, value: domain }] : [])];
  let claimed = 0;
  for (const key of keys) {
    const inserted = await tx.insertInto('connected_organization_sources').values({ connectedOrganizationId: row.id, ...key }).onConflict((oc) => oc.doNothing()).executeTakeFirst();
    claimed += Number(inserted.numInsertedOrUpdatedRows ?? 0);
  }
  if (claimed < keys.length) {
    // A concurrent first request proposed it (the source keys are unique; PostgreSQL made this
    // insert wait for it to commit): take theirs and drop ours.
    await tx.deleteFrom('connected_organization_sources').where('connectedOrganizationId', '=', row.id).execute();
    await tx.deleteFrom('connected_organizations').where('id', '=', row.id).execute();
    const winner = await matchConnectedOrganization(tx, { tenantId: r.tenantId, email: r.email });
    if (winner) return winner;
  }
  await writeAudit(tx, ctx, { activityDisplayName: 'Create connected organization (proposed)', operationType: 'Add', targets: [{ id: row.id, displayName: row.displayName, type: 'ConnectedOrganization' }] });
  return row;
}

/** For callers that only need to know whether someone could manage requests in a catalog. */
export function canManage(ctx: CommandContext, catalogId: string): boolean {
  return can(ctx.principal, 'assignment.manage', { catalogId });
}

export function accessPackageNotFound(id: string): NotFoundError {
  return new NotFoundError(`No accessPackage with id '${id}' was found.`);
}
