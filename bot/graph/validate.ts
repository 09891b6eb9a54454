import { z } from 'zod';
import { ValidationError } from '../domain/errors';

/**
 * Validates a request body against a Graph shape. The first problem becomes a `ValidationError`
 * that names the field, the way Graph does: unknown property, missing property, wrong type, wrong enum.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, typeName: string): z.infer<S> {
  if (body === undefined || body === null) throw new ValidationError('A request body is required.', undefined, 'BadRequest');
  // reportInput tells a missing property (no input) from one of the wrong type.
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.map(String).join('.');
  throw new ValidationError(describe(issue, path, typeName), path || undefined, 'BadRequest');
}

function describe(issue: z.core.$ZodIssue, path: string, typeName: string): string {
  const where = path ? `'${path}'` : 'the request body';
  switch (issue.code) {
    case 'unrecognized_keys': {
      const name = [path, issue.keys[0]].filter(Boolean).join('.');
      return `Property '${name}' does not exist on type 'microsoft.graph.${typeName}' or is read-only.`;
    }
    case 'invalid_type':
      if (issue.input === undefined && path) return `Property '${path}' is required.`;
      return `Invalid value for ${where}: expected ${issue.expected}.`;
    case 'invalid_value':
      return `Invalid value for ${where}: expected one of ${issue.values.map((v) => String(v)).join(', ')}.`;
    case 'invalid_union':
      return `Invalid value for ${where}: it matches none of the allowed shapes${path.endsWith('@odata.type') ? '' : ' (check its @odata.type)'}.`;
    default:
      return `Invalid value for ${where}: ${issue.message}.`;
  }
}

/** A Graph object shape: unknown properties are refused, `@odata.type` of the type itself is allowed. */
export function graphObject<T extends z.ZodRawShape>(typeName: string, shape: T) {
  return z.strictObject({ ...shape, '@odata.type': z.literal(`#microsoft.graph.${typeName}`).optional() });
}

/** ISO 8601 duration such as P90D, PT4H, PT30S (seconds are fine: demos use them). Bounds per field: `boundedDuration`. */
export const isoDuration = z
  .string()
  .regex(/^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/, 'must be an ISO 8601 duration such as P90D or PT1H');

export const dateTimeOffset = z.string().refine((v) => !Number.isNaN(Date.parse(v)) && /^\d{4}-\d{2}-\d{2}T/.test(v), 'must be an ISO 8601 date and time');

export const guid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a GUID');

/** Text fields get a sane upper bound so nobody stores a megabyte in a display name. */
export const displayName = z.string().trim().min(1, 'must not be empty').max(256, 'must be at most 256 characters');
export const description = z.string().max(2048, 'must be at most 2048 characters');

/** `{"@odata.id": "https://graph.microsoft.com/v1.0/users/{id}"}` of a `$ref` POST; returns the last segment. */
export const odataRef = z.strictObject({ '@odata.id': z.string().min(1) });

export function idFromODataRef(body: unknown, collection: string): string {
  const ref = parseBody(odataRef, body, 'reference')['@odata.id'];
  const match = new RegExp(`/${collection}/([^/?#()']+)|/${collection}\\('([^']+)'\\)`, 'i').exec(ref);
  const id = match?.[1] ?? match?.[2];
  if (!id) throw new ValidationError(`'@odata.id' must point at ${collection}/{id}.`, '@odata.id');
  return decodeURIComponent(id);
}
