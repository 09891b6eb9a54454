import { inviteUser } from '../../../commands/directory/inviteUser';
import { createInvitationBody } from '../../../commands/directory/schemas';
import { created, GraphRouter } from '../../router';
import { parseBody } from '../../validate';

/** `POST /invitations`: invite an external person as a guest. */
export function registerInvitations(router: GraphRouter): void {
  router.add('POST', 'invitations', async (req) => {
    const invitation = await inviteUser(req.ctx, parseBody(createInvitationBody, req.body, 'invitation'));
    return created({ '@odata.context': `${req.serviceRoot}/$metadata#invitations/$entity`, ...invitation });
  });
}
