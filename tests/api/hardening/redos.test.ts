import { buildAccessPackage, buildCatalog, policyBody } from '../../helpers/factories';
import { whileProbingHealth } from '../../helpers/health';
import { admin, buildRequestablePackage, userAdd } from '../../helpers/requests';
import { em, startTestServer, TestServer } from '../../helpers/server';

/**
 * Question patterns cannot stall the server (issue 8, item 4): answers are matched in linear time
 * (RE2), whatever pattern a catalog owner saved and whatever a requestor answers; patterns that need
 * backtracking are refused when the policy is saved.
 */
describe('regexPattern of questions', () => {
  let server: TestServer;
  const alex = 'alex@contoso.test';
  beforeAll(async () => {
    server = await startTestServer({ env: { PORTIER_JOB_INTERVAL_MS: '3600000' } });
  });
  afterAll(() => server.close());

  const question = (regexPattern: string) => ({ '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', id: 'q', text: 'Code', isRequired: true, isSingleLineQuestion: false, regexPattern, sequence: 0 });
  const answer = (value: string) => ({ '@odata.type': '#microsoft.graph.accessPackageAnswerString', value, answeredQuestion: { id: 'q' } });

  // Catastrophic for a backtracking engine on a non-matching answer: time doubles per character.
  const catastrophic: Array<[string, string, string]> = [
    ['([A-Za-z0-9]+ ?)+', `${'a'.repeat(3999)}!`, 'Partner code 42'],
    ['(a+)+$', `${'a'.repeat(3999)}b`, 'aaaa'],
    ['(a|aa)+', `${'a'.repeat(3999)}b`, 'aaaaaa'],
    ['(.*a){12}', `${'a'.repeat(3999)}b`, 'aaaaaaaaaaaa'],
    ['(\\w+\\s?)*x', `${'word '.repeat(799)}!`, 'word x'],
    ['^(([a-z])+.)+[A-Z]([a-z])+$', `${'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'.repeat(10)}!`, 'abcDXyz'],
  ];

  it.each(catastrophic)('matches %s in linear time: a hostile answer is refused at once, a good one accepted', async (pattern, hostile, good) => {
    const pkg = await buildRequestablePackage(server, { policy: { allowedTargetScope: 'allMemberUsers', questions: [question(pattern)] } });
    const { result, elapsedMs, slowestHealthMs } = await whileProbingHealth(server.url, () => userAdd(server, alex, pkg.packageId, { answers: [answer(hostile)] }));
    expect(result.status).toBe(400);
    expect(result.body.error.message).toMatch(/does not have the required format/);
    expect(elapsedMs).toBeLessThan(1000);
    expect(slowestHealthMs).toBeLessThan(1000);
    const accepted = await userAdd(server, alex, pkg.packageId, { answers: [answer(good)] });
    expect(accepted.status).toBe(201);
  });

  it.each([
    ['(a+)\\1', 'back-reference'],
    ['(?=a)a', 'lookahead'],
    ['(?!a)b', 'negative lookahead'],
    ['a{1001}', 'repetition beyond RE2 limits'],
    ['((a{100}){100}){100}', 'repetitions that multiply'],
  ])('refuses %s (%s) when the policy is saved, with a 400 naming the field', async (pattern) => {
    const catalog = await buildCatalog(server, admin, { state: 'published' });
    const pkg = await buildAccessPackage(server, admin, catalog.id);
    const res = await server.graph('POST', `${em}/assignmentPolicies`, { as: admin, body: policyBody(pkg.id, { questions: [question(pattern)] }) });
    expect(res.status).toBe(400);
    expect(res.body.error.target ?? res.body.error.message).toMatch(/questions\.0\.regexPattern/);
    expect(res.body.error.message).toMatch(/linear time/);
  });
});
