/**
 * The Graph shapes the personal tab reads (the subset it uses of `accessPackage`,
 * `accessPackageAssignmentRequestRequirements`, `accessPackageAssignmentRequest`, …). Graph's own
 * names, so the same code reads Microsoft Graph.
 */
export interface Localization {
  text: string;
  languageCode: string;
}

export interface QuestionChoice {
  actualValue: string;
  text: string;
  localizations?: Localization[] | null;
}

export interface Question {
  id: string;
  '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion' | '#microsoft.graph.accessPackageMultipleChoiceQuestion' | string;
  sequence?: number | null;
  text: string;
  localizations?: Localization[] | null;
  isRequired?: boolean | null;
  isSingleLineQuestion?: boolean | null;
  regexPattern?: string | null;
  choices?: QuestionChoice[] | null;
  allowsMultipleSelection?: boolean | null;
}

export interface Expiration {
  type?: 'notSpecified' | 'noExpiration' | 'afterDateTime' | 'afterDuration' | string | null;
  endDateTime?: string | null;
  duration?: string | null;
}

export interface Schedule {
  startDateTime?: string | null;
  expiration?: Expiration | null;
}

export interface Requirements {
  policyId: string;
  policyDisplayName?: string | null;
  policyDescription?: string | null;
  isApprovalRequiredForAdd?: boolean | null;
  isRequestorJustificationRequired?: boolean | null;
  allowCustomAssignmentSchedule?: boolean | null;
  questions?: Question[] | null;
  schedule?: Schedule | null;
}

export interface ResourceRoleScope {
  id: string;
  role?: { displayName?: string | null; originSystem?: string | null } | null;
  scope?: { originId?: string | null; originSystem?: string | null } | null;
}

export interface AccessPackage {
  id: string;
  displayName: string;
  description?: string | null;
  isHidden?: boolean | null;
  resourceRoleScopes?: ResourceRoleScope[] | null;
  catalog?: { displayName?: string | null } | null;
}

export interface Answer {
  value?: string | null;
  displayValue?: string | null;
  answeredQuestion?: Question | null;
}

export interface Subject {
  displayName?: string | null;
  email?: string | null;
  principalName?: string | null;
}

export interface AssignmentRequest {
  id: string;
  requestType: string;
  state: string;
  status?: string | null;
  createdDateTime?: string | null;
  completedDateTime?: string | null;
  justification?: string | null;
  schedule?: Schedule | null;
  answers?: Answer[] | null;
  accessPackage?: AccessPackage | null;
  requestor?: Subject | null;
}

export interface Assignment {
  id: string;
  state: string;
  status?: string | null;
  schedule?: Schedule | null;
  accessPackage?: AccessPackage | null;
  assignmentPolicy?: { id: string; requestorSettings?: { enableTargetsToSelfUpdateAccess?: boolean | null; enableTargetsToSelfRemoveAccess?: boolean | null } | null } | null;
}

export interface ApprovalStage {
  id: string;
  displayName?: string | null;
  status: string;
  reviewResult: string;
  assignedToMe?: boolean | null;
  justification?: string | null;
  reviewedBy?: { displayName?: string | null } | null;
}

export interface Approval {
  id: string;
  stages: ApprovalStage[];
}

export interface ReviewDefinition {
  id: string;
  displayName?: string | null;
  settings?: { justificationRequiredOnApproval?: boolean | null } | null;
}

export interface ReviewInstance {
  id: string;
  status?: string | null;
  startDateTime?: string | null;
  endDateTime?: string | null;
}

export interface ReviewDecision {
  id: string;
  decision: string;
  recommendation?: string | null;
  justification?: string | null;
  principal?: { displayName?: string | null; userPrincipalName?: string | null } | null;
  resource?: { displayName?: string | null } | null;
}
