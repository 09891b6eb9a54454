/**
 * `npm run playground` stays in step with the Agents Toolkit's playground environment, and writes a configuration
 * the Agents Playground accepts (its schema 0.1.1: quoted strings, a current user, exactly five other users).
 */
import { parse } from 'yaml';
import { loadConfig } from '../../bot/config';
import { demo } from '../../bot/seed/tenant';
import { type DemoDirectory, type DirectoryPerson, PLAYGROUND_OTHER_USERS, playgroundConfig, playgroundConfigYaml, playgroundServerEnv } from '../../scripts/playground';
import { loadYaml, read, readEnvFile } from './project';

const person = (id: string, upn: string, name: string, userType = 'Member', mail: string | null = upn): DirectoryPerson => ({
  id,
  displayName: name,
  userPrincipalName: upn,
  givenName: null,
  surname: null,
  mail,
  userType,
});

const directory: DemoDirectory = {
  tenantId: demo.contoso.id,
  people: [
    person(demo.ruthGuest.id, demo.ruthGuest.upn, demo.ruthGuest.name, 'Guest', demo.partners.ruth.upn),
    ...Object.values(demo.users).map((u) => person(u.id, u.upn, u.name)),
  ],
  team: { id: demo.projectFalcon.groupId, displayName: demo.projectFalcon.name },
};

describe('npm run playground', () => {
  test('runs the server with exactly the settings m365agents.playground.yml writes for the environment "playground"', () => {
    const env = playgroundServerEnv();
    const action = loadYaml('m365agents.playground.yml').deploy?.find((a) => a.uses === 'file/createOrUpdateEnvironmentFile');
    expect(Object.keys(env).sort()).toEqual(Object.keys((action?.with?.envs ?? {}) as object).sort());
    const samples = readEnvFile('env/.env.playground');
    expect(env).toMatchObject({ PORT: '3978', AUTH_MODE: 'dev', PORTIER_SEED: samples.get('PORTIER_SEED'), DATABASE_URL: samples.get('DATABASE_URL') });
    // Valid for the server as it stands: dev mode on loopback, no secrets.
    const config = loadConfig(env);
    expect(config.ok).toBe(true);
    if (config.ok) expect(config.config).toMatchObject({ authMode: 'dev', host: '127.0.0.1', port: 3978, seed: 'demo' });
  });

  test('names the Playground in package.json and the README with the ports it uses', () => {
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.playground).toBe('tsx scripts/playground.ts');
    const readme = read('README.md');
    expect(readme).toContain('npm run playground');
    expect(readme).toContain('http://127.0.0.1:56150');
    expect(readme).toContain('http://127.0.0.1:3978/api/messages');
  });

  test('makes Ruth the current user by her guest object id, with five Contoso people as the others', () => {
    const config = playgroundConfig(directory, 'ruth@fabrikam.test');
    expect(config.version).toBe('0.1.1');
    expect(config.tenantId).toBe(demo.contoso.id);
    expect(config.currentUser).toMatchObject({ aadObjectId: demo.ruthGuest.id, name: demo.ruthGuest.name, email: demo.partners.ruth.upn });
    expect(config.users).toHaveLength(PLAYGROUND_OTHER_USERS);
    expect(config.users.map((u) => u.aadObjectId).sort()).toEqual(Object.values(demo.users).map((u) => u.id).sort());
    expect(config.team).toMatchObject({ aadGroupId: demo.projectFalcon.groupId, name: demo.projectFalcon.name });
    // The ids are unique across users and conversations, as the Playground checks at start.
    const userIds = [config.currentUser.id, ...config.users.map((u) => u.id)];
    expect(new Set(userIds).size).toBe(6);
    const chatIds = [config.personalChat.id, config.groupChat.id, config.team.id, ...config.team.channels.map((c) => c.id)];
    expect(new Set(chatIds).size).toBe(4);
  });

  test('can make any demo member the current user; an unknown one is named with the choices', () => {
    const config = playgroundConfig(directory, 'LEE@contoso.test');
    expect(config.currentUser.aadObjectId).toBe(demo.users.lee.id);
    expect(config.users).toHaveLength(PLAYGROUND_OTHER_USERS);
    expect(config.users.map((u) => u.aadObjectId)).toContain(demo.ruthGuest.id);
    expect(() => playgroundConfig(directory, 'nobody@contoso.test')).toThrow(/No one called nobody@contoso.test.*lee@contoso.test/);
  });

  test('refuses a directory with fewer than five other people', () => {
    expect(() => playgroundConfig({ ...directory, people: directory.people.slice(0, 4) }, 'ruth@fabrikam.test')).toThrow(/needs 5 other users/);
  });

  test('writes YAML whose every string value is double-quoted and which reads back as the configuration', () => {
    const config = playgroundConfig(directory, 'ruth@fabrikam.test');
    const yaml = playgroundConfigYaml(config);
    expect(parse(yaml)).toEqual(config);
    expect(yaml).toContain('version: "0.1.1"');
    const valueLines = yaml.split('\n').filter((line) => /^\s*(- )?[A-Za-z]+: \S/.test(line));
    expect(valueLines.length).toBeGreaterThan(40);
    for (const line of valueLines) expect(line).toMatch(/: "[^"]*"$/);
  });
});
