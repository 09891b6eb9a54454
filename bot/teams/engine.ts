import { GraphError, type Client } from '@microsoft/microsoft-graph-client';

/**
 * The Graph calls the bot makes, typed to the fields it shows. Everything is read as the person
 * the card is for, so what they may not see is not shown (404), exactly as in the tab.
 */
const em = '/identityGovernance/entitlementManagement';

export interface Localization {
  text: string;
  languageCode: string;
}
export interface Question {
  '@odata.type': string;
  id: string;
  sequence?: number;
  isRequired: boolean;
  text: string;
  localizations?: Localization[];
  isSingleLineQuestion?: boolean;
  regexPattern?: string | null;
  choices?: Array<{ actualValue: string; text: string; localizations?: Localization[] }>;
  allowsMultipleSelections?: boolean;
}
export interface Answer {
  '@odata.type'?: string;
  value?: string;
  displayValue?: string;
  answeredQuestion?: Question;
}
export interface ApprovalStageSettings {
  isApproverJustificationRequired?: boolean;
}
export interface Policy {
  id: string;
  displayName?: string;
  requestApprovalSettings?: { isRequestorJustificationRequired?: boolean; stages?: ApprovalStageSettings[] } | null;
  requestorSettings?: { enableTargetsToSelfUpdateAccess?: boolean; enableTargetsToSelfRemoveAccess?: boolean; allowCustomAssignmentSchedule?: boolean } | null;
}
export interface RoleScope {
  role?: { displayName?: string | null; originSystem?: string; resource?: { displayName?: string | null } | null } | null;
  scope?: { displayName?: string | null; originId?: string | null } | null;
}
export interface AccessPackage {
  id: string;
  displayName: string;
  description?: string | null;
  isHidden?: boolean;
  catalog?: { id: string; displayName: string } | null;
  resourceRoleScopes?: RoleScope[];
  assignmentPolicies?: Policy[];
}
export interface Subject {
  id: string;
  displayName?: string | null;
  email?: string | null;
  objectId?: string | null;
  connectedOrganization?: { id: string; displayName: string } | null;
}
export interface Schedule {
  startDateTime?: string | null;
  expiration?: { type?: string; endDateTime?: string | null; duration?: string | null } | null;
}
export interface AssignmentRequest {
  id: string;
  requestType: string;
  state: string;
  status: string;
  createdDateTime: string;
  schedule?: Schedule | null;
  answers?: Answer[] | null;
  justification?: string | null;
  requestor?: Subject | null;
  accessPackage?: AccessPackage | null;
}
export interface ApprovalStage {
  id: string;
  displayName?: string | null;
  status: string;
  reviewResult: string;
  justification?: string | null;
  reviewedBy?: { id?: string; displayName?: string | null } | null;
  reviewedDateTime?: string | null;
  assignedToMe: boolean;
}
export interface Approval {
  id: string;
  stages: ApprovalStage[];
}
export interface Assignment {
  id: string;
  state: string;
  status: string;
  schedule?: Schedule | null;
  accessPackage?: AccessPackage | null;
  assignmentPolicy?: Policy | null;
}
export interface Requirements {
  policyId: string;
  policyDisplayName?: string;
  isRequestorJustificationRequired: boolean;
  allowCustomAssignmentSchedule: boolean;
  questions: Question[];
}

/** A Graph error's status (0 when the call did not reach Graph's answer). */
export function graphStatus(error: unknown): number {
  return error instanceof GraphError ? error.statusCode : 0;
}
export function graphCode(error: unknown): string {
  return error instanceof GraphError ? (error.code ?? '') : '';
}

/** What a request's status card shows (and a notice names): its state and dates, and its package's name. */
const requestStatusQuery = { $select: 'id,requestType,state,createdDateTime', $expand: 'accessPackage($select=id,displayName)' };

/**
 * What an approval card shows of a request, and no more: the policies' approval settings only (questions,
 * approvers and the rest would be read and serialized for nothing); the package's resources come from the
 * package itself (`packageResources`: a role's resource is one `$expand` level deeper than Graph allows here).
 */
const approvalRequestExpand =
  'requestor($expand=connectedOrganization($select=id,displayName)),accessPackage($select=id,displayName;$expand=catalog($select=id,displayName),assignmentPolicies($select=id,requestApprovalSettings))';

export const engine = {
  /** A request as its status card shows it (the requestor, the package's roles and policies are not read). */
  request: (g: Client, id: string): Promise<AssignmentRequest> => g.api(`${em}/assignmentRequests/${id}`).query(requestStatusQuery).get(),
  approvalRequest: (g: Client, id: string): Promise<AssignmentRequest> => g.api(`${em}/assignmentRequests/${id}`).query({ $expand: approvalRequestExpand }).get(),
  /** Resource names of a package (role → resource), when the person may read the package itself. */
  packageResources: async (g: Client, id: string): Promise<RoleScope[] | undefined> => {
    try {
      const pkg = (await g.api(`${em}/accessPackages/${id}`).query({ $select: 'id', $expand: 'resourceRoleScopes($expand=role($expand=resource),scope)' }).get()) as AccessPackage;
      return pkg.resourceRoleScopes;
    } catch (error) {
      if (graphStatus(error) === 404 || graphStatus(error) === 403) return undefined;
      throw error;
    }
  },
  approval: (g: Client, id: string): Promise<Approval> => g.api(`${em}/accessPackageAssignmentApprovals/${id}`).get(),
  /**
   * Decides a stage; asks for the stage as decided in the answer (`Prefer: return=representation`), which the
   * embedded Graph gives. Microsoft's Graph answers 204: then undefined, and the caller reads the stage.
   */
  decide: async (g: Client, requestId: string, stageId: string, reviewResult: 'Approve' | 'Deny', justification: string): Promise<ApprovalStage | undefined> =>
    ((await g.api(`${em}/accessPackageAssignmentApprovals/${requestId}/stages/${stageId}`).header('Prefer', 'return=representation').patch({ reviewResult, justification })) as ApprovalStage | undefined) ??
    undefined,
  pendingApprovals: async (g: Client): Promise<Approval[]> => ((await g.api(`${em}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`).get()) as { value: Approval[] }).value,
  myRequests: async (g: Client): Promise<AssignmentRequest[]> =>
    (
      (await g
        .api(`${em}/assignmentRequests/filterByCurrentUser(on='target')`)
        .query({ $expand: 'accessPackage', $filter: "state eq 'submitted' or state eq 'pendingApproval' or state eq 'delivering' or state eq 'scheduled' or state eq 'deliveryFailed'", $orderby: 'createdDateTime desc', $top: '20' })
        .get()) as { value: AssignmentRequest[] }
    ).value,
  myAssignments: async (g: Client): Promise<Assignment[]> =>
    ((await g.api(`${em}/assignments/filterByCurrentUser(on='target')`).query({ $expand: 'accessPackage,assignmentPolicy', $filter: "state eq 'delivered'", $top: '50' }).get()) as { value: Assignment[] }).value,
  assignment: (g: Client, id: string): Promise<Assignment> => g.api(`${em}/assignments/${id}`).query({ $expand: 'accessPackage,assignmentPolicy' }).get(),
  /** The name of an assignment's package, and nothing else (a notice about the assignment names it). */
  assignmentPackageName: async (g: Client, id: string): Promise<string | undefined> =>
    ((await g.api(`${em}/assignments/${id}`).query({ $select: 'id', $expand: 'accessPackage($select=id,displayName)' }).get()) as Assignment).accessPackage?.displayName ?? undefined,
  accessPackage: (g: Client, id: string): Promise<AccessPackage> => g.api(`${em}/accessPackages/${id}`).get(),
  requestablePackages: async (g: Client, search: string, skip: number, top: number): Promise<{ items: AccessPackage[]; more: boolean }> => {
    const query: Record<string, string> = { $top: String(top + 1), $skip: String(skip), $orderby: 'displayName', $expand: 'catalog' };
    if (search) query.$filter = `contains(displayName,'${search.replace(/'/g, "''")}')`;
    const items = ((await g.api(`${em}/accessPackages/filterByCurrentUser(on='allowedRequestor')`).query(query).get()) as { value: AccessPackage[] }).value;
    return { items: items.slice(0, top), more: items.length > top };
  },
  requirements: async (g: Client, packageId: string): Promise<Requirements[]> =>
    ((await g.api(`${em}/accessPackages/${packageId}/getApplicablePolicyRequirements`).post({})) as { value: Requirements[] }).value,
  submit: (g: Client, body: Record<string, unknown>): Promise<AssignmentRequest> => g.api(`${em}/assignmentRequests`).post(body),
  cancel: (g: Client, requestId: string): Promise<void> => g.api(`${em}/assignmentRequests/${requestId}/cancel`).post({}),
  user: (g: Client, id: string): Promise<{ id: string; displayName: string; mail?: string | null }> => g.api(`/users/${id}`).select('id,displayName,mail').get(),
  reviewDecisions: async (g: Client, definitionId: string, instanceId: string): Promise<ReviewDecision[]> =>
    (
      (await g
        .api(`/identityGovernance/accessReviews/definitions/${definitionId}/instances/${instanceId}/decisions/filterByCurrentUser(on='reviewer')`)
        .get()) as { value: ReviewDecision[] }
    ).value,
  decideReview: (g: Client, definitionId: string, instanceId: string, decisionId: string, decision: 'Approve' | 'Deny' | 'DontKnow', justification: string): Promise<void> =>
    g.api(`/identityGovernance/accessReviews/definitions/${definitionId}/instances/${instanceId}/decisions/${decisionId}`).patch({ decision, justification }),
};

export interface ReviewDecision {
  id: string;
  decision: string;
  recommendation?: string;
  justification?: string | null;
  principal?: { id?: string; displayName?: string | null; userPrincipalName?: string | null } | null;
  resource?: { id?: string; displayName?: string | null } | null;
  reviewedBy?: { displayName?: string | null } | null;
}
