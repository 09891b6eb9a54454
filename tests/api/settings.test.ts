import { startTestServer, TestServer, em } from '../helpers/server';

const admin = 'admin@contoso.test';
const adele = 'adele@contoso.test';
const settings = `${em}/settings`;

describe('settings', () => {
  let server: TestServer;
  const db = () => server.portier.store.db;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it("reads the seeded settings in Graph's entitlementManagementSettings shape", async () => {
    const res = await server.graph('GET', settings, { as: adele });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      '@odata.context': expect.stringContaining('$metadata#identityGovernance/entitlementManagement/settings/$entity'),
      id: 'default',
      externalUserLifecycleAction: 'blockSignInAndDelete',
      durationUntilExternalUserDeletedAfterBlocked: 'P30D',
    });
    const selected = await server.graph('GET', `${settings}?$select=externalUserLifecycleAction`, { as: adele });
    expect(selected.body).toMatchObject({ id: 'default', externalUserLifecycleAction: 'blockSignInAndDelete' });
    expect(selected.body.durationUntilExternalUserDeletedAfterBlocked).toBeUndefined();
  });

  it('updates the settings with PATCH and audits the change', async () => {
    const patch = await server.graph('PATCH', settings, { as: admin, body: { externalUserLifecycleAction: 'blockSignIn', durationUntilExternalUserDeletedAfterBlocked: 'PT2M' } });
    expect(patch.status).toBe(204);
    expect((await server.graph('GET', settings, { as: admin })).body).toMatchObject({ externalUserLifecycleAction: 'blockSignIn', durationUntilExternalUserDeletedAfterBlocked: 'PT2M' });
    // A partial PATCH keeps the other property.
    expect((await server.graph('PATCH', settings, { as: admin, body: { externalUserLifecycleAction: 'none' } })).status).toBe(204);
    expect((await server.graph('GET', settings, { as: admin })).body).toMatchObject({ externalUserLifecycleAction: 'none', durationUntilExternalUserDeletedAfterBlocked: 'PT2M' });
    const audit = await db().selectFrom('directory_audits').selectAll().where('activityDisplayName', '=', 'Update entitlement management settings').execute();
    expect(audit).toHaveLength(2);
    expect(audit.some((a) => a.additionalDetails.includes('blockSignIn'))).toBe(true);
  });

  it.each([
    ['an unknown action', { externalUserLifecycleAction: 'delete' }, 'externalUserLifecycleAction'],
    ['a bad duration', { durationUntilExternalUserDeletedAfterBlocked: '30 days' }, 'durationUntilExternalUserDeletedAfterBlocked'],
    ['an unknown property', { daysUntilExternalUserDeletedAfterBlocked: 30 }, 'daysUntilExternalUserDeletedAfterBlocked'],
  ])('refuses %s with 400 and changes nothing', async (_name, body, field) => {
    const before = (await server.graph('GET', settings, { as: admin })).body;
    const res = await server.graph('PATCH', settings, { as: admin, body });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(field);
    expect((await server.graph('GET', settings, { as: admin })).body).toEqual(before);
  });

  it('lets only administrators change the settings', async () => {
    const before = (await server.graph('GET', settings, { as: admin })).body;
    expect((await server.graph('PATCH', settings, { as: adele, body: { externalUserLifecycleAction: 'blockSignInAndDelete' } })).status).toBe(403);
    expect((await server.graph('GET', settings, { as: admin })).body).toEqual(before);
    expect((await server.graph('GET', settings)).status).toBe(401);
  });

  it('answers defaults when the row is missing and creates it on the first PATCH', async () => {
    await db().deleteFrom('entitlement_settings').execute();
    const get = await server.graph('GET', settings, { as: admin });
    expect(get.body).toMatchObject({ id: 'default', externalUserLifecycleAction: 'blockSignInAndDelete', durationUntilExternalUserDeletedAfterBlocked: 'P30D' });
    expect((await server.graph('PATCH', settings, { as: admin, body: { durationUntilExternalUserDeletedAfterBlocked: 'P7D' } })).status).toBe(204);
    expect(await db().selectFrom('entitlement_settings').selectAll().execute()).toEqual([
      { id: 'default', externalUserLifecycleAction: 'blockSignInAndDelete', durationUntilExternalUserDeletedAfterBlocked: 'P7D' },
    ]);
  });
});
