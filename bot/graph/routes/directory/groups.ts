import { addGroupMember } from '../../../commands/directory/addGroupMember';
import { createGroup } from '../../../commands/directory/createGroup';
import { missingObject } from '../../../commands/directory/loadDirectory';
import { removeGroupMember } from '../../../commands/directory/removeGroupMember';
import { createGroupBody } from '../../../commands/directory/schemas';
import { requireReadable } from '../../../policies/visibility';
import { NotFoundError } from '../../../domain/errors';
import { authorize } from '../../../policies';
import { created, GraphRouter, noContent } from '../../router';
import { idFromODataRefTo, parseBody } from '../../validate';
import { listOf, oneOf, presentOne } from '../helpers';
import { asDirectoryObjects, linkedTo } from './shared';

/**
 * `/groups` (Microsoft 365 and security groups, their members and owners), a group's team site
 * and `/sites/{id}`. Members read all groups; guests read the groups they belong to.
 */
export function registerGroups(router: GraphRouter): void {
  router
    .add('GET', 'groups', (req) => {
      authorize(req.ctx.principal, 'directory.read');
      return listOf(req, 'group', 'groups');
    })
    .add('POST', 'groups', async (req) => {
      const { group } = await createGroup(req.ctx, parseBody(createGroupBody, req.body, 'group'));
      const value = await presentOne(req, 'group', group, {});
      return created({ '@odata.context': `${req.serviceRoot}/$metadata#groups/$entity`, ...value });
    })
    .add('GET', 'groups/{id}', (req) => oneOf(req, 'group', req.params.id, 'groups'));

  for (const [relation, column] of [
    ['members', 'memberId'],
    ['owners', 'ownerId'],
  ] as const) {
    const table = relation === 'members' ? 'group_members' : 'group_owners';
    router
      .add('GET', `groups/{id}/${relation}`, async (req) => {
        await requireReadable(req.ctx, 'group', req.params.id, () => missingObject(req.params.id));
        return asDirectoryObjects(await listOf(req, 'user', 'directoryObjects', linkedTo(table, 'groupId', req.params.id, column)), 'user');
      })
      .add('POST', `groups/{id}/${relation}/$ref`, async (req) => {
        await addGroupMember(req.ctx, req.params.id, relation, idFromODataRefTo(req.body, ['directoryObjects', 'users']));
        return noContent();
      })
      .add('DELETE', `groups/{id}/${relation}/{userId}/$ref`, async (req) => {
        await removeGroupMember(req.ctx, req.params.id, relation, req.params.userId);
        return noContent();
      });
  }

  router
    .add('GET', 'groups/{id}/sites/root', async (req) => {
      await requireReadable(req.ctx, 'group', req.params.id, () => missingObject(req.params.id));
      const group = await req.ctx.db.selectFrom('groups').select('id').where('id', '=', req.params.id).executeTakeFirst();
      if (!group) throw missingObject(req.params.id);
      const site = await req.ctx.db.selectFrom('sites').select('id').where('groupId', '=', group.id).executeTakeFirst();
      if (!site) throw new NotFoundError(`Group '${group.id}' has no SharePoint site.`, 'itemNotFound');
      return oneOf(req, 'site', site.id, 'sites');
    })
    .add('GET', 'sites/{siteId}', (req) => oneOf(req, 'site', req.params.siteId, 'sites'));
}
