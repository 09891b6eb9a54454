import { z } from 'zod';
import { description, displayName, graphObject, guid } from '../../graph/validate';

/**
 * Bodies of …/connectedOrganizations, after Graph v1.0. An organization is recognised by its identity
 * sources: an Entra tenant id, or an email domain (plain or federated).
 */
const domainName = z
  .string()
  .trim()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$/, 'must be a domain name such as fabrikam.com');
const sourceName = z.string().trim().min(1).max(256).optional();

function withHashedType(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const type = (value as Record<string, unknown>)['@odata.type'];
  if (typeof type === 'string' && type.startsWith('microsoft.graph.')) return { ...value, '@odata.type': `#${type}` };
  return value;
}

export const identitySource = z.preprocess(
  withHashedType,
  z.discriminatedUnion('@odata.type', [
    z.strictObject({ '@odata.type': z.literal('#microsoft.graph.domainIdentitySource'), domainName, displayName: sourceName }),
    z.strictObject({ '@odata.type': z.literal('#microsoft.graph.azureActiveDirectoryTenant'), tenantId: guid, displayName: sourceName }),
    z.strictObject({ '@odata.type': z.literal('#microsoft.graph.externalDomainFederation'), domainName, issuerUri: z.string().url().max(2048), displayName: sourceName }),
  ]),
);
export type IdentitySource = z.infer<typeof identitySource>;

const state = z.enum(['configured', 'proposed']);

/** POST …/connectedOrganizations. */
export const createConnectedOrganizationBody = graphObject('connectedOrganization', {
  displayName,
  description: description.nullable().optional(),
  identitySources: z.array(identitySource).min(1, 'needs at least one identity source').max(20),
  /** Defaults to `configured` for administrators and `proposed` for the people who may only propose (bot/policies). */
  state: state.optional(),
});

/** PATCH …/connectedOrganizations/{id}: identity sources are fixed once created, as in Graph v1.0. */
export const updateConnectedOrganizationBody = graphObject('connectedOrganization', {
  displayName: displayName.optional(),
  description: description.nullable().optional(),
  state: state.optional(),
});

export type CreateConnectedOrganizationInput = z.infer<typeof createConnectedOrganizationBody>;
export type UpdateConnectedOrganizationInput = z.infer<typeof updateConnectedOrganizationBody>;
