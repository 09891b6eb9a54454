import { bulkDirectory } from './tests/helpers/bulkDirectory';
import { startTestServer } from './tests/helpers/server';
it('prof', async () => {
  const server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' } });
  await bulkDirectory(server.portier.store.db, { users: 2000, groups: 40, membershipsPerUser: 10 });
  await server.token('admin@contoso.test');
  for (const p of ['groups?$top=999&$expand=members', 'groups?$top=999&$expand=members($expand=memberOf)', 'groups?$top=999&$expand=members($expand=memberOf($expand=members))']) {
    const t = performance.now();
    const r = await server.graph('GET', p, { as: 'admin@contoso.test' });
    console.log(p, r.status, performance.now() - t, JSON.stringify(r.body).length);
  }
  await server.close();
}, 120000);
