import type { CommandContext } from '../context';
import { NotFoundError, ValidationError } from '../domain/errors';
import type { RawQueryOptions } from './odata/parse';

/** One call into the embedded Graph, as handlers see it. */
export interface GraphRequest {
  method: string;
  /** Values of `{name}` segments of the route pattern. */
  params: Record<string, string>;
  /** Arguments of a function segment such as `filterByCurrentUser(on='target')`. */
  functionArgs: Record<string, string>;
  options: RawQueryOptions;
  body: unknown;
  /** The URL as the client called it (for @odata.nextLink). */
  url: URL;
  /** `https://host/graph/v1.0`: base for @odata.context and @odata.id. */
  serviceRoot: string;
  /** The request's `Prefer` header (OData preferences, such as `return=representation`), if any. */
  prefer?: string;
  ctx: CommandContext;
}

export interface GraphResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: GraphRequest) => Promise<GraphResponse>;

type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'function'; name: string };

interface Route {
  method: string;
  segments: Segment[];
  handler: Handler;
}

/**
 * A small router for Graph paths. Segments match case-insensitively like Graph's, and function
 * segments (`filterByCurrentUser(on='…')`, `subjects(objectId='…')`) carry their arguments.
 * restify's router cannot express those, so restify hands every `/graph/v1.0/*` call here.
 */
export class GraphRouter {
  private readonly routes: Route[] = [];

  /** `pattern` like `identityGovernance/entitlementManagement/catalogs/{id}` or `…/filterByCurrentUser()`. */
  add(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', pattern: string, handler: Handler): this {
    const segments = pattern.split('/').map((part): Segment => {
      if (part.startsWith('{') && part.endsWith('}')) return { kind: 'param', name: part.slice(1, -1) };
      if (part.endsWith('()')) return { kind: 'function', name: part.slice(0, -2).toLowerCase() };
      return { kind: 'literal', value: part.toLowerCase() };
    });
    this.routes.push({ method, segments, handler });
    return this;
  }

  /** Finds the handler for `method` and decoded path segments; 404/405 as Graph answers them. */
  match(method: string, path: string[]): { handler: Handler; params: Record<string, string>; functionArgs: Record<string, string> } {
    let pathMatched = false;
    // Literal segments compare case-insensitively: the path in lower case once, not per route tried.
    const lower = path.map((part) => part.toLowerCase());
    for (const route of this.routes) {
      const matched = matchSegments(route.segments, path, lower);
      if (!matched) continue;
      pathMatched = true;
      if (route.method === method) {
        checkIds(route.segments, matched.params);
        return { handler: route.handler, ...matched };
      }
    }
    if (pathMatched) throw new ValidationError(`The ${method} method is not supported on this resource.`, undefined, 'Request_BadRequest');
    throw new NotFoundError(`Resource not found for the segment '${path.at(-1) ?? ''}'.`, 'Request_ResourceNotFound');
  }
}

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Path ids that are not GUIDs in Graph: a user is addressed by id or userPrincipalName, a site by its
 * composite id (`host,siteCollectionId,webId`), a directory audit by ids such as `Directory_…`.
 * Keyed by the (lower-cased) literal segment before the parameter.
 */
const nonGuidParams = new Set(['users/id', 'sites/siteId', 'directoryaudits/id']);

/**
 * Every other `{…}` of a path is a GUID, as in Graph: a malformed one is a 400 (the request cannot
 * name anything), a well-formed one that names nothing the caller may see stays a 404.
 */
function checkIds(pattern: Segment[], params: Record<string, string>): void {
  pattern.forEach((seg, i) => {
    if (seg.kind !== 'param') return;
    const before = pattern[i - 1];
    if (before?.kind === 'literal' && nonGuidParams.has(`${before.value}/${seg.name}`)) return;
    const value = params[seg.name];
    if (!guidPattern.test(value)) throw new ValidationError(`Invalid object identifier '${value}'.`, seg.name, 'Request_BadRequest');
  });
}

function matchSegments(pattern: Segment[], path: string[], lower: string[]): { params: Record<string, string>; functionArgs: Record<string, string> } | null {
  if (pattern.length !== path.length) return null;
  // Literals first: most routes of the same length differ in one, and fail here without building anything.
  for (let i = 0; i < pattern.length; i++) {
    const seg = pattern[i];
    if (seg.kind === 'literal' && lower[i] !== seg.value) return null;
  }
  const params: Record<string, string> = {};
  let functionArgs: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const seg = pattern[i];
    const part = path[i];
    if (seg.kind === 'literal') {
      continue;
    } else if (seg.kind === 'param') {
      if (part === '' || part.includes('(')) return null;
      params[seg.name] = part;
    } else {
      const call = /^([A-Za-z]+)\((.*)\)$/.exec(part);
      if (!call || call[1].toLowerCase() !== seg.name) return null;
      functionArgs = parseFunctionArgs(call[2], seg.name);
    }
  }
  return { params, functionArgs };
}

/**
 * The parameters of each function Graph defines on these paths: an argument that is not one of them,
 * or given twice, is refused (Graph answers 400) rather than ignored.
 */
const functionParameters: Readonly<Record<string, readonly string[]>> = {
  filterbycurrentuser: ['on'],
  additionalaccess: ['accessPackageId', 'incompatibleAccessPackageId'],
  subjects: ['objectId'],
};

function parseFunctionArgs(source: string, functionName: string): Record<string, string> {
  const args: Record<string, string> = {};
  if (source.trim() === '') return args;
  const allowed = functionParameters[functionName] ?? [];
  for (const part of splitArguments(source)) {
    const m = /^\s*([A-Za-z]+)\s*=\s*'((?:[^']|'')*)'\s*$/.exec(part);
    if (!m) throw new ValidationError(`Invalid function parameter '${part.trim()}'; use name='value'.`);
    const name = allowed.find((p) => p.toLowerCase() === m[1].toLowerCase());
    if (!name) throw new ValidationError(`'${m[1]}' is not a parameter of function '${functionName}'${allowed.length > 0 ? `; expected ${allowed.join(', ')}` : ''}.`, m[1]);
    if (name in args) throw new ValidationError(`Function parameter '${name}' is given more than once.`, name);
    args[name] = m[2].replace(/''/g, "'");
  }
  return args;
}

/** Splits `a='x,y',b='z'` on the commas outside quotes. */
function splitArguments(source: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    if (source[i] === "'") quoted = !quoted;
    else if (source[i] === ',' && !quoted) {
      parts.push(source.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(source.slice(start));
  return parts;
}

export const ok = (body: unknown): GraphResponse => ({ status: 200, body });
export const created = (body: unknown): GraphResponse => ({ status: 201, body });
export const noContent = (): GraphResponse => ({ status: 204 });

/** Whether the caller asked for the changed entity in the answer (OData `Prefer: return=representation`). */
export const prefersRepresentation = (req: Pick<GraphRequest, 'prefer'>): boolean =>
  !!req.prefer && req.prefer.split(',').some((p) => p.trim().toLowerCase() === 'return=representation');
