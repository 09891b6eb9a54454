import { loadConfig } from './config';
import packageJson from '../package.json';

const { version } = packageJson;

async function main(): Promise<void> {
  const result = loadConfig(process.env, version);
  if (!result.ok) {
    process.stderr.write(`Portier cannot start; fix the configuration:\n${result.errors.map((e) => `  - ${e}`).join('\n')}\n`);
    process.exit(1);
  }
  // The server (and botbuilder with it) is loaded only for a valid configuration: a bad one is reported at once.
  const { startPortier } = await import('./server');
  const portier = await startPortier(result.config);
  const stop = () => {
    portier.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (result.config.authMode === 'dev') {
    process.stdout.write(`\nPortier is running at ${portier.url}  (dev sign-in: POST ${portier.url}/api/dev/token {"upn":"admin@contoso.test"})\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`Portier failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
