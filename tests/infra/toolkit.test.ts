/**
 * The Teams Toolkit / Microsoft 365 Agents Toolkit project: teamsapp.yml, teamsapp.local.yml and
 * m365agents.playground.yml parse, use only known actions, name files that exist, and every `${{VAR}}` they (and the
 * files they resolve: the Teams manifest with its localization files, aad.manifest.json, the ARM parameters) use has
 * a value when the toolkit needs it.
 *
 * The rule for a `${{VAR}}` used by action N of a lifecycle (provision, deploy, publish) of one of these files, whose
 * environment is E (dev, local, playground):
 *   - env/.env.E gives VAR a non-empty value, or
 *   - an earlier action writes VAR: actions 1..N-1 of the same lifecycle, or any action of a lifecycle that runs
 *     before it (provision, then deploy, then publish), through `writeToEnvironmentFile`, or through an `output` of a
 *     Bicep template that arm/deploy deploys, or
 *   - the toolkit sets VAR itself: TEAMSFX_ENV always; AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP_NAME (it asks)
 *     and RESOURCE_SUFFIX (it generates one) when the lifecycle deploys to Azure; AAD_APP_ACCESS_AS_USER_PERMISSION_ID
 *     inside the aad manifest of the aadApp/update that generates it, or
 *   - E is local and VAR is BOT_ENDPOINT or BOT_DOMAIN, which the local tunnel writes before provisioning.
 * A variable that is declared with an empty value in the env sample and not covered above fails the test.
 */
import { configurationVariables, loadConfig } from '../../bot/config';
import {
  type Action,
  type Lifecycle,
  bicepOutputs,
  exists,
  knownActions,
  lifecycles,
  loadYaml,
  placeholders,
  projectFiles,
  projectPath,
  read,
  readEnvFile,
  stringsIn,
} from './project';

const setByTunnel: Record<string, readonly string[]> = { local: ['BOT_ENDPOINT', 'BOT_DOMAIN'] };
const setByToolkitForAzure = ['AZURE_SUBSCRIPTION_ID', 'AZURE_RESOURCE_GROUP_NAME', 'RESOURCE_SUFFIX'];
const generatedByAadAppUpdate = 'AAD_APP_ACCESS_AS_USER_PERMISSION_ID';

/** What an action does with files and variables, as far as the tests need to know. */
interface ActionEffects {
  /** Files it reads: they exist in the repository or an earlier action of the lifecycle produces them. */
  reads: string[];
  /** Files whose `${{VAR}}` placeholders it resolves. */
  resolves: string[];
  /** Files it writes. */
  produces: string[];
  /** Variables it writes to the env file. */
  writes: string[];
  /** Variables it generates for its own use (and writes). */
  generates: string[];
}

function str(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`${what} must be a non-empty string`);
  return value;
}

/** The Teams manifest and the files it names (icons, localization files). */
function teamsManifestFiles(manifestPath: string): { placeholders: string[]; reads: string[] } {
  const path = projectPath(manifestPath);
  const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
  if (!exists(path)) return { placeholders: [path], reads: [path] };
  const manifest = JSON.parse(read(path)) as {
    icons?: { color?: string; outline?: string };
    localizationInfo?: { additionalLanguages?: { file: string }[] };
  };
  const localization = (manifest.localizationInfo?.additionalLanguages ?? []).map((l) => dir + l.file);
  const icons = [manifest.icons?.color, manifest.icons?.outline].filter((i): i is string => !!i).map((i) => dir + i);
  return { placeholders: [path, ...localization], reads: [path, ...localization, ...icons] };
}

function effectsOf(action: Action): ActionEffects {
  const w = action.with ?? {};
  const effects: ActionEffects = { reads: [], resolves: [], produces: [], writes: [], generates: [] };
  effects.writes.push(...Object.values(action.writeToEnvironmentFile ?? {}));
  switch (action.uses) {
    case 'teamsApp/validateManifest':
    case 'teamsApp/zipAppPackage': {
      const files = teamsManifestFiles(str(w.manifestPath, `${action.uses} manifestPath`));
      effects.reads.push(...files.reads);
      effects.resolves.push(...files.placeholders);
      if (action.uses === 'teamsApp/zipAppPackage') {
        effects.produces.push(projectPath(str(w.outputZipPath, 'outputZipPath')), projectPath(str(w.outputFolder, 'outputFolder')));
      }
      break;
    }
    case 'teamsApp/validateAppPackage':
    case 'teamsApp/update':
    case 'teamsApp/publishAppPackage':
    case 'teamsApp/extendToM365':
      effects.reads.push(projectPath(str(w.appPackagePath, `${action.uses} appPackagePath`)));
      break;
    case 'aadApp/update': {
      const manifest = projectPath(str(w.manifestPath, 'aadApp/update manifestPath'));
      effects.reads.push(manifest);
      effects.resolves.push(manifest);
      effects.produces.push(projectPath(str(w.outputFilePath, 'aadApp/update outputFilePath')));
      if (exists(manifest) && placeholders(read(manifest)).has(generatedByAadAppUpdate)) effects.generates.push(generatedByAadAppUpdate);
      break;
    }
    case 'arm/deploy': {
      const templates = w.templates as { path: string; parameters?: string }[];
      for (const t of templates) {
        const template = projectPath(str(t.path, 'arm/deploy template path'));
        effects.reads.push(template);
        if (exists(template)) effects.writes.push(...bicepOutputs(template));
        if (t.parameters) {
          effects.reads.push(projectPath(t.parameters));
          effects.resolves.push(projectPath(t.parameters));
        }
      }
      break;
    }
    case 'azureAppService/zipDeploy':
    case 'azureFunctions/zipDeploy':
    case 'azureStorage/deploy':
      effects.reads.push(projectPath(str(w.artifactFolder, 'artifactFolder')));
      if (typeof w.ignoreFile === 'string') effects.reads.push(projectPath(w.ignoreFile));
      break;
    case 'file/createOrUpdateEnvironmentFile':
    case 'file/createOrUpdateJsonFile':
      effects.produces.push(projectPath(str(w.target, `${action.uses} target`)));
      break;
    default:
      break;
  }
  if (typeof w.workingDirectory === 'string') effects.reads.push(projectPath(w.workingDirectory));
  return effects;
}

/** The actions of each lifecycle that runs before `lifecycle`, in order. */
function earlierLifecycles(lifecycle: Lifecycle): Lifecycle[] {
  return lifecycles.slice(0, lifecycles.indexOf(lifecycle));
}

for (const { file, env } of projectFiles) {
  describe(file, () => {
    const project = loadYaml(file);
    const sample = readEnvFile(`env/.env.${env}`);
    const actionsOf = (l: Lifecycle): Action[] => project[l] ?? [];
    const all = lifecycles.flatMap(actionsOf);
    const deploysToAzure = all.some((a) => a.uses === 'arm/deploy');

    test('has a schema version and only the toolkit\'s top-level keys', () => {
      expect(project.version).toMatch(/^v1\.\d+$/);
      for (const key of Object.keys(project)) {
        expect(['version', 'environmentFolderPath', 'additionalMetadata', 'projectId', ...lifecycles]).toContain(key);
      }
      expect(project.environmentFolderPath).toBe('./env');
      expect(all.length).toBeGreaterThan(0);
    });

    test('uses only known actions, each with its parameters', () => {
      for (const action of all) {
        expect(knownActions).toContain(action.uses);
        expect(Object.keys(action).every((k) => ['uses', 'name', 'with', 'writeToEnvironmentFile', 'env'].includes(k))).toBe(true);
        // Every writeToEnvironmentFile target is a variable name; secrets go to the .user file by their prefix.
        for (const [key, variable] of Object.entries(action.writeToEnvironmentFile ?? {})) {
          expect(variable).toMatch(/^[A-Z][A-Z0-9_]*$/);
          if (/secret|password/i.test(key)) expect(variable).toMatch(/^SECRET_/);
        }
      }
    });

    test('every file an action reads exists or is produced by an earlier action of its lifecycle', () => {
      const missing: string[] = [];
      for (const lifecycle of lifecycles) {
        const produced = new Set<string>();
        for (const action of actionsOf(lifecycle)) {
          const effects = effectsOf(action);
          for (const path of effects.reads) {
            if (placeholders(path).size > 0 ? !produced.has(path) : !exists(path) && !produced.has(path)) {
              missing.push(`${lifecycle} ${action.uses}: ${path}`);
            }
          }
          for (const path of effects.produces) produced.add(path);
        }
      }
      expect(missing).toEqual([]);
    });

    test(`every \${{VAR}} has a value when the toolkit resolves it (env/.env.${env}, earlier actions, the toolkit)`, () => {
      const base = new Set<string>(['TEAMSFX_ENV', ...(setByTunnel[env] ?? []), ...(deploysToAzure ? setByToolkitForAzure : [])]);
      for (const [key, value] of sample) if (value !== '') base.add(key);
      const unresolved: string[] = [];
      for (const lifecycle of lifecycles) {
        const available = new Set(base);
        for (const earlier of earlierLifecycles(lifecycle)) {
          for (const action of actionsOf(earlier)) for (const v of [...effectsOf(action).writes, ...effectsOf(action).generates]) available.add(v);
        }
        for (const [i, action] of actionsOf(lifecycle).entries()) {
          const effects = effectsOf(action);
          const own = new Set([...available, ...effects.generates]);
          const used = new Map<string, string>();
          for (const s of stringsIn([action.with, action.env])) for (const v of placeholders(s)) used.set(v, file);
          for (const path of effects.resolves) {
            if (!exists(path)) continue; // reported by the file test
            for (const v of placeholders(read(path))) used.set(v, path);
          }
          for (const [variable, where] of used) {
            if (!own.has(variable)) unresolved.push(`${lifecycle}[${i}] ${action.uses}: ${variable} (in ${where})`);
          }
          for (const v of [...effects.writes, ...effects.generates]) available.add(v);
        }
      }
      expect(unresolved).toEqual([]);
    });

    test(`env/.env.${env} declares what the project writes and leaves empty only what something fills in`, () => {
      const written = new Set(all.flatMap((a) => [...effectsOf(a).writes, ...effectsOf(a).generates]));
      const notDeclared = [...written].filter((v) => !v.startsWith('SECRET_') && !sample.has(v));
      expect(notDeclared).toEqual([]);
      const filledBy = new Set([...written, 'TEAMSFX_ENV', ...(setByTunnel[env] ?? []), ...(deploysToAzure ? setByToolkitForAzure : [])]);
      const emptyForever = [...sample].filter(([k, v]) => v === '' && !filledBy.has(k)).map(([k]) => k);
      expect(emptyForever).toEqual([]);
      expect(sample.get('TEAMSFX_ENV')).toBe(env);
    });

    test('secrets the project writes are listed, without values, in the .user sample', () => {
      const secrets = [...new Set(all.flatMap((a) => effectsOf(a).writes))].filter((v) => v.startsWith('SECRET_'));
      if (secrets.length === 0) return;
      const userSample = readEnvFile(`env/.env.${env}.user.sample`);
      for (const secret of secrets) expect(userSample.get(secret)).toBe('');
    });
  });
}

describe('what the project files do', () => {
  const dev = loadYaml('teamsapp.yml');
  const local = loadYaml('teamsapp.local.yml');
  const playground = loadYaml('m365agents.playground.yml');
  const uses = (actions: Action[] | undefined): string[] => (actions ?? []).map((a) => a.uses);
  const find = (actions: Action[] | undefined, name: string): Action => {
    const action = (actions ?? []).find((a) => a.uses === name);
    if (!action) throw new Error(`no ${name}`);
    return action;
  };

  test('teamsapp.yml provisions the Teams app, the SSO app registration, Azure, then the app package', () => {
    expect(uses(dev.provision)).toEqual([
      'teamsApp/create',
      'aadApp/create',
      'arm/deploy',
      'aadApp/update',
      'teamsApp/validateManifest',
      'teamsApp/zipAppPackage',
      'teamsApp/validateAppPackage',
      'teamsApp/update',
    ]);
    expect(find(dev.provision, 'aadApp/create').with).toMatchObject({ generateClientSecret: true, signInAudience: 'AzureADMultipleOrgs' });
    expect(find(dev.provision, 'aadApp/update').with).toMatchObject({ manifestPath: './aad.manifest.json' });
    expect(find(dev.provision, 'arm/deploy').with).toMatchObject({
      templates: [{ path: './infra/azure.bicep', parameters: './infra/azure.parameters.json' }],
    });
    expect(uses(dev.deploy)).toEqual(['cli/runNpmCommand', 'cli/runNpmCommand', 'azureAppService/zipDeploy']);
    expect(dev.deploy?.map((a) => a.with?.args)).toEqual(['install --no-audit --no-fund', 'run build', undefined]);
    expect(find(dev.deploy, 'azureAppService/zipDeploy').with).toMatchObject({ artifactFolder: '.', ignoreFile: './.webappignore' });
    expect(uses(dev.publish)).toContain('teamsApp/publishAppPackage');
  });

  test('the zip deploy leaves dependencies, tests and secrets out and keeps what App Service builds from', () => {
    const ignored = read('.webappignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const entry of ['node_modules/', 'tests/', 'env/', '.localConfigs', '.localConfigs.playground', 'data/']) expect(ignored).toContain(entry);
    for (const kept of ['bot/', 'dist/', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
      expect(ignored).not.toContain(kept);
    }
  });

  test('teamsapp.local.yml registers a single-tenant bot for the tunnel and writes .localConfigs', () => {
    expect(uses(local.provision)).toEqual([
      'teamsApp/create',
      'aadApp/create',
      'botAadApp/create',
      'botFramework/create',
      'aadApp/update',
      'teamsApp/validateManifest',
      'teamsApp/zipAppPackage',
      'teamsApp/validateAppPackage',
      'teamsApp/update',
    ]);
    expect(find(local.provision, 'botFramework/create').with).toMatchObject({
      botId: '${{BOT_ID}}',
      messagingEndpoint: '${{BOT_ENDPOINT}}/api/messages',
      channels: [{ name: 'msteams' }],
    });
    expect(uses(local.deploy)).toEqual(['cli/runNpmCommand', 'file/createOrUpdateEnvironmentFile']);
    expect(find(local.deploy, 'file/createOrUpdateEnvironmentFile').with?.target).toBe('./.localConfigs');
  });

  test('m365agents.playground.yml needs no Azure and no registration', () => {
    expect(playground.provision ?? []).toEqual([]);
    expect(uses(playground.deploy)).toEqual(['cli/runNpmCommand', 'file/createOrUpdateEnvironmentFile']);
    expect(find(playground.deploy, 'file/createOrUpdateEnvironmentFile').with?.target).toBe('./.localConfigs.playground');
  });

  // The settings files the toolkit writes for the server: only variables the server knows, and valid together.
  const fakeProvisioned = (name: string): string => {
    if (name.startsWith('SECRET_')) return 'not-a-real-secret';
    if (name === 'BOT_ENDPOINT') return 'https://portier-1234.euw.devtunnels.ms';
    if (name === 'BOT_DOMAIN') return 'portier-1234.euw.devtunnels.ms';
    if (/_ID$/.test(name)) return '8c0a3f7e-1b2d-4e5f-9a6b-7c8d9e0f1a2b';
    throw new Error(`no sample value for ${name}`);
  };
  const serverSettings = (project: typeof local, env: string): Record<string, string> => {
    const sample = readEnvFile(`env/.env.${env}`);
    const envs = (find(project.deploy, 'file/createOrUpdateEnvironmentFile').with?.envs ?? {}) as Record<string, unknown>;
    return Object.fromEntries(
      Object.entries(envs).map(([k, v]) => [
        k,
        String(v).replace(/\$\{\{\s*([A-Z0-9_]+)\s*\}\}/g, (_, name: string) => sample.get(name) || fakeProvisioned(name)),
      ]),
    );
  };

  test.each([
    ['teamsapp.local.yml', 'local', 'entra'],
    ['m365agents.playground.yml', 'playground', 'dev'],
  ] as const)('%s writes only server variables, and the server accepts them (%s, auth %s)', (file, env, authMode) => {
    const settings = serverSettings(loadYaml(file), env);
    for (const key of Object.keys(settings)) expect(configurationVariables).toContain(key);
    const result = loadConfig(settings);
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.config.authMode).toBe(authMode);
    if (authMode === 'dev') {
      expect(settings.BOT_ID).toBeUndefined();
      expect(result.config.host).toBe('127.0.0.1');
    } else {
      expect(result.config.bot).toMatchObject({ id: expect.any(String), password: expect.any(String), tenantId: expect.any(String) });
      expect(result.config.aad.clientSecret).toBeDefined();
      expect(result.config.publicUrl).toBe(fakeProvisioned('BOT_ENDPOINT'));
      // The audience Teams SSO tokens carry: aad.manifest.json's identifier URI.
      expect(result.config.aad.appIdUri).toBe(`api://${fakeProvisioned('BOT_DOMAIN')}/${result.config.aad.clientId}`);
    }
  });

  test('each environment finds its file: the Agents Toolkit prefers m365agents*.yml, so none shadows a teamsapp*.yml', () => {
    // Agents Toolkit: dev -> m365agents.yml, else teamsapp.yml; local -> m365agents.local.yml, else teamsapp.local.yml;
    // playground -> m365agents.playground.yml (it has no teamsapp.* name for the Playground).
    expect(exists('m365agents.yml')).toBe(false);
    expect(exists('m365agents.local.yml')).toBe(false);
    expect(exists('teamsapp.playground.yml')).toBe(false);
  });

  test('the files the toolkit writes for the server, and the secrets, are git-ignored', () => {
    const ignored = read('.gitignore').split('\n').map((l) => l.trim());
    for (const entry of ['env/.env.*.user', '.localConfigs', '.localConfigs.playground']) expect(ignored).toContain(entry);
  });
});
