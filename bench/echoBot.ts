import type { AddressInfo } from 'node:net';
import { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication, type TurnContext } from 'botbuilder';
import restify from 'restify';
import { readJsonBody } from '../bot/http/body';

/**
 * The baseline of the bot benchmark: a bare botbuilder echo bot on the same restify set-up as Portier
 * (same server options, the same body reader, botbuilder's `CloudAdapter` without credentials as in
 * dev mode). A message is answered with its text through the connector (`sendActivity` → POST to the
 * activity's serviceUrl); an `adaptiveCard/action` invoke is answered with a small card in the HTTP
 * response, as an approval is, but without any work behind it. It runs in its own process, as Portier
 * does: `node --import tsx bench/echoBot.ts` prints `Echo bot is running at <url>`.
 */
class EchoBot extends ActivityHandler {
  constructor() {
    super();
    this.onMessage(async (context, next) => {
      await context.sendActivity(`echo: ${context.activity.text ?? ''}`);
      await next();
    });
  }

  protected override async onInvokeActivity(context: TurnContext) {
    return {
      status: 200,
      body: {
        statusCode: 200,
        type: 'application/vnd.microsoft.card.adaptive',
        value: { type: 'AdaptiveCard', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', version: '1.5', body: [{ type: 'TextBlock', text: `echo: ${context.activity.name ?? ''}` }] },
      },
    };
  }
}

export async function startEchoBot(port = 0): Promise<{ url: string; close(): Promise<void> }> {
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  const bot = new EchoBot();
  const server = restify.createServer({ name: 'echo', handleUncaughtExceptions: false });
  server.post('/api/messages', (req: restify.Request, res: restify.Response, next: restify.Next) => {
    readJsonBody(req).then(
      (body) => {
        (req as unknown as { body: unknown }).body = body;
        return adapter.process(req, res, (context) => bot.run(context));
      },
      (error: unknown) => next(error as Error),
    ).then(
      () => next(),
      (error: unknown) => next(error as Error),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

if (require.main === module) {
  startEchoBot(Number(process.env.PORT ?? 0)).then(
    ({ url }) => process.stdout.write(`Echo bot is running at ${url}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
