import { z } from 'zod';

/**
 * What Portier needs of an incoming Bot Framework activity, checked before botbuilder sees it: a
 * malformed activity gets 400 and nothing is written. Everything else an activity carries passes
 * through untouched (`looseObject`).
 */
const account = z.looseObject({ id: z.string().min(1).max(1024), name: z.string().max(1024).optional(), aadObjectId: z.string().max(128).optional() });

export const activitySchema = z.looseObject({
  type: z.string().min(1).max(64),
  id: z.string().max(1024).optional(),
  replyToId: z.string().max(1024).optional(),
  serviceUrl: z
    .string()
    .max(2048)
    .refine((v) => /^https?:\/\/[^\s]+$/i.test(v), 'serviceUrl must be an http(s) URL'),
  channelId: z.string().min(1).max(64),
  from: account,
  recipient: account,
  conversation: z.looseObject({ id: z.string().min(1).max(1024), conversationType: z.string().max(64).optional(), tenantId: z.string().max(128).optional(), isGroup: z.boolean().optional() }),
  text: z.string().max(28_000).optional(),
  locale: z.string().max(32).optional(),
  name: z.string().max(256).optional(),
  value: z.unknown().optional(),
  action: z.string().max(64).optional(),
  channelData: z
    .looseObject({
      tenant: z.looseObject({ id: z.string().max(128) }).optional(),
      team: z.looseObject({ id: z.string().max(1024), aadGroupId: z.string().max(128).optional() }).optional(),
    })
    .optional(),
});

export type IncomingActivity = z.infer<typeof activitySchema>;

/** The reason an activity is refused, naming the first offending field. */
export function describeActivityProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `Invalid activity: ${issue.path.join('.') || 'body'}: ${issue.message}` : 'Invalid activity.';
}
