import { sql } from 'kysely';
import { addSponsor, SponsorKind } from '../../../commands/connectedOrganizations/addSponsor';
import { createConnectedOrganization } from '../../../commands/connectedOrganizations/createConnectedOrganization';
import { deleteConnectedOrganization } from '../../../commands/connectedOrganizations/deleteConnectedOrganization';
import { removeSponsor } from '../../../commands/connectedOrganizations/removeSponsor';
import { createConnectedOrganizationBody, updateConnectedOrganizationBody } from '../../../commands/connectedOrganizations/schemas';
import { updateConnectedOrganization } from '../../../commands/connectedOrganizations/updateConnectedOrganization';
import { NotFoundError, ValidationError } from '../../../domain/errors';
import { authorize } from '../../../policies';
import { readScopes, requireReadable } from '../../../policies/visibility';
import { presentRows } from '../../odata/engine';
import { entity } from '../../odata/model';
import { parseExpand } from '../../odata/parse';
import { created, GraphRequest, GraphResponse, GraphRouter, noContent, ok } from '../../router';
import { idFromODataRef, parseBody } from '../../validate';
import { listOf, oneOf, presentOne } from '../helpers';
import { asDirectoryObjects } from '../directory/shared';
import { em } from '../paths';

const organizations = `${em}/connectedOrganizations`;
const context = 'identityGovernance/entitlementManagement/connectedOrganizations';
const typeName = 'connectedOrganization';

/** A sponsor `$ref` may point at `/users/{id}`, `/groups/{id}` or `/directoryObjects/{id}`; Graph takes each. */
function sponsorIdFromRef(body: unknown): string {
  for (const collection of ['users', 'groups']) {
    try {
      return idFromODataRef(body, collection);
    } catch (error) {
      if (!(error instanceof ValidationError) || error.target !== '@odata.id') throw error;
    }
  }
  return idFromODataRef(body, 'directoryObjects');
}

/**
 * `$expand=internalSponsors|externalSponsors` of organizations: the engine expands the user sponsors; the
 * sponsoring groups (a table of their own) are appended here, typed, with the expansion's `$select`/`$expand`.
 */
async function withGroupSponsors(req: GraphRequest, response: GraphResponse): Promise<GraphResponse> {
  if (req.options.expand === undefined) return response;
  const items = parseExpand(req.options.expand).filter((i) => i.navigation === 'internalSponsors' || i.navigation === 'externalSponsors');
  if (items.length === 0) return response;
  const body = response.body as Record<string, unknown> & { value?: Array<Record<string, unknown>> };
  const organizations = body.value ?? [body];
  const ids = organizations.map((o) => String(o.id));
  if (ids.length === 0) return response;
  for (const item of items) {
    const kind: SponsorKind = item.navigation === 'internalSponsors' ? 'internal' : 'external';
    const links = await req.ctx.db.selectFrom('connected_organization_group_sponsors').select(['connectedOrganizationId', 'groupId']).where('connectedOrganizationId', 'in', ids).where('kind', '=', kind).execute();
    if (links.length === 0) continue;
    // Sponsoring groups are shown only to callers who may read them, like every other expansion.
    const visibility = readScopes(req.ctx);
    const all = await req.ctx.db.selectFrom('groups').selectAll().where('id', 'in', [...new Set(links.map((l) => l.groupId))]).orderBy('id').execute();
    const rows = [];
    for (const row of all) if (await visibility.isReadable('group', row.id)) rows.push(row);
    const presented = await presentRows(req.ctx.db, entity('group'), rows as unknown as Array<Record<string, unknown>>, { select: item.options.select, expand: item.options.expand }, visibility);
    const byId = new Map(presented.map((g) => [String(g.id), { '@odata.type': '#microsoft.graph.group', ...g }]));
    for (const organization of organizations) {
      const list = organization[item.navigation];
      if (!Array.isArray(list)) continue;
      for (const link of links) if (link.connectedOrganizationId === organization.id && byId.has(link.groupId)) list.push(byId.get(link.groupId));
    }
  }
  return response;
}

export function registerConnectedOrganizations(router: GraphRouter): void {
  router
    .add('GET', organizations, async (req) => {
      authorize(req.ctx.principal, 'connectedOrganization.read');
      return withGroupSponsors(req, await listOf(req, typeName, context));
    })
    .add('POST', organizations, async (req) => {
      const row = await createConnectedOrganization(req.ctx, parseBody(createConnectedOrganizationBody, req.body, typeName));
      const value = await presentOne(req, typeName, row, {});
      return created({ '@odata.context': `${req.serviceRoot}/$metadata#${context}/$entity`, ...value });
    })
    .add('GET', `${organizations}/{id}`, async (req) => withGroupSponsors(req, await oneOf(req, typeName, req.params.id, context)))
    .add('PATCH', `${organizations}/{id}`, async (req) => {
      await updateConnectedOrganization(req.ctx, req.params.id, parseBody(updateConnectedOrganizationBody, req.body, typeName));
      return noContent();
    })
    .add('DELETE', `${organizations}/{id}`, async (req) => {
      await deleteConnectedOrganization(req.ctx, req.params.id);
      return noContent();
    });

  for (const [segment, kind] of [
    ['internalSponsors', 'internal'],
    ['externalSponsors', 'external'],
  ] as const satisfies ReadonlyArray<readonly [string, SponsorKind]>) {
    router
      .add('GET', `${organizations}/{id}/${segment}`, async (req) => {
        await requireReadable(req.ctx, typeName, req.params.id, () => new NotFoundError(`No connectedOrganization with id '${req.params.id}' was found.`));
        const id = req.params.id;
        const users = asDirectoryObjects(
          await listOf(req, 'user', 'directoryObjects', (alias) =>
            sql`${sql.ref(`${alias}.id`)} in (select ${sql.ref('sponsorId')} from ${sql.table('connected_organization_sponsors')} where ${sql.ref('connectedOrganizationId')} = ${id} and ${sql.ref('kind')} = ${kind})`,
          ),
          'user',
        );
        // Sponsoring groups follow the users, on the last page (sponsors are a handful; $top pages the users).
        const page = users.body as { value: unknown[]; '@odata.nextLink'?: string; '@odata.count'?: number };
        if (page['@odata.nextLink']) return users;
        const anyGroup = await req.ctx.db.selectFrom('connected_organization_group_sponsors').select('groupId').where('connectedOrganizationId', '=', id).where('kind', '=', kind).executeTakeFirst();
        if (!anyGroup) return users;
        const { top: _top, skip: _skip, skiptoken: _skiptoken, ...groupOptions } = req.options;
        const groups = asDirectoryObjects(
          await listOf({ ...req, options: groupOptions }, 'group', 'directoryObjects', (alias) =>
            sql`${sql.ref(`${alias}.id`)} in (select ${sql.ref('groupId')} from ${sql.table('connected_organization_group_sponsors')} where ${sql.ref('connectedOrganizationId')} = ${id} and ${sql.ref('kind')} = ${kind})`,
          ),
          'group',
        ).body as { value: unknown[]; '@odata.count'?: number };
        if (groups.value.length === 0) return users;
        return ok({ ...page, ...(page['@odata.count'] !== undefined ? { '@odata.count': page['@odata.count'] + (groups['@odata.count'] ?? 0) } : {}), value: [...page.value, ...groups.value] });
      })
      .add('POST', `${organizations}/{id}/${segment}/$ref`, async (req) => {
        await addSponsor(req.ctx, req.params.id, kind, sponsorIdFromRef(req.body));
        return noContent();
      })
      .add('DELETE', `${organizations}/{id}/${segment}/{userId}/$ref`, async (req) => {
        await removeSponsor(req.ctx, req.params.id, kind, req.params.userId);
        return noContent();
      });
  }
}
