import type { Principal } from '../../auth/principal';
import type { CommandContext, Tx } from '../../context';
import { can } from '../../policies';
import { ValidationError } from '../../domain/errors';
import type { AccessPackagesTable, AssignmentPoliciesTable, CatalogsTable } from '../../store/schema';
import { newId } from '../../context';
import type { PolicyDefinition, SubjectSet } from './schemas';

/** Scopes that let people from outside the directory request, so the catalog must be visible to them. */
const externalScopes = new Set(['allExternalUsers', 'specificConnectedOrganizationUsers', 'allConfiguredConnectedOrganizationUsers']);

interface Reference {
  path: string;
  subject: SubjectSet;
}

/** Every subjectSet of the policy with the body path that names it, for error messages. */
function subjectsOf(def: PolicyDefinition): Reference[] {
  const refs: Reference[] = [];
  const add = (path: string, list: readonly SubjectSet[]) => list.forEach((subject, i) => refs.push({ path: `${path}.${i}`, subject }));
  add('specificAllowedTargets', def.specificAllowedTargets);
  add('requestorSettings.onBehalfRequestors', def.requestorSettings.onBehalfRequestors);
  def.requestApprovalSettings.stages.forEach((stage, s) => {
    for (const key of ['primaryApprovers', 'fallbackPrimaryApprovers', 'escalationApprovers', 'fallbackEscalationApprovers'] as const) {
      add(`requestApprovalSettings.stages.${s}.${key}`, stage[key]);
    }
  });
  add('reviewSettings.primaryReviewers', def.reviewSettings.primaryReviewers);
  add('reviewSettings.fallbackReviewers', def.reviewSettings.fallbackReviewers);
  return refs;
}

/**
 * The rules of a policy that need the database or the clock: who the scope lets in, whether the
 * users, groups and connected organizations it names exist, whether the catalog may serve external
 * users. Throws `ValidationError` naming the field; writes nothing.
 */
export async function checkPolicyDefinition(tx: Tx, ctx: CommandContext, def: PolicyDefinition, catalog: CatalogsTable): Promise<void> {
  const scope = def.allowedTargetScope;
  const targets = def.specificAllowedTargets;
  const targetTypes = targets.map((t) => t['@odata.type']);

  if (scope === 'specificDirectoryServicePrincipals' || scope === 'allDirectoryServicePrincipals') {
    throw new ValidationError(`allowedTargetScope '${scope}' is not supported: this directory has no service principals.`, 'allowedTargetScope');
  }
  if (scope === 'specificConnectedOrganizationUsers') {
    if (targets.length === 0) throw new ValidationError("specificAllowedTargets needs at least one connectedOrganizationMembers entry when allowedTargetScope is 'specificConnectedOrganizationUsers'.", 'specificAllowedTargets');
    const bad = targetTypes.findIndex((t) => t !== '#microsoft.graph.connectedOrganizationMembers');
    if (bad >= 0) throw new ValidationError(`specificAllowedTargets.${bad} must be a connectedOrganizationMembers when allowedTargetScope is 'specificConnectedOrganizationUsers'.`, `specificAllowedTargets.${bad}`);
  } else if (scope === 'specificDirectoryUsers') {
    if (targets.length === 0) throw new ValidationError("specificAllowedTargets needs at least one singleUser or groupMembers entry when allowedTargetScope is 'specificDirectoryUsers'.", 'specificAllowedTargets');
    const bad = targetTypes.findIndex((t) => t === '#microsoft.graph.connectedOrganizationMembers');
    if (bad >= 0) throw new ValidationError(`specificAllowedTargets.${bad} must be a singleUser, groupMembers or attributeRuleMembers when allowedTargetScope is 'specificDirectoryUsers'.`, `specificAllowedTargets.${bad}`);
  } else if (targets.length > 0) {
    throw new ValidationError(`specificAllowedTargets must be empty when allowedTargetScope is '${scope}'.`, 'specificAllowedTargets');
  }

  if (externalScopes.has(scope) && catalog.isExternallyVisible !== 1) {
    throw new ValidationError(
      `The policy can't allow users outside the directory to request access because the catalog '${catalog.displayName}' is not enabled for external users. Set isExternallyVisible on the catalog first.`,
      'allowedTargetScope',
    );
  }

  if (def.automaticRequestSettings?.requestAccessForAllowedTargets && !targetTypes.includes('#microsoft.graph.attributeRuleMembers')) {
    throw new ValidationError('automaticRequestSettings.requestAccessForAllowedTargets needs an attributeRuleMembers entry in specificAllowedTargets.', 'automaticRequestSettings.requestAccessForAllowedTargets');
  }

  if (def.expiration.type === 'afterDateTime' && def.expiration.endDateTime && Date.parse(def.expiration.endDateTime) <= ctx.clock.now().getTime()) {
    throw new ValidationError("Invalid value for 'expiration.endDateTime': it must be in the future.", 'expiration.endDateTime');
  }

  const questionIds = new Set<string>();
  def.questions.forEach((q, i) => {
    if (q.id !== undefined && questionIds.has(q.id)) throw new ValidationError(`Invalid value for 'questions.${i}.id': question ids must be unique.`, `questions.${i}.id`);
    if (q.id !== undefined) questionIds.add(q.id);
  });

  await checkReferencesExist(tx, subjectsOf(def));
}

/** Users, groups and connected organizations named in the policy must exist (one query per kind). */
async function checkReferencesExist(tx: Tx, refs: Reference[]): Promise<void> {
  const idsOf = (type: string, key: 'userId' | 'groupId' | 'connectedOrganizationId') =>
    refs.flatMap((r) => (r.subject['@odata.type'] === type ? [{ path: r.path, id: (r.subject as Record<string, unknown>)[key] as string, key }] : []));
  const checks = [
    { refs: idsOf('#microsoft.graph.singleUser', 'userId'), table: 'users' as const, what: 'user' },
    { refs: idsOf('#microsoft.graph.groupMembers', 'groupId'), table: 'groups' as const, what: 'group' },
    { refs: idsOf('#microsoft.graph.connectedOrganizationMembers', 'connectedOrganizationId'), table: 'connected_organizations' as const, what: 'connectedOrganization' },
  ];
  for (const check of checks) {
    if (check.refs.length === 0) continue;
    const ids = [...new Set(check.refs.map((r) => r.id))];
    const found = new Set((await tx.selectFrom(check.table).select('id').where('id', 'in', ids).execute()).map((r) => r.id));
    const missing = check.refs.find((r) => !found.has(r.id));
    if (missing) throw new ValidationError(`Invalid value for '${missing.path}.${missing.key}': no ${check.what} with id '${missing.id}' exists in the directory.`, `${missing.path}.${missing.key}`);
  }
}

/** The row to store: complex values as JSON text, every question with an id. */
export function policyColumns(def: PolicyDefinition): Omit<AssignmentPoliciesTable, 'id' | 'accessPackageId' | 'catalogId' | 'createdDateTime' | 'modifiedDateTime'> {
  // Answers refer to questions by id, so a question without one gets a GUID now.
  const questions = def.questions.map((q) => ({ ...q, id: q.id ?? newId() }));
  return {
    displayName: def.displayName,
    description: def.description ?? null,
    allowedTargetScope: def.allowedTargetScope,
    specificAllowedTargets: JSON.stringify(def.specificAllowedTargets),
    expiration: JSON.stringify(def.expiration),
    requestorSettings: JSON.stringify(def.requestorSettings),
    requestApprovalSettings: JSON.stringify(def.requestApprovalSettings),
    reviewSettings: JSON.stringify(def.reviewSettings),
    questions: JSON.stringify(questions),
    automaticRequestSettings: JSON.stringify(def.automaticRequestSettings),
  };
}

/**
 * The package a policy is for; an unknown id is a bad body, not a missing URL. A package in a catalog
 * the caller holds no role in is just as unknown to them: the same answer, so it does not leak.
 */
export async function loadPolicyPackage(tx: Tx, id: string, principal: Principal): Promise<AccessPackagesTable> {
  const pkg = await tx.selectFrom('access_packages').selectAll().where('id', '=', id).executeTakeFirst();
  if (!pkg || !can(principal, 'accessPackage.read', { catalogId: pkg.catalogId })) throw new ValidationError(`Invalid value for 'accessPackage.id': no accessPackage with id '${id}' was found.`, 'accessPackage.id');
  return pkg;
}
