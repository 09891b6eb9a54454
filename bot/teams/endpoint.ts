import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Activity } from 'botbuilder';
import type { Logger } from 'pino';
import { DomainError } from '../domain/errors';
import { readJsonBody } from '../http/body';
import { activitySchema, describeActivityProblem } from './activity';
import { BotFramework } from './adapter';
import { type AfterReply, afterReplyKey, type PortierBot } from './bot';

/**
 * `POST /api/messages`: the HTTP edge of the bot. In order: a JSON body (≤ 1 MB) → a well-formed
 * activity (400 otherwise, nothing written) → authenticated by botbuilder (401 for a missing,
 * forged, expired or unverifiable token; the key service gets `authenticationTimeoutMs`) → the
 * activity handler → the invoke response, if any. Without `BOT_ID` (dev mode) only loopback callers
 * are served: the server binds loopback then anyway, this is the second lock.
 */
export async function handleMessages(framework: BotFramework, bot: PortierBot, log: Logger, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body: unknown;
  try {
    body = await readJsonBody(req);
  } catch (error) {
    if (error instanceof DomainError) return reply(res, error.kind === 'tooLarge' ? 413 : 400, { error: { code: error.code, message: error.message } });
    throw error;
  }
  const parsed = activitySchema.safeParse(body);
  if (!parsed.success) return reply(res, 400, { error: { code: 'BadRequest', message: describeActivityProblem(parsed.error) } });
  const activity = parsed.data as unknown as Activity;

  if (framework.anonymous && !isLoopback(req.socket.remoteAddress)) {
    return reply(res, 401, { error: { code: 'Unauthorized', message: 'Unauthenticated activities are accepted from this machine only (dev mode).' } });
  }
  let auth;
  try {
    auth = await framework.authenticate(activity, String(req.headers.authorization ?? ''));
  } catch (error) {
    log.warn({ reason: error instanceof Error ? error.message : String(error), channelId: activity.channelId, type: activity.type }, 'bot activity refused: not authenticated');
    return reply(res, 401, { error: { code: 'Unauthorized', message: 'The activity does not carry a valid Bot Framework token.' } });
  }
  const after: AfterReply = [];
  const result = await framework.adapter.runActivity(auth, activity, (context) => {
    context.turnState.set(afterReplyKey, after);
    return bot.run(context);
  });
  if (result) reply(res, result.status, result.body);
  else reply(res, 200, undefined);
  // After the answer (a card click's updates of the other approvers' cards): never delays it, never fails it.
  for (const task of after) task().catch((error: unknown) => log.error({ err: error }, 'work after the bot answered failed'));
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function isLoopback(address: string | undefined): boolean {
  return !!address && (address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'));
}
