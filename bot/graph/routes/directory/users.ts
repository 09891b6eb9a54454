import { addSponsor } from '../../../commands/directory/addSponsor';
import { createUser } from '../../../commands/directory/createUser';
import { deleteUser } from '../../../commands/directory/deleteUser';
import { loadUser } from '../../../commands/directory/loadDirectory';
import { removeSponsor } from '../../../commands/directory/removeSponsor';
import { createUserBody, updateUserBody } from '../../../commands/directory/schemas';
import { setManager } from '../../../commands/directory/setManager';
import { updateUser } from '../../../commands/directory/updateUser';
import { missingObject } from '../../../commands/directory/loadDirectory';
import { requireReadable } from '../../../policies/visibility';
import { NotFoundError } from '../../../domain/errors';
import { authorize } from '../../../policies';
import { created, GraphRequest, GraphResponse, GraphRouter, noContent } from '../../router';
import { idFromODataRef, parseBody } from '../../validate';
import { listOf, oneOf, presentOne } from '../helpers';
import { asDirectoryObject, asDirectoryObjects, linkedTo } from './shared';

/**
 * `/me` and `/users`. Members read the directory; guests read only themselves (others are 404 to
 * them); user administrators write.
 */
export function registerUsers(router: GraphRouter): void {
  router
    .add('GET', 'me', (req) => oneOf(req, 'user', myId(req), 'users'))
    .add('GET', 'me/manager', (req) => managerOf(req, myId(req)))
    .add('GET', 'me/sponsors', (req) => sponsorsOf(req, myId(req)))
    .add('GET', 'me/memberOf', (req) => memberOf(req, myId(req)))
    .add('GET', 'users', (req) => {
      authorize(req.ctx.principal, 'directory.read');
      return listOf(req, 'user', 'users');
    })
    .add('POST', 'users', async (req) => {
      const row = await createUser(req.ctx, parseBody(createUserBody, req.body, 'user'));
      const value = await presentOne(req, 'user', row, {});
      return created({ '@odata.context': `${req.serviceRoot}/$metadata#users/$entity`, ...value });
    })
    .add('GET', 'users/{id}', async (req) => oneOf(req, 'user', await visibleUserId(req), 'users'))
    .add('PATCH', 'users/{id}', async (req) => {
      await updateUser(req.ctx, req.params.id, parseBody(updateUserBody, req.body, 'user'));
      return noContent();
    })
    .add('DELETE', 'users/{id}', async (req) => {
      await deleteUser(req.ctx, req.params.id);
      return noContent();
    })
    .add('GET', 'users/{id}/manager', async (req) => managerOf(req, await visibleUserId(req)))
    .add('PUT', 'users/{id}/manager/$ref', async (req) => {
      await setManager(req.ctx, req.params.id, idFromODataRef(req.body, 'users'));
      return noContent();
    })
    .add('GET', 'users/{id}/sponsors', async (req) => sponsorsOf(req, await visibleUserId(req)))
    .add('POST', 'users/{id}/sponsors/$ref', async (req) => {
      await addSponsor(req.ctx, req.params.id, idFromODataRef(req.body, 'users'));
      return noContent();
    })
    .add('DELETE', 'users/{id}/sponsors/{sponsorId}/$ref', async (req) => {
      await removeSponsor(req.ctx, req.params.id, req.params.sponsorId);
      return noContent();
    })
    .add('GET', 'users/{id}/memberOf', async (req) => memberOf(req, await visibleUserId(req)));
}

/** The caller's own user id; a partner who is not (yet) a guest has no user object. */
function myId(req: GraphRequest): string {
  const id = req.ctx.principal.userId;
  if (!id) {
    throw new NotFoundError(
      `'${req.ctx.principal.userPrincipalName}' signed in with a home account of another organization and is not in this directory; they appear here once invited as a guest.`,
      'Request_ResourceNotFound',
    );
  }
  return id;
}

/** Resolves `{id}` (an id or a userPrincipalName) to a user id the caller may read, else 404. */
async function visibleUserId(req: GraphRequest): Promise<string> {
  const user = await loadUser(req.ctx.db, req.params.id);
  await requireReadable(req.ctx, 'user', user.id, () => missingObject(req.params.id));
  return user.id;
}

async function managerOf(req: GraphRequest, userId: string): Promise<GraphResponse> {
  const user = await loadUser(req.ctx.db, userId);
  if (!user.managerId) throw new NotFoundError("Resource 'manager' does not exist or one of its queried reference-property objects are not present.", 'Request_ResourceNotFound');
  // Graph types `manager` as a directoryObject: the context says so, the value says it is a user.
  return asDirectoryObject(await oneOf(req, 'user', user.managerId, 'directoryObjects'), 'user');
}

async function sponsorsOf(req: GraphRequest, userId: string): Promise<GraphResponse> {
  return asDirectoryObjects(await listOf(req, 'user', 'directoryObjects', linkedTo('user_sponsors', 'userId', userId, 'sponsorId')), 'user');
}

async function memberOf(req: GraphRequest, userId: string): Promise<GraphResponse> {
  return asDirectoryObjects(await listOf(req, 'group', 'directoryObjects', linkedTo('group_members', 'memberId', userId, 'groupId')), 'group');
}
