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
    for (const route of this.routes) {
      const matched = matchSegments(route.segments, path);
      if (!matched) continue;
      pathMatched = true;
      if (route.method === method) return { handler: route.handler, ...matched };
    }
    if (pathMatched) throw new ValidationError(`The ${method} method is not supported on this resource.`, undefined, 'Request_BadRequest');
    throw new NotFoundError(`Resource not found for the segment '${path.at(-1) ?? ''}'.`, 'Request_ResourceNotFound');
  }
}

function matchSegments(pattern: Segment[], path: string[]): { params: Record<string, string>; functionArgs: Record<string, string> } | null {
  if (pattern.length !== path.length) return null;
  const params: Record<string, string> = {};
  let functionArgs: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const seg = pattern[i];
    const part = path[i];
    if (seg.kind === 'literal') {
      if (part.toLowerCase() !== seg.value) return null;
    } else if (seg.kind === 'param') {
      if (part === '' || part.includes('(')) return null;
      params[seg.name] = part;
    } else {
      const call = /^([A-Za-z]+)\((.*)\)$/.exec(part);
      if (!call || call[1].toLowerCase() !== seg.name) return null;
      functionArgs = parseFunctionArgs(call[2]);
    }
  }
  return { params, functionArgs };
}

function parseFunctionArgs(source: string): Record<string, string> {
  const args: Record<string, string> = {};
  if (source.trim() === '') return args;
  for (const part of source.split(',')) {
    const m = /^\s*([A-Za-z]+)\s*=\s*'((?:[^']|'')*)'\s*$/.exec(part);
    if (!m) throw new ValidationError(`Invalid function parameter '${part.trim()}'; use name='value'.`);
    args[m[1]] = m[2].replace(/''/g, "'");
  }
  return args;
}

export const ok = (body: unknown): GraphResponse => ({ status: 200, body });
export const created = (body: unknown): GraphResponse => ({ status: 201, body });
export const noContent = (): GraphResponse => ({ status: 204 });
