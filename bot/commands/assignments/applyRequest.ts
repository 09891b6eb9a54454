import type { CommandContext, Tx } from '../../context';
import type { AssignmentRequestsTable } from '../../store/schema';

/**
 * What an approved (or approval-free) update or removal request does to its assignment, inside the
 * processing transaction. Placeholder until implemented: returns the request's final state.
 */
export async function applyUpdateRequest(_tx: Tx, _ctx: CommandContext, _request: AssignmentRequestsTable): Promise<void> {
  throw new Error('userUpdate/adminUpdate processing is not implemented yet');
}

export async function applyRemoveRequest(_tx: Tx, _ctx: CommandContext, _request: AssignmentRequestsTable): Promise<void> {
  throw new Error('userRemove/adminRemove processing is not implemented yet');
}
