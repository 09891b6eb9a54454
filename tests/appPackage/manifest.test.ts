import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  COMMAND_LIMITS,
  bundledVersions,
  compareVersions,
  localizationKeyToPointer,
  placeholdersIn,
  resolvePlaceholders,
  schemaPath,
  validateLocalization,
  validateManifest,
} from '../../scripts/manifest';
import { APP_DIR, ROOT, SAMPLE_VARS, mutable, readJson } from './fixtures';

const template = readJson(join(APP_DIR, 'manifest.json'));
const nlTemplate = readJson(join(APP_DIR, 'nl.json'));
const manifest = () => mutable(resolvePlaceholders(template, SAMPLE_VARS).value);
const nl = () => mutable(resolvePlaceholders(nlTemplate, SAMPLE_VARS).value);

const COMMANDS = ['request access', 'my access', 'my requests', 'approvals', 'help'];

describe('appPackage/manifest.json', () => {
  it('uses exactly the placeholders of the shared contract, and nl.json no others', () => {
    expect(placeholdersIn(template).sort()).toEqual(Object.keys(SAMPLE_VARS).sort());
    for (const name of placeholdersIn(nlTemplate)) expect(Object.keys(SAMPLE_VARS)).toContain(name);
  });

  it('validates against the official schema once the placeholders are replaced', () => {
    const resolved = manifest();
    expect(JSON.stringify(resolved)).not.toContain('${{');
    expect(validateManifest(resolved)).toEqual([]);
  });

  it("passes @microsoft/app-manifest's own validator too (ManifestUtil, offline with the bundled schema)", () => {
    // In a child process: the package loads an ES module (strip-bom) that Jest cannot require.
    const official = (document: unknown): string[] => {
      const script = `
        const { ManifestUtil } = require('@microsoft/app-manifest');
        const { manifest, schema } = JSON.parse(require('fs').readFileSync(0, 'utf8'));
        ManifestUtil.validateManifestAgainstSchema(manifest, JSON.parse(require('fs').readFileSync(schema, 'utf8')))
          .then((errors) => process.stdout.write(JSON.stringify(errors)));`;
      const input = JSON.stringify({ manifest: document, schema: schemaPath(manifest().manifestVersion, 'MicrosoftTeams') });
      return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, input, encoding: 'utf8' })) as string[];
    };
    expect(official(manifest())).toEqual([]);
    const broken = manifest();
    delete broken.id;
    expect(official(broken)).toEqual([expect.stringContaining("must have required property 'id'")]);
  });

  it('is on manifest schema 1.19 or newer, bundled by @microsoft/app-manifest, with the matching $schema URL', () => {
    const resolved = manifest();
    expect(compareVersions(resolved.manifestVersion, '1.19')).toBeGreaterThanOrEqual(0);
    expect(bundledVersions()).toContain(resolved.manifestVersion);
    expect(resolved.$schema).toBe(
      `https://developer.microsoft.com/json-schemas/teams/v${resolved.manifestVersion}/MicrosoftTeams.schema.json`,
    );
  });

  it('has the bot in personal, team and group chat with the five commands in each scope', () => {
    const [bot] = manifest().bots;
    expect(manifest().bots).toHaveLength(1);
    expect(bot.botId).toBe(SAMPLE_VARS.BOT_ID);
    expect(bot.scopes.sort()).toEqual(['groupChat', 'personal', 'team']);
    expect(bot.supportsFiles).toBe(false);
    expect(bot.isNotificationOnly).toBe(false);
    const scopes = bot.commandLists.flatMap((list: { scopes: string[] }) => list.scopes).sort();
    expect(scopes).toEqual(['groupChat', 'personal', 'team']);
    for (const list of bot.commandLists) {
      expect(list.scopes).toHaveLength(1);
      expect(list.commands.map((c: { title: string }) => c.title)).toEqual(COMMANDS);
      for (const command of list.commands) {
        expect(command.title.length).toBeLessThanOrEqual(COMMAND_LIMITS.title);
        expect(command.description.length).toBeGreaterThan(0);
        expect(command.description.length).toBeLessThanOrEqual(COMMAND_LIMITS.description);
      }
    }
  });

  it('has the tabs, SSO and domains of the shared contract', () => {
    const resolved = manifest();
    const base = `https://${SAMPLE_VARS.BOT_DOMAIN}/`;
    expect(resolved.id).toBe(SAMPLE_VARS.TEAMS_APP_ID);
    expect(resolved.name.short).toBe(`Portier${SAMPLE_VARS.APP_NAME_SUFFIX}`);
    const myAccess = resolved.staticTabs.find((tab: { entityId: string }) => tab.entityId === 'my-access');
    expect(myAccess).toMatchObject({ name: 'My access', contentUrl: `${base}#/my-access`, scopes: ['personal'] });
    expect(resolved.configurableTabs).toEqual([
      expect.objectContaining({
        configurationUrl: `${base}#/extranet/configure`,
        canUpdateConfiguration: true,
        scopes: ['team'],
      }),
    ]);
    expect(resolved.permissions.sort()).toEqual(['identity', 'messageTeamMembers']);
    expect(resolved.validDomains).toEqual([SAMPLE_VARS.BOT_DOMAIN]);
    expect(resolved.webApplicationInfo).toEqual({
      id: SAMPLE_VARS.AAD_APP_CLIENT_ID,
      resource: `api://${SAMPLE_VARS.BOT_DOMAIN}/${SAMPLE_VARS.AAD_APP_CLIENT_ID}`,
    });
    expect(resolved.localizationInfo).toEqual({
      defaultLanguageTag: 'en-us',
      additionalLanguages: [{ languageTag: 'nl-nl', file: 'nl.json' }],
    });
    expect(resolved.icons).toEqual({ color: 'color.png', outline: 'outline.png' });
  });

  describe('a broken manifest fails validation, naming what is wrong', () => {
    it('a bot command title of 40 characters (Teams command menu: 32)', () => {
      const broken = manifest();
      broken.bots[0].commandLists[1].commands[2].title = 'x'.repeat(40);
      const errors = validateManifest(broken);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain('/bots/0/commandLists/1/commands/2/title');
      expect(errors[0]).toContain('32');
    });

    it('a bot command title longer than the schema allows', () => {
      const broken = manifest();
      broken.bots[0].commandLists[0].commands[0].title = 'x'.repeat(129);
      expect(validateManifest(broken)).toContain(
        '/bots/0/commandLists/0/commands/0/title must NOT have more than 128 characters',
      );
    });

    it('more than 10 commands in a list', () => {
      const broken = manifest();
      const list = broken.bots[0].commandLists[0];
      list.commands = Array.from({ length: 11 }, (_, i) => ({ title: `command ${i}`, description: 'd' }));
      expect(validateManifest(broken).join('\n')).toContain('/bots/0/commandLists/0/commands must NOT have more than 10');
    });

    it('a missing id', () => {
      const broken = manifest();
      delete broken.id;
      expect(validateManifest(broken)).toEqual(["/ must have required property 'id'"]);
    });

    it('an id that is no GUID (e.g. an unresolved placeholder)', () => {
      const broken = manifest();
      broken.id = '${{TEAMS_APP_ID}}';
      expect(validateManifest(broken).join('\n')).toMatch(/^\/id must match pattern/);
    });

    it('a wrong manifestVersion', () => {
      const broken = manifest();
      const version = broken.manifestVersion;
      broken.manifestVersion = '1.17';
      const errors = validateManifest(broken);
      expect(errors).toContain(`/manifestVersion must be equal to constant: "${version}"`);
      expect(errors).toContain('/manifestVersion must be 1.19 or newer, not "1.17"');
    });

    it('a $schema naming no bundled schema', () => {
      const broken = manifest();
      broken.$schema = 'https://example.com/schema.json';
      expect(validateManifest(broken).join('\n')).toContain('/$schema must be https://developer.microsoft.com/');
    });

    it('an unknown property, a bad colour and a scope the bot cannot have', () => {
      const broken = manifest();
      broken.botName = 'Portier';
      broken.accentColor = 'teal';
      broken.bots[0].scopes.push('meeting');
      const errors = validateManifest(broken);
      expect(errors).toContain("/ must NOT have additional properties: 'botName'");
      expect(errors.join('\n')).toContain('/accentColor must match pattern');
      expect(errors.join('\n')).toContain('/bots/0/scopes/3 must be equal to one of the allowed values');
    });
  });
});

describe('appPackage/nl.json', () => {
  it('validates against the localization schema of the manifest version', () => {
    const resolved = nl();
    expect(resolved.$schema).toBe(
      `https://developer.microsoft.com/json-schemas/teams/v${manifest().manifestVersion}/MicrosoftTeams.Localization.schema.json`,
    );
    expect(validateLocalization(resolved, manifest())).toEqual([]);
  });

  it('translates every string of the manifest that Teams localizes', () => {
    const resolved = manifest();
    const expected = ['name.short', 'name.full', 'description.short', 'description.full'];
    (resolved.description.features ?? []).forEach((_: unknown, i: number) => {
      expected.push(`description.features[${i}].title`, `description.features[${i}].description`);
    });
    resolved.staticTabs.forEach((tab: { name?: string }, i: number) => {
      if (tab.name !== undefined) expected.push(`staticTabs[${i}].name`);
    });
    resolved.bots[0].commandLists.forEach((list: { commands: unknown[] }, l: number) => {
      list.commands.forEach((_, c) => {
        expected.push(`bots[0].commandLists[${l}].commands[${c}].title`, `bots[0].commandLists[${l}].commands[${c}].description`);
      });
    });
    const keys = Object.keys(nl()).filter((key) => key !== '$schema');
    expect(keys.sort()).toEqual(expected.sort());
    // Dutch, not a copy: every text but the name and the command "help" differs from the English one.
    const dutch = nl();
    for (const key of keys) {
      if (['name.short', 'bots[0].commandLists[0].commands[4].title', 'bots[0].commandLists[1].commands[4].title', 'bots[0].commandLists[2].commands[4].title'].includes(key)) continue;
      const pointer = localizationKeyToPointer(key).split('/').slice(1);
      const english = pointer.reduce((node: any, part) => node[part], resolved);
      expect([key, dutch[key]]).not.toEqual([key, english]);
    }
    expect(dutch['staticTabs[0].name']).toBe('Mijn toegang');
  });

  describe('a broken localization fails validation, naming what is wrong', () => {
    it('a key the schema does not know', () => {
      const broken = nl();
      broken['configurableTabs[0].name'] = 'Extranet';
      expect(validateLocalization(broken, manifest())).toContain(
        "/ must NOT have additional properties: 'configurableTabs[0].name'",
      );
    });

    it('a translated command title of 40 characters', () => {
      const broken = nl();
      broken['bots[0].commandLists[0].commands[1].title'] = 'y'.repeat(40);
      const errors = validateLocalization(broken, manifest());
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain('/bots[0].commandLists[0].commands[1].title must NOT have more than 32 characters');
    });

    it('a translation of a string the manifest does not have', () => {
      const broken = nl();
      broken['staticTabs[5].name'] = 'Nergens';
      expect(validateLocalization(broken, manifest())).toEqual([
        '/staticTabs[5].name translates /staticTabs/5/name, which the manifest does not have',
      ]);
    });

    it('a missing required name and a short name over 30 characters', () => {
      const broken = nl();
      delete broken['description.short'];
      broken['name.short'] = 'P'.repeat(31);
      const errors = validateLocalization(broken, manifest());
      expect(errors).toContain("/ must have required property 'description.short'");
      expect(errors).toContain('/name.short must NOT have more than 30 characters');
    });
  });
});

describe(resolvePlaceholders.name, () => {
  it('replaces every placeholder in strings (also several in one string) and leaves the rest alone', () => {
    const { value, missing } = resolvePlaceholders(
      { a: 'api://${{ D }}/${{ID}}', b: ['${{ID}}', 3, true, null], c: { d: 'plain' } },
      { D: 'x.example.com', ID: '42' },
    );
    expect(missing).toEqual([]);
    expect(value).toEqual({ a: 'api://x.example.com/42', b: ['42', 3, true, null], c: { d: 'plain' } });
  });

  it('names every unset or empty variable once, in order of first use', () => {
    const { missing } = resolvePlaceholders({ a: '${{B}} ${{A}}', b: ['${{B}}', '${{C}}', '${{OK}}'] }, { A: '', OK: 'yes' });
    expect(missing).toEqual(['B', 'A', 'C']);
  });

  it('lets APP_NAME_SUFFIX be empty (production), but not unset', () => {
    expect(resolvePlaceholders('Portier${{APP_NAME_SUFFIX}}', { APP_NAME_SUFFIX: '' })).toEqual({ value: 'Portier', missing: [] });
    expect(resolvePlaceholders('Portier${{APP_NAME_SUFFIX}}', {}).missing).toEqual(['APP_NAME_SUFFIX']);
    expect(resolvePlaceholders('${{BOT_ID}}', { BOT_ID: '' }).missing).toEqual(['BOT_ID']);
  });

  it('does not take inherited properties for variables', () => {
    expect(resolvePlaceholders('${{toString}}', {}).missing).toEqual(['toString']);
  });
});
