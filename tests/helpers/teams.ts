import { randomUUID } from 'node:crypto';
import { demo } from '../../bot/seed/tenant';

/** A Teams person as activities name them. */
export interface TeamsPerson {
  aadObjectId: string;
  mri: string;
  name: string;
  conversationId: string;
}

export function person(aadObjectId: string, name: string): TeamsPerson {
  return { aadObjectId, mri: `29:${aadObjectId}`, name, conversationId: `a:personal-${aadObjectId}` };
}

export const people = {
  ruth: person(demo.ruthGuest.id, 'Ruth Fabrikam'),
  lee: person(demo.users.lee.id, 'Lee Gu'),
  alex: person(demo.users.alex.id, 'Alex Wilber'),
  adele: person(demo.users.adele.id, 'Adele Vance'),
  megan: person(demo.users.megan.id, 'Megan Bowen'),
  admin: person(demo.users.admin.id, 'Portier Admin'),
};

export const botAccount = { id: '28:portier-bot', name: 'Portier' };

/** A personal-chat activity from `who`, as Teams sends it. */
export function activity(serviceUrl: string, who: TeamsPerson, fields: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'message',
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    serviceUrl,
    channelId: 'msteams',
    from: { id: who.mri, name: who.name, aadObjectId: who.aadObjectId },
    recipient: botAccount,
    conversation: { id: who.conversationId, conversationType: 'personal', tenantId: demo.contoso.id },
    channelData: { tenant: { id: demo.contoso.id } },
    locale: 'en-US',
    ...fields,
  };
}

/** An `adaptiveCard/action` invoke (Universal Actions) from `who`. */
export function invoke(serviceUrl: string, who: TeamsPerson, verb: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return activity(serviceUrl, who, { type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb, data } }, ...extra });
}

/** POSTs an activity to the bot; returns status and parsed body. */
export async function postActivity(baseUrl: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}
