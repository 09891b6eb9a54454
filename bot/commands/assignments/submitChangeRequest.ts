import type { CommandContext } from '../../context';
import { ValidationError } from '../../domain/errors';
import type { AssignmentRequestsTable } from '../../store/schema';
import type { CreateAssignmentRequestInput } from '../requests/schemas';

/**
 * `userRemove`/`adminRemove` and `userUpdate`/`adminUpdate` (extension) of an existing assignment
 * (`assignment.id`). Placeholder until implemented.
 */
export async function submitRemoveRequest(_ctx: CommandContext, input: CreateAssignmentRequestInput): Promise<AssignmentRequestsTable> {
  throw new ValidationError(`Request type '${input.requestType}' is not supported yet.`, 'requestType');
}

export async function submitUpdateRequest(_ctx: CommandContext, input: CreateAssignmentRequestInput): Promise<AssignmentRequestsTable> {
  throw new ValidationError(`Request type '${input.requestType}' is not supported yet.`, 'requestType');
}
