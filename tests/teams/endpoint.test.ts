import { ConnectorStandIn, cardOf, cardText } from '../helpers/connector';
import { startTestServer, TestServer } from '../helpers/server';
import { activity, people, postActivity } from '../helpers/teams';

/**
 * POST /api/messages in dev mode (no BOT_ID, loopback): malformed activities are refused without a
 * trace, help and the welcome answer in both languages, and conversations are remembered.
 */
describe('bot endpoint (dev mode)', () => {
  let server: TestServer;
  let connector: ConnectorStandIn;

  beforeAll(async () => {
    connector = await new ConnectorStandIn().start();
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' } });
  });
  afterAll(async () => {
    await server.close();
    await connector.close();
  });

  it('refuses malformed activities with 400 and writes nothing', async () => {
    const db = server.portier.store.db;
    for (const body of ['{not json', JSON.stringify({ type: 'message' }), JSON.stringify({ ...activity(connector.url, people.alex, {}), serviceUrl: 'javascript:alert(1)' }), JSON.stringify({ ...activity(connector.url, people.alex, {}), from: {} }), JSON.stringify({ ...activity(connector.url, people.alex, {}), replyToId: { $ne: null } })]) {
      const res = await postActivity(server.url, body);
      expect(res.status).toBe(400);
    }
    expect(await db.selectFrom('teams_conversations').selectAll().execute()).toEqual([]);
    expect(connector.calls).toEqual([]);
  });

  it('answers help with the commands, and remembers the personal conversation', async () => {
    const res = await postActivity(server.url, activity(connector.url, people.alex, { text: 'help' }));
    expect(res.status).toBe(200);
    const [reply] = connector.sent(people.alex.conversationId);
    expect(cardText(cardOf(reply))).toMatch(/request access/);
    const row = await server.portier.store.db.selectFrom('teams_conversations').selectAll().where('id', '=', people.alex.conversationId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ conversationType: 'personal', userId: people.alex.aadObjectId, userMri: people.alex.mri, serviceUrl: connector.url });
  });

  it('speaks Dutch to a Dutch client, and recognizes the Dutch command titles', async () => {
    connector.clear();
    await postActivity(server.url, activity(connector.url, people.alex, { text: 'help', locale: 'nl-NL' }));
    expect(cardText(cardOf(connector.sent(people.alex.conversationId)[0]))).toMatch(/toegang aanvragen/);
    connector.clear();
    await postActivity(server.url, activity(connector.url, people.alex, { text: 'goedkeuringen', locale: 'nl-NL' }));
    expect(cardText(cardOf(connector.sent(people.alex.conversationId)[0]))).toMatch(/Er wacht niets op jouw besluit/);
  });

  it('welcomes on install and forgets the conversation on uninstall', async () => {
    connector.clear();
    const install = activity(connector.url, people.megan, { type: 'installationUpdate', action: 'add' });
    expect((await postActivity(server.url, install)).status).toBe(200);
    expect(cardText(cardOf(connector.sent(people.megan.conversationId)[0]))).toMatch(/Welcome to Portier/);
    const db = server.portier.store.db;
    expect(await db.selectFrom('teams_conversations').select('id').where('userId', '=', people.megan.aadObjectId).execute()).toHaveLength(1);
    await postActivity(server.url, activity(connector.url, people.megan, { type: 'installationUpdate', action: 'remove' }));
    expect(await db.selectFrom('teams_conversations').select('id').where('userId', '=', people.megan.aadObjectId).execute()).toHaveLength(0);
  });

  it('answers an @mention in a team in the personal chat', async () => {
    connector.clear();
    const team = activity(connector.url, people.adele, {
      text: '<at>Portier</at> help',
      conversation: { id: '19:general@thread.tacv2', conversationType: 'channel', tenantId: '' },
      channelData: { tenant: { id: (await server.portier.store.db.selectFrom('tenants').select('id').where('isHome', '=', 1).executeTakeFirstOrThrow()).id }, team: { id: '19:team@thread.tacv2', aadGroupId: 'f0000000-0000-4000-8000-0000000fa1c0' } },
      entities: [{ type: 'mention', mentioned: { id: '28:portier-bot', name: 'Portier' }, text: '<at>Portier</at>' }],
    });
    expect((await postActivity(server.url, team)).status).toBe(200);
    const created = connector.created();
    expect(created).toHaveLength(1);
    expect(created[0].body.members[0].id).toBe(people.adele.mri);
    const personalId = (await server.portier.store.db.selectFrom('teams_conversations').select('id').where('userId', '=', people.adele.aadObjectId).executeTakeFirstOrThrow()).id;
    expect(cardText(cardOf(connector.sent(personalId)[0]))).toMatch(/request access/);
    expect(connector.sent('19:general@thread.tacv2')[0].body.text).toMatch(/personal chat/);
  });
});
