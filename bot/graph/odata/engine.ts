import { Kysely, RawBuilder, sql } from 'kysely';
import { ValidationError } from '../../domain/errors';
import { deadlineGuard } from '../../store/deadline';
import type { Database } from '../../store/schema';
import { EntityDef, NavDef, PropDef, PropKind, entity as entityOf } from './model';
import {
  ExpandItem,
  FilterExpression,
  Literal,
  Operand,
  OrderByItem,
  RawQueryOptions,
  parseExpand,
  parseFilter,
  parseOrderBy,
  parseSelect,
} from './parse';

/**
 * Runs OData queries against the store: `$filter` and `$orderby` become SQL (so indexes do the
 * work), `$top`/`$skiptoken` page in SQL, `$expand` loads each navigation for a whole page in one
 * query, and rows become Graph JSON here and nowhere else.
 */

type Row = Record<string, unknown>;
type Db = Kysely<Database>;
type Condition = RawBuilder<unknown>;

/**
 * `sql.ref` / `sql.table`, kept per name: Kysely parses the name into frozen nodes on every call
 * (a few µs each, and a scoped read uses a hundred or more). The builders are immutable, so one per
 * name serves every query; names come from the model and the read rules, never from the request.
 */
const refs = new Map<string, RawBuilder<unknown>>();
const tables = new Map<string, RawBuilder<unknown>>();
const maxNames = 10_000;

export function ref(name: string): RawBuilder<unknown> {
  let value = refs.get(name);
  if (!value) {
    value = sql.ref(name);
    if (refs.size < maxNames) refs.set(name, value);
  }
  return value;
}

export function table(name: string): RawBuilder<unknown> {
  let value = tables.get(name);
  if (!value) {
    value = sql.table(name);
    if (tables.size < maxNames) tables.set(name, value);
  }
  return value;
}

export const defaultPageSize = 100;
export const maxPageSize = 999;
/** The furthest a page may start: far beyond any collection, and within every database's integers. */
export const maxOffset = 2 ** 31 - 1;

/** A condition on the rows of `alias`, e.g. the caller's visibility or the parent of a nested collection. */
export type Scope = (alias: string) => Condition;

/** An object addressed by id (or a single-valued navigation), or a collection. */
export type Cardinality = 'one' | 'many';

/**
 * Who may read which rows of an entity (bot/policies/visibility.ts). The engine asks it for every
 * level it loads — the root and each `$expand` — so nothing is read past the caller's rights;
 * undefined means every row.
 */
export interface Visibility {
  scope(entity: EntityDef, cardinality: Cardinality): Promise<Scope | undefined>;
}

/** For code that reads as Portier itself (tests of the engine, benchmarks): every row. */
export const unrestricted: Visibility = { scope: async () => undefined };

function both(a: Scope | undefined, b: Scope | undefined): Scope | undefined {
  if (!a) return b;
  if (!b) return a;
  return (alias) => sql`(${a(alias)}) and (${b(alias)})`;
}

export interface CollectionQuery {
  entity: EntityDef;
  options: RawQueryOptions;
  /** The path's restriction (e.g. the parent of a nested collection); the caller's visibility is added. */
  scope?: Scope;
  visibility: Visibility;
  /** `@odata.context` of the response. */
  context: string;
  /** The URL the client called; `@odata.nextLink` keeps its path and options. */
  requestUrl: URL;
}

export interface CollectionPage {
  '@odata.context': string;
  '@odata.count'?: number;
  value: Row[];
  '@odata.nextLink'?: string;
}

/** Reads `$…` options from a query string; unknown system options are refused like Graph does. */
export function readQueryOptions(query: URLSearchParams): RawQueryOptions {
  const options: RawQueryOptions = {};
  const known = new Set(['filter', 'select', 'expand', 'orderby', 'top', 'skip', 'skiptoken', 'count', 'search', 'format']);
  for (const [rawKey, value] of query) {
    if (!rawKey.startsWith('$')) continue;
    const key = rawKey.slice(1).toLowerCase();
    if (!known.has(key)) throw new ValidationError(`Query option '${rawKey}' is not supported.`, rawKey);
    if (key === 'format') continue;
    if ((options as Record<string, string>)[key] !== undefined) throw new ValidationError(`Query option '${rawKey}' is given more than once.`, rawKey);
    (options as Record<string, string>)[key] = value;
  }
  return options;
}

/** Lists a collection page. Validates every option against the entity before any SQL runs. */
export async function listCollection(db: Db, query: CollectionQuery): Promise<CollectionPage> {
  const { entity, options } = query;
  if (options.search !== undefined) throw new ValidationError('$search is not supported on this collection; use $filter with contains().', '$search');
  const top = parseIntOption(options.top, '$top', 0, maxPageSize) ?? defaultPageSize;
  const skip = parseIntOption(options.skip, '$skip', 0, maxOffset) ?? 0;
  const offset = skip + decodeSkipToken(options.skiptoken);
  if (offset > maxOffset) throw new ValidationError(`$skip and $skiptoken together may skip at most ${maxOffset} items.`, '$skip');
  const count = parseCount(options.count);
  const plan = planQuery(entity, options);
  checkFanOut(plan, top);

  const alias = 't0';
  const where = whereClause(entity, alias, plan.filter, both(query.scope, await query.visibility.scope(entity, 'many')), await filterReadScopes(db, plan, query.visibility));
  const rows = (
    await sql<Row>`select ${ref(alias)}.* from ${table(entity.table)} as ${ref(alias)} where ${where} order by ${orderClause(entity, alias, plan.orderBy)} limit ${sql.lit(top + 1)} offset ${sql.lit(offset)}`.execute(db)
  ).rows;
  const page: CollectionPage = { '@odata.context': query.context, value: [] };
  if (count) {
    const counted = await sql<{ n: number | string }>`select count(*) as n from ${table(entity.table)} as ${ref(alias)} where ${where}`.execute(db);
    page['@odata.count'] = Number(counted.rows[0]?.n ?? 0);
  }
  // `$top=0` asks for the count alone; a nextLink would point at the same empty page forever.
  const hasMore = top > 0 && rows.length > top;
  page.value = await materialize(db, entity, rows.slice(0, top), plan, query.visibility);
  if (hasMore) page['@odata.nextLink'] = nextLink(query.requestUrl, offset + top);
  if (page['@odata.count'] !== undefined) {
    // Graph puts @odata.count before value.
    return { '@odata.context': page['@odata.context'], '@odata.count': page['@odata.count'], value: page.value, ...(hasMore ? { '@odata.nextLink': page['@odata.nextLink'] } : {}) };
  }
  return page;
}

/** Reads one entity by id, honouring `$select` and `$expand`; null when it does not exist within `scope` or may not be seen. */
export async function getEntity(db: Db, entity: EntityDef, id: string, options: RawQueryOptions, visibility: Visibility, pathScope?: Scope): Promise<Row | null> {
  for (const key of ['filter', 'orderby', 'top', 'skip', 'skiptoken', 'count', 'search'] as const) {
    if (options[key] !== undefined) throw new ValidationError(`Query option '$${key}' is not allowed when reading a single object.`, `$${key}`);
  }
  const plan = planQuery(entity, options);
  checkFanOut(plan, 1);
  const alias = 't0';
  const idCondition = sql`${ref(`${alias}.id`)} = ${id}`;
  const scope = both(pathScope, await visibility.scope(entity, 'one'));
  const where = scope ? sql`${idCondition} and (${scope(alias)})` : idCondition;
  const rows = (await sql<Row>`select ${ref(alias)}.* from ${table(entity.table)} as ${ref(alias)} where ${withFixed(entity, alias, where)}`.execute(db)).rows;
  if (rows.length === 0) return null;
  const [value] = await materialize(db, entity, rows, plan, visibility);
  return value;
}

/** Presents rows the caller already loaded (e.g. right after a create), honouring `$select`/`$expand` within `visibility`. */
export async function presentRows(db: Db, entity: EntityDef, rows: Row[], options: RawQueryOptions, visibility: Visibility): Promise<Row[]> {
  return materialize(db, entity, rows, planQuery(entity, options), visibility);
}

interface QueryPlan {
  filter: FilterExpression | null;
  orderBy: OrderByItem[];
  select: string[] | null;
  expand: Array<{ item: ExpandItem; nav: NavDef; plan: QueryPlan; top: number | null }>;
  /** Expanded navigations whose value is derived from the row (`EntityDef.derivedNavs`). */
  derived: string[];
  /** Entities `$filter` looks into through navigations: their read scopes apply inside the filter too. */
  filterTargets: EntityDef[];
}

/**
 * The read scopes of the entities a plan's `$filter` looks into (`catalog/displayName`,
 * `incompatibleAccessPackages/any(…)`): a filter must not reveal, by which rows it keeps, what the
 * caller may not read.
 */
async function filterReadScopes(db: Db, plan: QueryPlan, visibility: Visibility): Promise<FilterScope> {
  const readable = new Map<EntityDef, Scope | undefined>();
  for (const target of plan.filterTargets) readable.set(target, await visibility.scope(target, 'many'));
  return new FilterScope(undefined, undefined, undefined, readable, undefined, deadlineGuard(db));
}

function planQuery(entity: EntityDef, options: RawQueryOptions, depth = 0): QueryPlan {
  if (depth > 3) throw new ValidationError('$expand is nested more than three levels deep.', '$expand');
  const filter = options.filter !== undefined ? parseFilter(options.filter) : null;
  const probe = new FilterScope();
  if (filter) {
    // Compile once against a throw-away alias so that unknown properties fail before any SQL runs.
    compileFilter(entity, 'check', filter, probe);
  }
  const orderBy = options.orderby !== undefined ? parseOrderBy(options.orderby) : [];
  for (const item of orderBy) sortColumn(entity, item.path);
  let select: string[] | null = null;
  if (options.select !== undefined) {
    const names = parseSelect(options.select);
    if (!names.includes('*')) {
      for (const name of names) {
        if (!(name in entity.props) && !(name in (entity.navs ?? {})) && !computedNames(entity).includes(name)) {
          throw new ValidationError(`Could not find a property named '${name}' on type 'microsoft.graph.${entity.type}'.`, '$select');
        }
      }
      select = names;
    }
  }
  const items = options.expand !== undefined ? parseExpand(options.expand) : [];
  const derived: string[] = [];
  for (const item of items) {
    if (entity.navs[item.navigation] || !entity.derivedNavs?.[item.navigation]) continue;
    if (Object.values(item.options).some((v) => v !== undefined)) throw new ValidationError(`'${item.navigation}' takes no query options in $expand.`, '$expand');
    derived.push(item.navigation);
  }
  const expand = items.filter((item) => !derived.includes(item.navigation)).map((item) => {
    const nav = entity.navs[item.navigation];
    if (!nav) throw new ValidationError(`Could not find a navigation property named '${item.navigation}' on type 'microsoft.graph.${entity.type}'.`, '$expand');
    const target = entityOf(nav.target);
    if (nav.kind === 'one' && (item.options.filter || item.options.orderby || item.options.top)) {
      throw new ValidationError(`'${item.navigation}' is a single object; only $select and $expand apply to it.`, '$expand');
    }
    const given = parseIntOption(item.options.top, '$top', 0, maxPageSize);
    // Graph returns at most 20 objects of an expanded directory-object relationship (members, memberOf, sponsors…).
    const top = isDirectoryLink(nav) ? Math.min(given ?? maxDirectoryExpand, maxDirectoryExpand) : given;
    return { item, nav, plan: planQuery(target, item.options, depth + 1), top };
  });
  return { filter, orderBy, select, expand, derived, filterTargets: probe.targets() };
}

/**
 * Most objects one response may hold. Nested `$expand` multiplies: a page of 999 groups, 20 members
 * each, 20 groups of each member, 20 members of each is 8 million objects. Where every level has a
 * known cap the worst case is refused before any SQL runs; the Graph edge checks the actual size too.
 */
export const maxResponseObjects = 100_000;

function checkFanOut(plan: QueryPlan, rows: number): void {
  const perRow = (p: QueryPlan): number => 1 + p.expand.reduce((sum, e) => sum + (e.nav.kind === 'one' ? 1 : (e.top ?? 1)) * perRow(e.plan), 0);
  if (rows * perRow(plan) > maxResponseObjects) {
    throw new ValidationError(`This $expand could return more than ${maxResponseObjects} objects. Use a smaller $top or fewer nested $expand levels.`, '$expand', 'Request_UnsupportedQuery');
  }
}

/** Graph's cap on an expanded relationship of directory objects. */
export const maxDirectoryExpand = 20;

/** A relationship between directory objects (a user's groups and sponsors, a group's members and owners). */
function isDirectoryLink(nav: NavDef): boolean {
  return nav.kind === 'through' && ['group_members', 'group_owners', 'user_sponsors'].includes(nav.table);
}

function computedNames(entity: EntityDef): string[] {
  return entity.computed ? Object.keys(entity.computed(Object.fromEntries(Object.keys(entity.props).map((k) => [k, null])) as Row)) : [];
}

function whereClause(entity: EntityDef, alias: string, filter: FilterExpression | null, scope: Scope | undefined, vars: FilterScope): Condition {
  const parts: Condition[] = [];
  if (scope) parts.push(scope(alias));
  if (filter) {
    parts.push(compileFilter(entity, alias, filter, vars));
    // A filter costs per row; the guard lets the read's deadline stop the scan (SQLite, see deadline.ts).
    if (vars.guard) parts.push(vars.guard);
  }
  return withFixed(entity, alias, parts.length === 0 ? sql`1 = 1` : sql.join(parts.map((p) => sql`(${p})`), sql` and `));
}

function withFixed(entity: EntityDef, alias: string, condition: Condition): Condition {
  if (!entity.fixed) return condition;
  const fixed = Object.entries(entity.fixed).map(([column, value]) => sql`${ref(`${alias}.${column}`)} = ${fixedValue(value)}`);
  return sql.join([condition, ...fixed], sql` and `);
}

function fixedValue(value: string): string | number {
  return /^\d+$/.test(value) ? Number(value) : value;
}

function orderClause(entity: EntityDef, alias: string, items: OrderByItem[]): Condition {
  const parts = items.map((item) => sql`${ref(`${alias}.${sortColumn(entity, item.path)}`)} ${sql.raw(item.descending ? 'desc' : 'asc')}`);
  if (!items.some((i) => i.path.length === 1 && i.path[0] === 'id')) parts.push(sql`${ref(`${alias}.id`)} asc`);
  return sql.join(parts, sql`, `);
}

function sortColumn(entity: EntityDef, path: string[]): string {
  const name = path.length === 1 ? canonicalKey(entity.props, path[0]) : null;
  const prop = name ? entity.props[name] : undefined;
  if (!prop || !name) {
    throw new ValidationError(`Could not find a property named '${path.join('/')}' on type 'microsoft.graph.${entity.type}' to order by.`, '$orderby');
  }
  if (prop.kind === 'json') throw new ValidationError(`Ordering by '${path[0]}' is not supported.`, '$orderby');
  return prop.column ?? name;
}

/**
 * The model's spelling of a property or navigation name. Graph matches them case-insensitively in
 * `$filter` and `$orderby` (its own examples write `target/objectid`).
 */
function canonicalKey(record: Readonly<Record<string, unknown>>, name: string): string | null {
  if (Object.prototype.hasOwnProperty.call(record, name)) return name;
  const lower = name.toLowerCase();
  return Object.keys(record).find((key) => key.toLowerCase() === lower) ?? null;
}

// ---- $filter → SQL ------------------------------------------------------------------------------

interface Binding {
  entity: EntityDef;
  alias: string;
}

/**
 * Lambda variables in scope, the alias counter of one compilation (aliases must not collide within
 * it), and the lambdas this expression is nested in (their cost multiplies, see `compileLambda`).
 */
class FilterScope {
  constructor(
    private readonly bindings = new Map<string, Binding>(),
    private readonly counter = { n: 0 },
    readonly enclosingLambdas: readonly NavDef[] = [],
    /** Read scopes of the entities the filter looks into; entities looked into are recorded in `seen`. */
    private readonly readable = new Map<EntityDef, Scope | undefined>(),
    private readonly seen = new Set<EntityDef>(),
    /** The read deadline's guard for the loops of the compiled query (store/deadline.ts), or null. */
    readonly guard: Condition | null = null,
  ) {}

  /** The caller's read scope on `target` rows aliased `alias` (nothing when they read all, or when only checking). */
  visible(target: EntityDef, alias: string): Condition {
    this.seen.add(target);
    const scope = this.readable.get(target);
    return scope ? sql` and (${scope(alias)})` : sql``;
  }

  targets(): EntityDef[] {
    return [...this.seen];
  }

  get(name: string): Binding | undefined {
    return this.bindings.get(name);
  }

  with(name: string, binding: Binding): FilterScope {
    return new FilterScope(new Map(this.bindings).set(name, binding), this.counter, this.enclosingLambdas, this.readable, this.seen, this.guard);
  }

  inside(nav: NavDef): FilterScope {
    return new FilterScope(this.bindings, this.counter, [...this.enclosingLambdas, nav], this.readable, this.seen, this.guard);
  }

  alias(): string {
    this.counter.n += 1;
    return `f${this.counter.n}`;
  }
}

function compileFilter(entity: EntityDef, alias: string, expr: FilterExpression, vars: FilterScope): Condition {
  const self: Binding = { entity, alias };
  switch (expr.type) {
    case 'and':
    case 'or':
      return sql`(${compileFilter(entity, alias, expr.left, vars)}) ${sql.raw(expr.type)} (${compileFilter(entity, alias, expr.right, vars)})`;
    case 'not':
      return sql`not (${compileFilter(entity, alias, expr.expr, vars)})`;
    case 'compare':
      return compileComparison(self, expr.op, expr.left, expr.right, vars);
    case 'in': {
      if (expr.values.length === 0 || expr.values.length > 100) throw new ValidationError("'in' takes between 1 and 100 values.", '$filter');
      return onPath(self, operandPath(expr.left), vars, (column, prop, fns) => {
        const values = expr.values.map((v) => coerceLiteral(prop, v, fns));
        return sql`${applyFns(column(prop), fns)} in (${sql.join(values.map((v) => sql`${v}`))})`;
      });
    }
    case 'match': {
      if (expr.value.type !== 'literal' || expr.value.kind !== 'string') throw new ValidationError(`${expr.fn}() takes a string literal as its second argument.`, '$filter');
      const needle = escapeLike(expr.value.value.toLowerCase());
      const pattern = expr.fn === 'contains' ? `%${needle}%` : expr.fn === 'startswith' ? `${needle}%` : `%${needle}`;
      return onPath(self, operandPath(expr.target), vars, (column, prop) => {
        if (prop.kind !== 'string' && prop.kind !== 'enum') throw new ValidationError(`${expr.fn}() applies to text properties only.`, '$filter');
        return sql`lower(${column(prop, false)}) like ${pattern} escape '\\'`;
      });
    }
    case 'truthy':
      return onPath(self, operandPath(expr.operand), vars, (column, prop) => {
        if (prop.kind !== 'boolean') throw new ValidationError('Only a Boolean property can stand alone in $filter.', '$filter');
        return sql`${column(prop)} = 1`;
      });
    case 'lambda':
      return compileLambda(self, expr, vars);
  }
}

function operandPath(operand: Operand): { path: string[]; fns: Array<'tolower' | 'toupper'> } {
  const fns: Array<'tolower' | 'toupper'> = [];
  let current = operand;
  while (current.type === 'fn') {
    fns.push(current.name);
    current = current.arg;
  }
  if (current.type !== 'path') throw new ValidationError('Expected a property path in $filter.', '$filter');
  return { path: current.segments, fns };
}

function compileComparison(self: Binding, op: string, left: Operand, right: Operand, vars: FilterScope): Condition {
  let pathSide = left;
  let literal = right;
  let operator = op;
  if (left.type === 'literal') {
    pathSide = right;
    literal = left;
    operator = ({ gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' } as Record<string, string>)[op] ?? op;
  }
  if (literal.type !== 'literal') throw new ValidationError('Comparisons in $filter need a property on one side and a literal on the other.', '$filter');
  const sqlOp = ({ eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' } as Record<string, string>)[operator];
  const lit = literal;
  return onPath(self, operandPath(pathSide), vars, (column, prop, fns) => {
    if (lit.kind === 'null') {
      if (operator !== 'eq' && operator !== 'ne') throw new ValidationError('null can only be compared with eq or ne.', '$filter');
      return sql`${column(prop, false)} is ${sql.raw(operator === 'eq' ? '' : 'not ')}null`;
    }
    if (prop.kind === 'boolean' && operator !== 'eq' && operator !== 'ne') throw new ValidationError('Boolean properties can only be compared with eq or ne.', '$filter');
    const value = coerceLiteral(prop, lit, fns);
    const target = applyFns(column(prop), fns);
    if (operator === 'ne') return sql`(${target} ${sql.raw(sqlOp)} ${value} or ${column(prop, false)} is null)`;
    return sql`${target} ${sql.raw(sqlOp)} ${value}`;
  });
}

type ColumnRef = (prop: PropDef, forEquality?: boolean) => Condition;

/**
 * Resolves `segments` from `self` (or from a lambda variable) and builds the predicate on the
 * column it ends at. A single-valued navigation on the way becomes `fk in (select id …)`; its `id`
 * is the foreign key itself, so `catalog/id eq '…'` is an indexed equality.
 */
function onPath(
  self: Binding,
  target: { path: string[]; fns: Array<'tolower' | 'toupper'> },
  vars: FilterScope,
  build: (column: ColumnRef, prop: PropDef, fns: Array<'tolower' | 'toupper'>) => Condition,
): Condition {
  let binding = self;
  let path = target.path;
  const bound = vars.get(path[0]);
  if (bound) {
    binding = bound;
    path = path.slice(1);
    if (path.length === 0) throw new ValidationError(`Lambda variable '${target.path[0]}' must be followed by a property.`, '$filter');
  }
  return resolveOn(binding, path, target.fns, vars, build, target.path.join('/'));
}

function resolveOn(
  binding: Binding,
  path: string[],
  fns: Array<'tolower' | 'toupper'>,
  vars: FilterScope,
  build: (column: ColumnRef, prop: PropDef, fns: Array<'tolower' | 'toupper'>) => Condition,
  fullPath: string,
): Condition {
  const { entity, alias } = binding;
  const [head, ...rest] = path;
  const joined = path.join('/');
  const special = entity.pathColumns ? entity.pathColumns[canonicalKey(entity.pathColumns, joined) ?? ''] : undefined;
  if (special) {
    const prop: PropDef = { kind: special.kind, column: special.column };
    return build(() => ref(`${alias}.${special.column}`), prop, fns);
  }
  const propName = canonicalKey(entity.props, head);
  const prop = propName ? entity.props[propName] : undefined;
  if (prop && propName && rest.length === 0) {
    if (prop.kind === 'json') throw new ValidationError(`Filtering on '${fullPath}' is not supported.`, '$filter');
    const column: ColumnRef = (p, forEquality = true) => {
      if (forEquality && p.caseInsensitive) {
        return p.lowerColumn ? ref(`${alias}.${p.lowerColumn}`) : sql`lower(${ref(`${alias}.${p.column ?? propName}`)})`;
      }
      return ref(`${alias}.${p.column ?? propName}`);
    };
    return build(column, prop, fns);
  }
  const nav = entity.navs[canonicalKey(entity.navs, head) ?? ''];
  if (nav && rest.length > 0) {
    if (nav.kind !== 'one') throw new ValidationError(`'${head}' is a collection; use ${head}/any(x: …) in $filter.`, '$filter');
    const target = entityOf(nav.target);
    if (rest.length === 1 && rest[0].toLowerCase() === 'id') {
      return build(() => ref(`${alias}.${nav.localKey}`), target.props.id, fns);
    }
    const inner = vars.alias();
    const condition = resolveOn({ entity: target, alias: inner }, rest, fns, vars, build, fullPath);
    return sql`${ref(`${alias}.${nav.localKey}`)} in (select ${ref(`${inner}.id`)} from ${table(target.table)} as ${ref(inner)} where ${withFixed(target, inner, condition)}${vars.visible(target, inner)})`;
  }
  throw new ValidationError(`Could not find a property named '${fullPath}' on type 'microsoft.graph.${entity.type}'.`, '$filter');
}

function compileLambda(self: Binding, expr: Extract<FilterExpression, { type: 'lambda' }>, vars: FilterScope): Condition {
  let binding = self;
  let path = expr.path;
  const bound = vars.get(path[0]);
  if (bound) {
    binding = bound;
    path = path.slice(1);
  }
  if (path.length !== 1) throw new ValidationError(`'${expr.path.join('/')}/${expr.quantifier}' must follow a collection of this object.`, '$filter');
  const nav = binding.entity.navs[canonicalKey(binding.entity.navs, path[0]) ?? ''];
  if (!nav || nav.kind === 'one') throw new ValidationError(`'${path[0]}' is not a collection that $filter can look into.`, '$filter');
  checkLambdaNesting(nav, path[0], vars.enclosingLambdas);
  const target = entityOf(nav.target);
  const inner = vars.alias();
  const scoped = vars.inside(nav);
  const innerVars = expr.variable ? scoped.with(expr.variable, { entity: target, alias: inner }) : scoped;
  let predicate: Condition = sql`1 = 1`;
  if (expr.predicate) {
    const compiled = compileFilter(target, inner, expr.predicate, innerVars);
    predicate = expr.quantifier === 'all' ? sql`not (${compiled})` : compiled;
  }
  // The subquery runs once per outer row: the guard lets the read's deadline stop it (SQLite).
  if (vars.guard) predicate = sql`${predicate} and ${vars.guard}`;
  let subquery: Condition;
  if (nav.kind === 'many') {
    subquery = sql`select 1 from ${table(target.table)} as ${ref(inner)} where ${ref(`${inner}.${nav.foreignKey}`)} = ${ref(`${binding.alias}.id`)} and ${withFixed(target, inner, predicate)}${vars.visible(target, inner)}`;
  } else {
    const link = vars.alias();
    const fixed = Object.entries(nav.fixed ?? {}).map(([c, v]) => sql` and ${ref(`${link}.${c}`)} = ${v}`);
    subquery = sql`select 1 from ${table(nav.table)} as ${ref(link)} join ${table(target.table)} as ${ref(inner)} on ${ref(`${inner}.id`)} = ${ref(`${link}.${nav.to}`)} where ${ref(`${link}.${nav.from}`)} = ${ref(`${binding.alias}.id`)}${sql.join(fixed, sql``)} and ${withFixed(target, inner, predicate)}${vars.visible(target, inner)}`;
  }
  return expr.quantifier === 'all' ? sql`not exists (${subquery})` : sql`exists (${subquery})`;
}

/** Lambdas may nest at most this deep (one lambda inside another). */
export const maxLambdaDepth = 2;

/**
 * Bounds what a lambda may cost. A lambda is a correlated subquery per outer row, so nested lambdas
 * multiply: over a many-to-many link (members, memberOf, owners, sponsors, incompatible packages) the
 * cost grows with (link size)^depth, and members/memberOf cycle back to the same tables. Graph does
 * not allow nested lambdas over directory navigations; neither do we, for every many-to-many link.
 * One-to-many navigations (a catalog's packages, a package's policies) follow a foreign key each way,
 * so one level of nesting stays linear in the rows involved.
 */
function checkLambdaNesting(nav: NavDef, name: string, enclosing: readonly NavDef[]): void {
  if (enclosing.length === 0) return;
  if (nav.kind === 'through' || enclosing.some((outer) => outer.kind === 'through')) {
    throw new ValidationError(
      `Nested lambda operators are not supported over '${name}': any() and all() over directory objects and other many-to-many navigations cannot be nested in or contain another lambda.`,
      '$filter',
      'Request_UnsupportedQuery',
    );
  }
  if (enclosing.length >= maxLambdaDepth) {
    throw new ValidationError(`Lambda operators may be nested at most ${maxLambdaDepth} deep in $filter.`, '$filter', 'Request_UnsupportedQuery');
  }
}

function applyFns(column: Condition, fns: Array<'tolower' | 'toupper'>): Condition {
  return fns.reduceRight((acc, fn) => (fn === 'tolower' ? sql`lower(${acc})` : sql`upper(${acc})`), column);
}

function coerceLiteral(prop: PropDef, literal: Literal, fns: Array<'tolower' | 'toupper'>): string | number {
  const fail = (expected: string) => new ValidationError(`A ${expected} value is expected in $filter, not ${literal.kind === 'string' ? `'${literal.value}'` : String(literal.value)}.`, '$filter');
  switch (prop.kind as PropKind) {
    case 'boolean':
      if (literal.kind !== 'boolean') throw fail('Boolean');
      return literal.value ? 1 : 0;
    case 'int':
      if (literal.kind !== 'number') throw fail('number');
      return literal.value;
    case 'datetime': {
      if (literal.kind !== 'datetime' && literal.kind !== 'string') throw fail('date-time');
      const date = new Date(String(literal.value));
      if (Number.isNaN(date.getTime())) throw fail('date-time');
      return date.toISOString();
    }
    case 'enum':
      if (literal.kind !== 'string') throw fail('string');
      if (prop.values) {
        // Graph matches enum members case-insensitively (its own examples write `state eq 'Delivered'`).
        const member = prop.values.find((v) => v.toLowerCase() === literal.value.toLowerCase());
        if (!member) throw new ValidationError(`'${literal.value}' is not a valid value; expected one of ${prop.values.join(', ')}.`, '$filter');
        return member;
      }
      return literal.value;
    default: {
      if (literal.kind !== 'string' && literal.kind !== 'guid') throw fail('string');
      const value = String(literal.value);
      if (fns.length > 0) return fns.at(0) === 'tolower' ? value.toLowerCase() : value.toUpperCase();
      return prop.caseInsensitive ? value.toLowerCase() : value;
    }
  }
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

// ---- paging ---------------------------------------------------------------------------------------

function parseIntOption(value: string | undefined, name: string, min: number, max: number): number | null {
  if (value === undefined) return null;
  if (!/^\d+$/.test(value.trim())) throw new ValidationError(`Invalid value '${value}' for ${name}: a whole number is expected.`, name);
  const n = Number(value);
  if (n < min || n > max) throw new ValidationError(`Invalid value '${value}' for ${name}: it must be between ${min} and ${max}.`, name);
  return n;
}

function parseCount(value: string | undefined): boolean {
  if (value === undefined) return false;
  const v = value.toLowerCase();
  if (v !== 'true' && v !== 'false') throw new ValidationError(`Invalid value '${value}' for $count: true or false is expected.`, '$count');
  return v === 'true';
}

function decodeSkipToken(token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
    // Only offsets a page could have reached: a crafted 1e300 is not an offset any SQL accepts.
    if (typeof parsed.o === 'number' && Number.isSafeInteger(parsed.o) && parsed.o >= 0 && parsed.o <= maxOffset) return parsed.o;
  } catch {
    // fall through
  }
  throw new ValidationError('The $skiptoken is not valid; use the @odata.nextLink as given.', '$skiptoken');
}

function nextLink(requestUrl: URL, offset: number): string {
  const url = new URL(requestUrl.toString());
  url.searchParams.delete('$skip');
  url.searchParams.set('$skiptoken', Buffer.from(JSON.stringify({ o: offset })).toString('base64url'));
  return url.toString();
}

// ---- rows → Graph JSON, with $expand ------------------------------------------------------------

/** Turns one row into Graph JSON: booleans, JSON columns, computed values; hidden columns stay out. */
export function presentRow(entity: EntityDef, row: Row, select: string[] | null = null): Row {
  const out: Row = {};
  for (const [name, prop] of Object.entries(entity.props)) {
    if (select && name !== 'id' && !select.includes(name)) continue;
    const raw = row[prop.column ?? name];
    out[name] = convert(prop.kind, raw);
  }
  if (entity.computed) {
    for (const [name, value] of Object.entries(entity.computed(row))) {
      if (!select || select.includes(name)) out[name] = value;
    }
  }
  return out;
}

function convert(kind: PropKind, raw: unknown): unknown {
  if (raw === null || raw === undefined) return null;
  switch (kind) {
    case 'boolean':
      return raw === 1 || raw === true || raw === '1';
    case 'json':
      return JSON.parse(String(raw));
    case 'int':
      return Number(raw);
    default:
      return raw;
  }
}

/**
 * Rows → Graph JSON with their expansions. Each navigation loads its targets for the whole page in
 * one query, within the target's own read scope: what the caller may not see is left out (a
 * collection omits it, a single-valued navigation is null), as Graph does.
 */
async function materialize(db: Db, entity: EntityDef, rows: Row[], plan: QueryPlan, visibility: Visibility): Promise<Row[]> {
  const values = rows.map((row) => presentRow(entity, row, plan.select));
  for (const name of plan.derived) {
    const derive = entity.derivedNavs?.[name];
    if (derive) rows.forEach((row, i) => (values[i][name] = derive(row)));
  }
  for (const { item, nav, plan: childPlan, top } of plan.expand) {
    const target = entityOf(nav.target);
    // A value of a derived type where Graph declares a base type says what it is.
    const annotate = nav.declared && nav.declared !== target.type ? `#microsoft.graph.${target.type}` : null;
    if (nav.kind === 'one') {
      const ids = unique(rows.map((r) => r[nav.localKey]).filter((v): v is string => typeof v === 'string'));
      const children = await loadByColumn(db, target, 'id', ids, null, null, await visibility.scope(target, 'one'));
      const presented = await materialize(db, target, children, childPlan, visibility);
      const byId = new Map(children.map((c, i) => [String(c.id), presented[i]]));
      rows.forEach((row, i) => {
        const child = byId.get(String(row[nav.localKey]));
        values[i][item.navigation] = child ? (annotate ? { '@odata.type': annotate, ...child } : child) : null;
      });
      continue;
    }
    const parentIds = unique(rows.map((r) => String(r.id)));
    let children: Row[];
    let parentKey: string;
    const readable = await visibility.scope(target, 'many');
    if (nav.kind === 'many') {
      children = await loadByColumn(db, target, nav.foreignKey, parentIds, childPlan.filter, childPlan.orderBy, readable, await filterReadScopes(db, childPlan, visibility));
      parentKey = nav.foreignKey;
    } else {
      children = await loadThrough(db, target, nav, parentIds, childPlan.filter, childPlan.orderBy, readable, await filterReadScopes(db, childPlan, visibility), top);
      parentKey = '__parent';
    }
    const presented = await materialize(db, target, children, childPlan, visibility);
    const grouped = new Map<string, Row[]>();
    children.forEach((child, i) => {
      const key = String(child[parentKey]);
      const list = grouped.get(key) ?? [];
      if (top === null || list.length < top) list.push(annotate ? { '@odata.type': annotate, ...presented[i] } : presented[i]);
      grouped.set(key, list);
    });
    rows.forEach((row, i) => {
      values[i][item.navigation] = grouped.get(String(row.id)) ?? [];
    });
  }
  return values;
}

const chunkSize = 500;

async function loadByColumn(db: Db, target: EntityDef, column: string, values: string[], filter: FilterExpression | null, orderBy: OrderByItem[] | null, readable: Scope | undefined, vars = new FilterScope()): Promise<Row[]> {
  const out: Row[] = [];
  for (let i = 0; i < values.length; i += chunkSize) {
    const chunk = values.slice(i, i + chunkSize);
    if (chunk.length === 0) continue;
    const alias = 'c0';
    let base: Condition = sql`${ref(`${alias}.${column}`)} in (${sql.join(chunk)})`;
    if (readable) base = sql`${base} and (${readable(alias)})`;
    const filtered = filter ? sql`${base} and (${compileFilter(target, alias, filter, vars)})` : base;
    const guard = deadlineGuard(db);
    const condition = guard ? sql`${filtered} and ${guard}` : filtered;
    const order = orderClause(target, alias, orderBy ?? []);
    const result = await sql<Row>`select ${ref(alias)}.* from ${table(target.table)} as ${ref(alias)} where ${withFixed(target, alias, condition)} order by ${order}`.execute(db);
    out.push(...result.rows);
  }
  return out;
}

async function loadThrough(
  db: Db,
  target: EntityDef,
  nav: Extract<NavDef, { kind: 'through' }>,
  parentIds: string[],
  filter: FilterExpression | null,
  orderBy: OrderByItem[] | null,
  readable: Scope | undefined,
  vars: FilterScope,
  top: number | null = null,
): Promise<Row[]> {
  const out: Row[] = [];
  for (let i = 0; i < parentIds.length; i += chunkSize) {
    const chunk = parentIds.slice(i, i + chunkSize);
    if (chunk.length === 0) continue;
    const alias = 'c0';
    const fixed = Object.entries(nav.fixed ?? {}).map(([c, v]) => sql` and ${ref(`l.${c}`)} = ${v}`);
    let condition: Condition = sql`${ref(`l.${nav.from}`)} in (${sql.join(chunk)})${sql.join(fixed, sql``)}`;
    if (readable) condition = sql`${condition} and (${readable(alias)})`;
    if (filter) condition = sql`${condition} and (${compileFilter(target, alias, filter, vars)})`;
    const guard = deadlineGuard(db);
    if (guard) condition = sql`${condition} and ${guard}`;
    const order = orderClause(target, alias, orderBy ?? []);
    const from = sql`from ${table(nav.table)} as ${ref('l')} join ${table(target.table)} as ${ref(alias)} on ${ref(`${alias}.id`)} = ${ref(`l.${nav.to}`)} where ${withFixed(target, alias, condition)}`;
    // With a per-parent $top (always for directory relationships) only those rows are read: a group of
    // thousands of members costs its first page, not all of them.
    const result =
      top === null
        ? await sql<Row>`select ${ref(`l.${nav.from}`)} as ${ref('__parent')}, ${ref(alias)}.* ${from} order by ${order}`.execute(db)
        : await sql<Row>`select * from (select ${ref(`l.${nav.from}`)} as ${ref('__parent')}, ${ref(alias)}.*, row_number() over (partition by ${ref(`l.${nav.from}`)} order by ${order}) as ${ref('__rank')} ${from}) as ${ref('ranked')} where ${ref('ranked.__rank')} <= ${sql.lit(top)} order by ${ref('ranked.__parent')}, ${ref('ranked.__rank')}`.execute(db);
    out.push(...result.rows);
  }
  return out;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
