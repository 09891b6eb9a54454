/**
 * README "Run in your tenant" stays in step with the project: it comes before "Configuration", explains every
 * Microsoft Graph permission aad.manifest.json requests, and names files and settings that exist.
 */
import { configurationVariables } from '../../bot/config';
import { exists, read } from './project';

const readme = read('README.md');
const start = readme.indexOf('\n## Run in your tenant\n');
const end = readme.indexOf('\n## ', start + 1);
const section = readme.slice(start, end);

describe('README "Run in your tenant"', () => {
  test('comes right before "Configuration"', () => {
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(end + 1)).toMatch(/^## Configuration\n/);
    for (const heading of ['Prerequisites', 'Microsoft Graph permissions, per mode', 'Provision, deploy, sideload', 'Switch between embedded and entra modes', 'Local run through a tunnel', 'Agents Playground']) {
      expect(section).toContain(`\n### ${heading}\n`);
    }
  });

  test('explains every Microsoft Graph permission aad.manifest.json requests, with its type', () => {
    const aad = JSON.parse(read('aad.manifest.json')) as { requiredResourceAccess: { resourceAccess: { id: string; type: string }[] }[] };
    for (const { id, type } of aad.requiredResourceAccess.flatMap((r) => r.resourceAccess)) {
      expect(section).toContain(`\`${id}\` (${type === 'Role' ? 'application' : 'delegated'})`);
    }
    expect(section).toMatch(/admin consent/i);
  });

  test('names project files that exist and settings the server knows', () => {
    for (const file of ['teamsapp.yml', 'teamsapp.local.yml', 'm365agents.playground.yml', 'aad.manifest.json', 'infra/azure.parameters.json', 'env/.env.dev', 'env/.env.local']) {
      expect(section).toContain(`\`${file}\``);
      expect(exists(file)).toBe(true);
    }
    for (const setting of ['PORTIER_GRAPH', 'PORTIER_DIRECTORY', 'PORTIER_SEED', 'DATABASE_URL']) {
      expect(section).toContain(`\`${setting}`);
      expect(configurationVariables).toContain(setting);
    }
    for (const generated of ['.localConfigs', '.localConfigs.playground']) expect(section).toContain(`./${generated}`);
    // The zip the sideload commands upload is the one the YAML files build.
    expect(section).toContain('appPackage/build/appPackage.dev.zip');
    expect(read('teamsapp.yml')).toContain('./appPackage/build/appPackage.${{TEAMSFX_ENV}}.zip');
  });
});
