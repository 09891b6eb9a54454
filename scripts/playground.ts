/**
 * `npm run playground [-- --as <upn>]`: Portier in dev mode with the demo tenant, and the Microsoft 365 Agents
 * Playground as its Teams client, offline.
 *
 * 1. Starts Portier (`bot/index.ts`) with the server settings `m365agents.playground.yml` writes for the
 *    environment "playground" (`env/.env.playground` fills its `${{VAR}}`s), so `atk deploy --env playground` and this
 *    script run the same server.
 * 2. Reads the demo directory through the embedded Graph as the admin (`/organization`, `/users`, `/groups`) and
 *    writes the Playground's configuration: you are the person `--as` names (default Ruth, Fabrikam's external
 *    sponsor, by her guest object id in Contoso — the `aadObjectId` Teams would send), five of Contoso's people are
 *    the others in the group chat and the team, and the team is Project Falcon.
 * 3. Starts the Playground (`--disable-telemetry`, no browser) pointed at `/api/messages`. The Playground hosts a
 *    mock Bot Connector at `<playground>/_connector`: the `serviceUrl` of its activities, so Portier's proactive
 *    messages and card updates go back to it.
 *
 * Both run as child processes in process groups of their own and are stopped by their ids on exit (Ctrl+C).
 * Knobs: PLAYGROUND_PORT (56150, the Playground's default), PORT (3978), DATABASE_URL, PLAYGROUND_USER (= --as).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse, stringify } from 'yaml';
import { readEnv } from './package';

export const ROOT = resolve(__dirname, '..');
/** The Playground's default port; its page is `http://127.0.0.1:<port>`. */
export const DEFAULT_PLAYGROUND_PORT = 56150;
/** Whom you are by default: Ruth, guest in Contoso and Fabrikam's external sponsor, who approves partners' requests. */
export const DEFAULT_PLAYGROUND_USER = 'ruth@fabrikam.test';
/** The bot's account in the Playground's conversations (no registration exists in dev mode; any stable id does). */
export const PLAYGROUND_BOT = { id: '28:00000000-0000-4000-8000-00000000b075', name: 'Portier' } as const;

/** A person of the directory as `/users` returns them. */
export interface DirectoryPerson {
  id: string;
  displayName: string;
  userPrincipalName: string;
  givenName: string | null;
  surname: string | null;
  mail: string | null;
  userType: string | null;
}

/** What the Playground's configuration is made of, read from Portier. */
export interface DemoDirectory {
  tenantId: string;
  people: DirectoryPerson[];
  team: { id: string; displayName: string } | null;
}

/** One user of the Playground's configuration (its schema's names, `userPrincipleName` included). */
export interface PlaygroundUser {
  id: string;
  name: string;
  userPrincipleName: string;
  aadObjectId: string;
  givenName: string;
  surname: string;
  email: string;
}

/** The Playground's configuration file, version 0.1.1 (the schema bundled in @microsoft/m365agentsplayground). */
export interface PlaygroundConfig {
  version: '0.1.1';
  tenantId: string;
  bot: { id: string; name: string };
  currentUser: PlaygroundUser;
  users: PlaygroundUser[];
  personalChat: { id: string };
  groupChat: { id: string; name: string };
  team: { id: string; name: string; aadGroupId: string; channels: { id: string; name: string }[] };
}

/** The Playground's schema wants exactly this many users besides the current one. */
export const PLAYGROUND_OTHER_USERS = 5;

/**
 * The Playground's configuration for `directory`, with `currentUpn` (a UPN or mail: a guest is found by their
 * home mail) as the current user and the first five other members as the others. Pure. The chat and team ids
 * are derived from the directory's ids, so a conversation reference Portier stored in an earlier run stays valid.
 */
export function playgroundConfig(directory: DemoDirectory, currentUpn: string): PlaygroundConfig {
  const wanted = currentUpn.trim().toLowerCase();
  const current = directory.people.find((p) => p.userPrincipalName.toLowerCase() === wanted || p.mail?.toLowerCase() === wanted);
  if (!current) {
    const known = directory.people.map((p) => p.mail ?? p.userPrincipalName).join(', ');
    throw new Error(`No one called ${currentUpn} is in the directory; choose one of: ${known}`);
  }
  // Members first (they share the team with the current user), in the directory's order.
  const others = directory.people
    .filter((p) => p.id !== current.id)
    .sort((a, b) => Number(a.userType === 'Guest') - Number(b.userType === 'Guest'))
    .slice(0, PLAYGROUND_OTHER_USERS);
  if (others.length < PLAYGROUND_OTHER_USERS) {
    throw new Error(`The Playground needs ${PLAYGROUND_OTHER_USERS} other users; the directory has only ${others.length}.`);
  }
  const team = directory.team ?? { id: '00000000-0000-4000-8000-000000000000', displayName: 'Contoso' };
  return {
    version: '0.1.1',
    tenantId: directory.tenantId,
    bot: { ...PLAYGROUND_BOT },
    currentUser: playgroundUser(current),
    users: others.map(playgroundUser),
    personalChat: { id: `a:playground-personal-${current.id}` },
    groupChat: { id: `19:playground-group-${current.id}@thread.v2`, name: 'Portier demo group chat' },
    team: {
      id: `19:playground-team-${team.id}@thread.tacv2`,
      name: team.displayName,
      aadGroupId: team.id,
      channels: [{ id: `19:playground-announcements-${team.id}@thread.tacv2`, name: 'Announcements' }],
    },
  };
}

function playgroundUser(person: DirectoryPerson): PlaygroundUser {
  const [first, ...rest] = person.displayName.split(' ');
  return {
    // Teams' channel account id of a user is `29:…`; the Playground only needs it unique.
    id: `29:${person.id}`,
    name: person.displayName,
    userPrincipleName: person.userPrincipalName,
    aadObjectId: person.id,
    givenName: person.givenName ?? first,
    surname: person.surname ?? rest.join(' '),
    email: person.mail ?? person.userPrincipalName,
  };
}

/** The configuration as the Playground reads it: YAML with every string value double-quoted. */
export function playgroundConfigYaml(config: PlaygroundConfig): string {
  const header =
    '# yaml-language-server: $schema=https://aka.ms/teams-app-test-tool-config/0.1.1/config.schema.json\n' +
    '# Written by scripts/playground.ts from the demo directory; regenerated on every run.\n';
  return header + stringify(config, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 });
}

/**
 * The server settings of the environment "playground": the `envs` `m365agents.playground.yml` writes to
 * `.localConfigs.playground`, with `${{VAR}}` from `env/.env.playground` (and its `.user` file).
 */
export function playgroundServerEnv(root: string = ROOT): Record<string, string> {
  const project = parse(readFileSync(join(root, 'm365agents.playground.yml'), 'utf8')) as {
    deploy?: { uses: string; with?: { target?: string; envs?: Record<string, string | number> } }[];
  };
  const action = project.deploy?.find((a) => a.uses === 'file/createOrUpdateEnvironmentFile' && a.with?.target === './.localConfigs.playground');
  if (!action?.with?.envs) throw new Error('m365agents.playground.yml has no file/createOrUpdateEnvironmentFile for ./.localConfigs.playground');
  const vars = readEnv(join(root, 'env'), 'playground');
  const missing: string[] = [];
  const env = Object.fromEntries(
    Object.entries(action.with.envs).map(([name, value]) => [
      name,
      String(value).replace(/\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, v: string) => {
        if (vars[v] === undefined) missing.push(v);
        return vars[v] ?? '';
      }),
    ]),
  );
  if (missing.length > 0) throw new Error(`env/.env.playground does not define ${missing.join(', ')}`);
  return env;
}

/** Reads the tenant, its people and Project Falcon's team through the embedded Graph, as the demo's admin. */
export async function readDemoDirectory(portierUrl: string, adminUpn = 'admin@contoso.test'): Promise<DemoDirectory> {
  const tokenRes = await fetch(`${portierUrl}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ upn: adminUpn }) });
  if (tokenRes.status !== 200) throw new Error(`dev sign-in as ${adminUpn}: ${tokenRes.status} ${await tokenRes.text()}`);
  const { access_token: token } = (await tokenRes.json()) as { access_token: string };
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${portierUrl}/graph/v1.0/${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const organization = await get<{ value: { id: string }[] }>('organization');
  const people = await get<{ value: DirectoryPerson[] }>('users?$select=id,displayName,userPrincipalName,givenName,surname,mail,userType&$top=100');
  const groups = await get<{ value: { id: string; displayName: string; resourceProvisioningOptions?: string[] }[] }>(
    `groups?$select=id,displayName,resourceProvisioningOptions&$top=100`,
  );
  const team = groups.value.find((g) => g.resourceProvisioningOptions?.includes('Team')) ?? groups.value.find((g) => g.displayName === 'Project Falcon') ?? null;
  return { tenantId: organization.value[0].id, people: people.value, team: team ? { id: team.id, displayName: team.displayName } : null };
}

/** A free TCP port on loopback (the OS picks; it is released before the caller binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** A child process in a process group of its own, with what it printed. */
export interface Child {
  name: string;
  pid: number;
  output(): string;
  /** Resolves when the child has exited, with its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** Stops the whole group (SIGTERM, then SIGKILL after `graceMs`) and resolves when the child has exited. */
  stop(graceMs?: number): Promise<void>;
}

function startChild(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, logFile?: string): { child: ChildProcess; handle: Child } {
  // detached: the child leads a new process group (setsid), so stopping it stops its children too.
  const child = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
    if (logFile) writeFileSync(logFile, chunk, { flag: 'a' });
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // The group is gone already.
    }
  };
  return {
    child,
    handle: {
      name,
      pid: child.pid ?? -1,
      output: () => output,
      exited,
      async stop(graceMs = 5000) {
        if (child.exitCode !== null || child.signalCode !== null) {
          signalGroup('SIGKILL'); // grandchildren, if any outlived it
          return;
        }
        signalGroup('SIGTERM');
        const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
        signalGroup('SIGKILL');
      },
    },
  };
}

/** Resolves with the first match of `pattern` in the child's output, or rejects when it exits or time runs out. */
function waitForOutput(child: ChildProcess, handle: Child, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolveMatch, reject) => {
    const check = () => {
      const match = pattern.exec(handle.output());
      if (match) {
        cleanup();
        resolveMatch(match);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`${handle.name} exited (${code}) before it was ready:\n${handle.output()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${handle.name} was not ready within ${timeoutMs / 1000} s:\n${handle.output()}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.stderr?.off('data', check);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', onExit);
    check();
  });
}

export interface PlaygroundOptions {
  /** Portier's port (default: PORT of the environment "playground", 3978); 0 picks a free one. */
  portierPort?: number;
  /** The Playground's port (default 56150); 0 picks a free one. */
  playgroundPort?: number;
  /** Overrides the environment's DATABASE_URL (tests: a fresh database). */
  databaseUrl?: string;
  /** The Playground's current user (UPN or mail). */
  user?: string;
  /** Where the configuration and the logs go (default `./devTools`, ignored by git). */
  workDir?: string;
  /** More server settings (tests: a short PORTIER_JOB_INTERVAL_MS). */
  serverEnv?: Record<string, string>;
  /** How long each may take to start. */
  startTimeoutMs?: number;
}

export interface PlaygroundRun {
  portierUrl: string;
  playgroundUrl: string;
  configPath: string;
  config: PlaygroundConfig;
  portier: Child;
  playground: Child;
  stop(): Promise<void>;
}

/** Starts Portier, writes the Playground's configuration from its directory, starts the Playground. */
export async function startPlayground(options: PlaygroundOptions = {}): Promise<PlaygroundRun> {
  const workDir = resolve(options.workDir ?? join(ROOT, 'devTools'));
  mkdirSync(workDir, { recursive: true });
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const serverEnv = playgroundServerEnv();
  const portierPort = options.portierPort === 0 ? await freePort() : (options.portierPort ?? Number(serverEnv.PORT));
  const portierUrl = `http://127.0.0.1:${portierPort}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...serverEnv,
    PORT: String(portierPort),
    PUBLIC_URL: `http://localhost:${portierPort}`,
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...options.serverEnv,
  };
  if (env.DATABASE_URL?.startsWith('sqlite:')) mkdirSync(resolve(ROOT, env.DATABASE_URL.slice('sqlite:'.length), '..'), { recursive: true });

  // tsx as a loader of this very process (not its CLI, which would run the server in a grandchild).
  const portier = startChild('Portier', process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, join(ROOT, 'bot/index.ts')], env, join(workDir, 'portier.log'));
  const stopAll: Child[] = [portier.handle];
  const stop = async () => {
    await Promise.all(stopAll.map((c) => c.stop()));
  };
  try {
    await waitForOutput(portier.child, portier.handle, /Portier is running at (http:\/\/\S+)/, timeoutMs);
    const config = playgroundConfig(await readDemoDirectory(portierUrl), options.user ?? DEFAULT_PLAYGROUND_USER);
    const configPath = join(workDir, 'playground.config.yml');
    writeFileSync(configPath, playgroundConfigYaml(config));

    const playgroundPort = options.playgroundPort === 0 ? await freePort() : (options.playgroundPort ?? DEFAULT_PLAYGROUND_PORT);
    const cli = require.resolve('@microsoft/m365agentsplayground/cli.js');
    const playground = startChild(
      'Agents Playground',
      process.execPath,
      [cli, '--app-endpoint', `${portierUrl}/api/messages`, '--channel-id', 'msteams', '--port', String(playgroundPort), '--disable-telemetry'],
      {
        ...process.env,
        TEAMSAPPTESTER_BROWSER: 'none',
        M365_AGENTS_PLAYGROUND_CONFIG_PATH: configPath,
        M365_AGENTS_PLAYGROUND_LOGFILE: join(workDir, 'm365agentsplayground.log'),
      },
      join(workDir, 'playground.log'),
    );
    stopAll.push(playground.handle);
    // It falls back to a random port when the asked one is taken, and says which it took.
    const listening = await waitForOutput(playground.child, playground.handle, /Listening on (\d+)/, timeoutMs);
    return { portierUrl, playgroundUrl: `http://127.0.0.1:${listening[1]}`, configPath, config, portier: portier.handle, playground: playground.handle, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function parseArgs(argv: string[]): { user?: string } {
  const i = argv.findIndex((a) => a === '--as' || a === '--user');
  if (i >= 0 && !argv[i + 1]) throw new Error(`${argv[i]} needs a UPN, e.g. --as lee@contoso.test`);
  return { user: i >= 0 ? argv[i + 1] : process.env.PLAYGROUND_USER || undefined };
}

async function main(): Promise<void> {
  const { user } = parseArgs(process.argv.slice(2));
  const run = await startPlayground({
    user,
    portierPort: process.env.PORT ? Number(process.env.PORT) : undefined,
    playgroundPort: process.env.PLAYGROUND_PORT ? Number(process.env.PLAYGROUND_PORT) : undefined,
    databaseUrl: process.env.DATABASE_URL || undefined,
  });
  const me = run.config.currentUser;
  console.log(`
Portier            ${run.portierUrl}   (logs: devTools/portier.log)
Agents Playground  ${run.playgroundUrl}   <- open this in your browser

You are ${me.name} (${me.email}). Type "help" in the personal chat to see what Portier does.
Then, in another terminal, let a Fabrikam partner request the hidden Project Falcon package (README, "Try the bot")
and approve the card that arrives in your chat.   Ctrl+C stops both.`);
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    run.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  // One without the other is of no use: when either ends, both go.
  void Promise.race([run.portier.exited.then(() => run.portier), run.playground.exited.then(() => run.playground)]).then((ended) => {
    if (stopping) return;
    console.error(`${ended.name} stopped:\n${ended.output().slice(-2000)}`);
    stopping = true;
    run.stop().then(
      () => process.exit(1),
      () => process.exit(1),
    );
  });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
