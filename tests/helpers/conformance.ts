import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';

/**
 * Graph v1.0 conformance of response bodies, checked against Microsoft's published typings
 * (`@microsoft/microsoft-graph-types`, one interface per Graph type, string-literal unions for enums).
 *
 * `checkGraphResponse(body)` finds the body's type from its `@odata.context` (walking entity sets and
 * navigation properties of the typings), then checks every value: no property the type (or the derived
 * type its `@odata.type` names) lacks, JSON types and enum members right, `@odata.type` only naming the
 * expected type or one derived from it. A derived value without `@odata.type` shows up as unknown
 * properties of the base type (a user presented as a plain `directoryObject`).
 *
 * The typings are 2 MB; the model built from them is cached as JSON in the temp directory, keyed by the
 * typings' version and this file's text, so each test file loads it in milliseconds.
 */

export type TypeExpr =
  | { k: 'string' | 'number' | 'boolean' | 'any' | 'null' }
  | { k: 'ref'; name: string }
  | { k: 'array'; of: TypeExpr }
  | { k: 'union'; of: TypeExpr[] }
  | { k: 'literal'; value: string };

export interface TypeModel {
  interfaces: Record<string, { base: string | null; props: Record<string, TypeExpr> }>;
  enums: Record<string, string[]>;
}

/**
 * What Graph v1.0 returns beyond its typings, per Graph type, each with its reason. Keep it short: anything
 * else the typings lack is a beta-only or made-up property and must not be served on v1.0.
 */
export const beyondTypings: Record<string, Record<string, string>> = {
  group: {
    resourceProvisioningOptions: 'Graph v1.0 returns it on groups (["Team"] for a team) and documents it on the group resource, but the typings omit it',
  },
  accessPackageSubject: {
    subjectLifecycle: 'Graph v1.0 documents and returns it on accessPackageSubject (PATCH subjects(objectId=…) sets it); the typings predate it',
  },
};

/** Navigations Graph v1.0 serves beyond the typings, each with its reason. */
export const navigationsBeyondTypings: Record<string, Record<string, { type: string; collection: boolean; reason: string }>> = {
  EntitlementManagement: {
    subjects: {
      type: 'AccessPackageSubject',
      collection: true,
      reason: "Graph v1.0 documents PATCH /identityGovernance/entitlementManagement/subjects(objectId='…') (accessPackageSubject update); the typings omit the set",
    },
  },
};

/** Entity sets and singletons at the service root that Portier serves, and their types. */
const roots: Record<string, string> = {
  users: 'User',
  me: 'User',
  groups: 'Group',
  organization: 'Organization',
  sites: 'Site',
  invitations: 'Invitation',
  directoryObjects: 'DirectoryObject',
  identityGovernance: 'IdentityGovernance',
  auditLogs: 'AuditLogRoot',
  roleManagement: 'RoleManagement',
};

const typingsPath = require.resolve('@microsoft/microsoft-graph-types/microsoft-graph.d.ts');

let cached: TypeModel | undefined;

/** The model of the typings (built once, then read from the temp-directory cache). */
export function graphTypeModel(): TypeModel {
  if (cached) return cached;
  const version = (JSON.parse(readFileSync(require.resolve('@microsoft/microsoft-graph-types/package.json'), 'utf8')) as { version: string }).version;
  const key = createHash('sha256').update(version).update(readFileSync(__filename)).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'portier-graph-types');
  const file = join(dir, `model-${key}.json`);
  if (existsSync(file)) {
    cached = JSON.parse(readFileSync(file, 'utf8')) as TypeModel;
    return cached;
  }
  cached = buildModel(readFileSync(typingsPath, 'utf8'));
  mkdirSync(dir, { recursive: true });
  // Written under another name, then renamed: parallel jest workers never read half a file.
  const temp = `${file}.${process.pid}`;
  writeFileSync(temp, JSON.stringify(cached));
  renameSync(temp, file);
  return cached;
}

/** Reads the top-level interfaces and string-literal unions (the `microsoft.graph` namespace) with the TypeScript parser. */
export function buildModel(text: string): TypeModel {
  const source = ts.createSourceFile('microsoft-graph.d.ts', text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const model: TypeModel = { interfaces: {}, enums: {} };
  for (const statement of source.statements) {
    if (ts.isInterfaceDeclaration(statement)) {
      const base = statement.heritageClauses?.flatMap((h) => h.types.map((t) => t.expression.getText(source)))[0] ?? null;
      const props: Record<string, TypeExpr> = {};
      for (const member of statement.members) {
        if (!ts.isPropertySignature(member) || !member.type) continue;
        const name = ts.isStringLiteral(member.name) ? member.name.text : member.name.getText(source);
        props[name] = typeOf(member.type, source);
      }
      model.interfaces[statement.name.text] = { base, props };
    } else if (ts.isTypeAliasDeclaration(statement) && ts.isUnionTypeNode(statement.type)) {
      const members = statement.type.types.flatMap((t) => (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal) ? [t.literal.text] : []));
      if (members.length === statement.type.types.length) model.enums[statement.name.text] = members;
    } else if (ts.isTypeAliasDeclaration(statement) && ts.isLiteralTypeNode(statement.type) && ts.isStringLiteral(statement.type.literal)) {
      model.enums[statement.name.text] = [statement.type.literal.text];
    }
  }
  return model;
}

function typeOf(node: ts.TypeNode, source: ts.SourceFile): TypeExpr {
  if (ts.isArrayTypeNode(node)) return { k: 'array', of: typeOf(node.elementType, source) };
  if (ts.isParenthesizedTypeNode(node)) return typeOf(node.type, source);
  if (ts.isUnionTypeNode(node)) return { k: 'union', of: node.types.map((t) => typeOf(t, source)) };
  if (ts.isLiteralTypeNode(node)) {
    if (node.literal.kind === ts.SyntaxKind.NullKeyword) return { k: 'null' };
    if (ts.isStringLiteral(node.literal)) return { k: 'literal', value: node.literal.text };
  }
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword:
      return { k: 'string' };
    case ts.SyntaxKind.NumberKeyword:
      return { k: 'number' };
    case ts.SyntaxKind.BooleanKeyword:
      return { k: 'boolean' };
    case ts.SyntaxKind.NullKeyword:
      return { k: 'null' };
    default:
      break;
  }
  if (ts.isTypeReferenceNode(node)) {
    const name = node.typeName.getText(source);
    if (name === 'NullableOption' && node.typeArguments?.length === 1) return { k: 'union', of: [typeOf(node.typeArguments[0], source), { k: 'null' }] };
    if (name === 'Array' && node.typeArguments?.length === 1) return { k: 'array', of: typeOf(node.typeArguments[0], source) };
    return { k: 'ref', name };
  }
  return { k: 'any' };
}

/** `accessPackageSubject` → `AccessPackageSubject`: Graph type names to the typings' interface names. */
export function interfaceName(graphType: string): string {
  const bare = graphType.replace(/^#?microsoft\.graph\./, '');
  return bare.charAt(0).toUpperCase() + bare.slice(1);
}

function graphTypeName(interfaceName: string): string {
  return interfaceName.charAt(0).toLowerCase() + interfaceName.slice(1);
}

export class GraphConformance {
  constructor(private readonly model: TypeModel = graphTypeModel()) {}

  /** The property's type on `type` or one of its bases. */
  private property(type: string, name: string): TypeExpr | undefined {
    for (let current: string | null = type; current; current = this.model.interfaces[current]?.base ?? null) {
      const prop = this.model.interfaces[current]?.props[name];
      if (prop) return prop;
    }
    return undefined;
  }

  private derivesFrom(type: string, base: string): boolean {
    for (let current: string | null = type; current; current = this.model.interfaces[current]?.base ?? null) if (current === base) return true;
    return false;
  }

  /**
   * The type of a response body from its `@odata.context`, e.g. `…/$metadata#identityGovernance/entitlementManagement/
   * accessPackages('…')/assignmentPolicies` → collection of AccessPackageAssignmentPolicy. Throws for a context
   * that names nothing in Graph v1.0.
   */
  contextType(context: string): { type: string; collection: boolean } {
    const fragment = context.slice(context.indexOf('#') + 1);
    const collectionOf = /^Collection\(microsoft\.graph\.(\w+)\)$/.exec(fragment);
    if (collectionOf) return { type: interfaceName(collectionOf[1]), collection: true };
    const bareType = /^microsoft\.graph\.(\w+)$/.exec(fragment);
    if (bareType) return { type: interfaceName(bareType[1]), collection: false };
    // Key segments ('id'), select lists (a,b) and casts (/microsoft.graph.user) do not change the entity set walked.
    const segments = fragment.replace(/\([^)]*\)/g, '').split('/').filter((s) => s !== '' && !s.startsWith('microsoft.graph.'));
    let entity = segments.at(-1) === '$entity';
    if (entity) segments.pop();
    const [first, ...rest] = segments;
    let type = roots[first ?? ''];
    if (!type) throw new Error(`@odata.context '${context}' starts at '${first}', which is not an entity set or singleton Portier serves`);
    let collection = first !== 'me' && first !== 'identityGovernance' && first !== 'auditLogs' && first !== 'roleManagement';
    for (const segment of rest) {
      const extra = navigationsBeyondTypings[type]?.[segment];
      if (extra) {
        type = extra.type;
        collection = extra.collection;
        continue;
      }
      const prop = this.property(type, segment);
      if (!prop) throw new Error(`@odata.context '${context}': '${segment}' is not a navigation property of microsoft.graph.${graphTypeName(type)}`);
      const element = elementOf(prop);
      if (!element) throw new Error(`@odata.context '${context}': '${segment}' is not an entity or entity collection`);
      type = element.name;
      collection = element.collection;
    }
    if (entity) collection = false;
    return { type, collection };
  }

  /** Every way `body` departs from Graph v1.0; empty when it conforms. */
  checkResponse(body: unknown): string[] {
    if (!isObject(body) || typeof body['@odata.context'] !== 'string') return [];
    const problems: string[] = [];
    let root: { type: string; collection: boolean };
    try {
      root = this.contextType(body['@odata.context']);
    } catch (error) {
      return [(error as Error).message];
    }
    if (root.collection) {
      if (!Array.isArray(body.value)) return [`a collection response (${body['@odata.context']}) has no value array`];
      body.value.forEach((item, i) => this.checkValue(item, { k: 'ref', name: root.type }, `value[${i}]`, problems));
      for (const key of Object.keys(body)) if (!['@odata.context', '@odata.count', '@odata.nextLink', '@odata.deltaLink', 'value'].includes(key)) problems.push(`unexpected member '${key}' of a collection response`);
    } else {
      this.checkValue(body, { k: 'ref', name: root.type }, '$', problems);
    }
    return problems;
  }

  checkValue(value: unknown, type: TypeExpr, path: string, problems: string[]): void {
    const failures: string[] = [];
    if (this.matches(value, type, path, failures)) return;
    problems.push(...failures);
  }

  /** True when `value` fits `type`; otherwise the reasons go to `problems`. */
  private matches(value: unknown, type: TypeExpr, path: string, problems: string[]): boolean {
    switch (type.k) {
      case 'any':
        return true;
      case 'null':
        return value === null || fail(problems, `${path}: expected null, got ${describe(value)}`);
      case 'string':
      case 'number':
      case 'boolean':
        return typeof value === type.k || fail(problems, `${path}: expected a ${type.k}, got ${describe(value)}`);
      case 'literal':
        return value === type.value || fail(problems, `${path}: expected '${type.value}', got ${describe(value)}`);
      case 'array':
        if (!Array.isArray(value)) return fail(problems, `${path}: expected an array, got ${describe(value)}`);
        return value.map((item, i) => this.matches(item, type.of, `${path}[${i}]`, problems)).every(Boolean);
      case 'union': {
        if (value === null) return type.of.some((t) => t.k === 'null') || fail(problems, `${path}: null is not allowed`);
        const candidates = type.of.filter((t) => t.k !== 'null');
        if (candidates.length === 1) return this.matches(value, candidates[0], path, problems);
        for (const candidate of candidates) if (this.matches(value, candidate, path, [])) return true;
        return fail(problems, `${path}: ${describe(value)} fits none of the allowed types`);
      }
      case 'ref': {
        const members = this.model.enums[type.name];
        if (members) {
          if (typeof value !== 'string') return fail(problems, `${path}: expected a ${graphTypeName(type.name)} value (string), got ${describe(value)}`);
          // Flag enums are written "a,b".
          return value.split(',').every((v) => members.includes(v.trim())) || fail(problems, `${path}: '${value}' is not a member of ${graphTypeName(type.name)} (${members.join(', ')})`);
        }
        if (!this.model.interfaces[type.name]) return true; // a type outside the model (e.g. another namespace): not judged
        return this.matchesObject(value, type.name, path, problems);
      }
    }
  }

  private matchesObject(value: unknown, expected: string, path: string, problems: string[]): boolean {
    if (!isObject(value)) return fail(problems, `${path}: expected a microsoft.graph.${graphTypeName(expected)} object, got ${describe(value)}`);
    let actual = expected;
    const odataType = value['@odata.type'];
    if (odataType !== undefined) {
      if (typeof odataType !== 'string' || !/^#microsoft\.graph\.\w+$/.test(odataType)) return fail(problems, `${path}: @odata.type ${describe(odataType)} is not '#microsoft.graph.<type>'`);
      actual = interfaceName(odataType);
      if (!this.model.interfaces[actual]) return fail(problems, `${path}: @odata.type '${odataType}' is not a Graph v1.0 type`);
      if (!this.derivesFrom(actual, expected)) return fail(problems, `${path}: @odata.type '${odataType}' is not microsoft.graph.${graphTypeName(expected)} nor derived from it`);
    }
    let ok = true;
    const allowed = beyondTypings[graphTypeName(actual)] ?? {};
    for (const [key, child] of Object.entries(value)) {
      if (key.startsWith('@') || key.includes('@odata.')) continue; // annotations
      const prop = this.property(actual, key);
      if (!prop) {
        if (key in allowed) continue;
        const hint = actual === expected && this.hasDerivedWith(actual, key) ? ' (a derived type? then say so with @odata.type)' : '';
        ok = fail(problems, `${path}.${key}: microsoft.graph.${graphTypeName(actual)} has no property '${key}' in Graph v1.0${hint}`);
        continue;
      }
      if (!this.matches(child, prop, `${path}.${key}`, problems)) ok = false;
    }
    return ok;
  }

  private hasDerivedWith(base: string, key: string): boolean {
    return Object.entries(this.model.interfaces).some(([name, def]) => key in def.props && name !== base && this.derivesFrom(name, base));
  }
}

function elementOf(type: TypeExpr): { name: string; collection: boolean } | undefined {
  if (type.k === 'ref') return { name: type.name, collection: false };
  if (type.k === 'array') {
    const inner = elementOf(type.of);
    return inner ? { name: inner.name, collection: true } : undefined;
  }
  if (type.k === 'union') {
    const nonNull = type.of.filter((t) => t.k !== 'null');
    return nonNull.length === 1 ? elementOf(nonNull[0]) : undefined;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function fail(problems: string[], message: string): false {
  problems.push(message);
  return false;
}

let shared: GraphConformance | undefined;

/** Loads the checker now (the test server does, at start), so no timed request of a test pays for it. */
export function preloadGraphConformance(): void {
  shared ??= new GraphConformance();
}

/**
 * Graph's error body: `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`
 * (optionally `target` and `details`), nothing else; empty when `body` is one.
 */
export function checkErrorBody(body: unknown): string[] {
  if (!isObject(body) || !isObject(body.error)) return ['an error response without an "error" object'];
  const problems: string[] = [];
  const extra = Object.keys(body).filter((k) => k !== 'error');
  if (extra.length > 0) problems.push(`unexpected members of an error response: ${extra.join(', ')}`);
  const { code, message, innerError, ...rest } = body.error;
  if (typeof code !== 'string' || code === '') problems.push('error.code must be a non-empty string');
  if (typeof message !== 'string') problems.push('error.message must be a string');
  for (const key of Object.keys(rest)) if (key !== 'target' && key !== 'details') problems.push(`error.${key} is not part of Graph's error body`);
  if (!isObject(innerError) || typeof innerError.date !== 'string' || typeof innerError['request-id'] !== 'string') problems.push('error.innerError must carry date and request-id');
  return problems;
}

/**
 * Throws when a Graph response body departs from Graph v1.0. Used by the test server's `graph()` for every
 * response an API test sees: a 2xx JSON body carrying `@odata.context` against the typings, an error against
 * Graph's error body.
 */
export function assertGraphConformance(method: string, path: string, body: unknown, status = 200): void {
  shared ??= new GraphConformance();
  const problems = status >= 400 ? checkErrorBody(body) : shared.checkResponse(body);
  if (problems.length > 0) {
    throw new Error(`${method} ${path} answered with a body that is not Graph v1.0 (tests/helpers/conformance.ts):\n  ${problems.slice(0, 20).join('\n  ')}`);
  }
}
