import { ValidationError } from '../../domain/errors';

/**
 * A parser for the part of OData v4 that Microsoft Graph accepts in `$filter`, `$orderby`,
 * `$select` and `$expand`. Hand-written because the maintained parsers we tried get precedence
 * wrong (`@odata/parser` reads `not (a) and b` as `not (a and b)`) and return token trees that
 * take more code to walk than this file. Errors are `ValidationError`s that name the option.
 */

export type Literal =
  | { type: 'literal'; kind: 'string'; value: string }
  | { type: 'literal'; kind: 'number'; value: number }
  | { type: 'literal'; kind: 'boolean'; value: boolean }
  | { type: 'literal'; kind: 'null'; value: null }
  | { type: 'literal'; kind: 'datetime'; value: string }
  | { type: 'literal'; kind: 'guid'; value: string };

export type Operand =
  | Literal
  | { type: 'path'; segments: string[] }
  | { type: 'fn'; name: 'tolower' | 'toupper'; arg: Operand };

export type ComparisonOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';

export type FilterExpression =
  | { type: 'and' | 'or'; left: FilterExpression; right: FilterExpression }
  | { type: 'not'; expr: FilterExpression }
  | { type: 'compare'; op: ComparisonOperator; left: Operand; right: Operand }
  | { type: 'in'; left: Operand; values: Literal[] }
  | { type: 'match'; fn: 'contains' | 'startswith' | 'endswith'; target: Operand; value: Operand }
  | { type: 'lambda'; quantifier: 'any' | 'all'; path: string[]; variable: string | null; predicate: FilterExpression | null }
  | { type: 'truthy'; operand: Operand };

type Token =
  | { t: 'id'; v: string; pos: number }
  | { t: 'str'; v: string; pos: number }
  | { t: 'num'; v: number; pos: number }
  | { t: 'datetime'; v: string; pos: number }
  | { t: 'guid'; v: string; pos: number }
  | { t: 'punct'; v: '(' | ')' | ',' | ':' | '/'; pos: number }
  | { t: 'end'; pos: number };

const guidPattern = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/;
const dateTimePattern = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?/;

function tokenize(source: string, option: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    if (ch === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= source.length) throw invalid(option, `unterminated string starting at position ${i}`);
        if (source[j] === "'") {
          if (source[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += source[j];
        j++;
      }
      tokens.push({ t: 'str', v: value, pos: i });
      i = j + 1;
      continue;
    }
    if ('(),:/'.includes(ch)) {
      tokens.push({ t: 'punct', v: ch as '(' | ')' | ',' | ':' | '/', pos: i });
      i++;
      continue;
    }
    const rest = source.slice(i);
    const guid = guidPattern.exec(rest);
    if (guid && !/[\w-]/.test(rest[guid[0].length] ?? '')) {
      tokens.push({ t: 'guid', v: guid[0].toLowerCase(), pos: i });
      i += guid[0].length;
      continue;
    }
    const dt = dateTimePattern.exec(rest);
    if (dt && (dt[1] !== undefined || !/[\w]/.test(rest[dt[0].length] ?? ''))) {
      tokens.push({ t: 'datetime', v: dt[0], pos: i });
      i += dt[0].length;
      continue;
    }
    const num = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(rest);
    if (num) {
      tokens.push({ t: 'num', v: Number(num[0]), pos: i });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_@$#][\w.@#$]*/.exec(rest);
    if (id) {
      tokens.push({ t: 'id', v: id[0], pos: i });
      i += id[0].length;
      continue;
    }
    throw invalid(option, `unexpected character '${ch}' at position ${i}`);
  }
  tokens.push({ t: 'end', pos: source.length });
  return tokens;
}

function invalid(option: string, detail: string): ValidationError {
  return new ValidationError(`Invalid ${option} query option: ${detail}.`, option, 'BadRequest');
}

const comparisonOperators = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

/**
 * Bounds of one `$filter`, so parsing, compiling and running it stay cheap whatever a client sends:
 * parentheses, `not`, lambdas and function calls nest at most `maxFilterDepth` deep (the parser
 * recurses, and SQLite refuses expression trees deeper than 1000), and an expression has at most
 * `maxFilterNodes` operators and terms — Graph's OData stack refuses more than 100 nodes too.
 */
export const maxFilterDepth = 16;
export const maxFilterNodes = 100;

class FilterParser {
  private i = 0;
  private depth = 0;
  private nodes = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly option: string,
  ) {}

  parse(): FilterExpression {
    const expr = this.parseOr();
    this.expectEnd();
    return expr;
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.t !== 'end') throw invalid(this.option, `unexpected ${describe(token)} at position ${token.pos}`);
  }

  /** Enters one level of nesting; `leave` must follow. */
  private enter(): void {
    this.depth += 1;
    if (this.depth > maxFilterDepth) throw invalid(this.option, `the expression is nested more than ${maxFilterDepth} levels deep`);
  }

  private leave(): void {
    this.depth -= 1;
  }

  /** Counts one operator or term. */
  private node(): void {
    this.nodes += 1;
    if (this.nodes > maxFilterNodes) throw invalid(this.option, `the node count limit of '${maxFilterNodes}' has been exceeded`);
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const token = this.peek();
    if (token.t !== 'end') this.i++;
    return token;
  }

  private isKeyword(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.t === 'id' && token.v.toLowerCase() === word;
  }

  private expectPunct(p: string): void {
    const token = this.next();
    if (token.t !== 'punct' || token.v !== p) throw invalid(this.option, `expected '${p}' but found ${describe(token)} at position ${token.pos}`);
  }

  private parseOr(): FilterExpression {
    let left = this.parseAnd();
    while (this.isKeyword('or')) {
      this.next();
      this.node();
      left = { type: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): FilterExpression {
    let left = this.parseUnary();
    while (this.isKeyword('and')) {
      this.next();
      this.node();
      left = { type: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): FilterExpression {
    if (this.isKeyword('not')) {
      this.next();
      this.node();
      this.enter();
      const expr = this.parseUnary();
      this.leave();
      return { type: 'not', expr };
    }
    this.node();
    return this.parsePrimary();
  }

  private parsePrimary(): FilterExpression {
    const token = this.peek();
    if (token.t === 'punct' && token.v === '(') {
      this.next();
      this.enter();
      const inner = this.parseOr();
      this.leave();
      this.expectPunct(')');
      return inner;
    }
    if (token.t === 'id') {
      const name = token.v.toLowerCase();
      const isCall = this.peek(1).t === 'punct' && (this.peek(1) as { v: string }).v === '(';
      if (isCall && (name === 'contains' || name === 'startswith' || name === 'endswith')) {
        this.next();
        this.expectPunct('(');
        const target = this.parseOperand();
        this.expectPunct(',');
        const value = this.parseOperand();
        this.expectPunct(')');
        return this.maybeCompareBoolean({ type: 'match', fn: name, target, value });
      }
    }
    const left = this.parseOperand();
    if (left.type === 'path') {
      const lambda = this.tryLambda(left.segments);
      if (lambda) return lambda;
    }
    const opToken = this.peek();
    if (opToken.t === 'id' && comparisonOperators.has(opToken.v.toLowerCase())) {
      this.next();
      const right = this.parseOperand();
      return { type: 'compare', op: opToken.v.toLowerCase() as ComparisonOperator, left, right };
    }
    if (opToken.t === 'id' && opToken.v.toLowerCase() === 'in') {
      this.next();
      this.expectPunct('(');
      const values: Literal[] = [];
      for (;;) {
        const operand = this.parseOperand();
        if (operand.type !== 'literal') throw invalid(this.option, `'in' takes a list of literals`);
        values.push(operand);
        const sep = this.next();
        if (sep.t === 'punct' && sep.v === ')') break;
        if (!(sep.t === 'punct' && sep.v === ',')) throw invalid(this.option, `expected ',' or ')' at position ${sep.pos}`);
      }
      return { type: 'in', left, values };
    }
    if (left.type === 'path') return { type: 'truthy', operand: left };
    throw invalid(this.option, `expected an operator after ${describe(token)} at position ${opToken.pos}`);
  }

  /** `contains(a,'b') eq true` is legal OData; fold it into the plain call. */
  private maybeCompareBoolean(expr: FilterExpression): FilterExpression {
    const op = this.peek();
    if (op.t === 'id' && (op.v === 'eq' || op.v === 'ne')) {
      this.next();
      const value = this.parseOperand();
      if (value.type !== 'literal' || value.kind !== 'boolean') throw invalid(this.option, `a function result can only be compared with true or false`);
      return value.value === (op.v === 'eq') ? expr : { type: 'not', expr };
    }
    return expr;
  }

  private tryLambda(segments: string[]): FilterExpression | null {
    const last = segments.at(-1)?.toLowerCase();
    if ((last !== 'any' && last !== 'all') || !(this.peek().t === 'punct' && (this.peek() as { v: string }).v === '(')) return null;
    this.next();
    const path = segments.slice(0, -1);
    if (path.length === 0) throw invalid(this.option, `'${last}' needs a collection before it`);
    const close = this.peek();
    if (close.t === 'punct' && close.v === ')') {
      this.next();
      if (last === 'all') throw invalid(this.option, `'all' needs a predicate`);
      return { type: 'lambda', quantifier: 'any', path, variable: null, predicate: null };
    }
    const variable = this.next();
    if (variable.t !== 'id') throw invalid(this.option, `expected a lambda variable at position ${variable.pos}`);
    this.expectPunct(':');
    this.enter();
    const predicate = this.parseOr();
    this.leave();
    this.expectPunct(')');
    return { type: 'lambda', quantifier: last, path, variable: variable.v, predicate };
  }

  parseOperand(): Operand {
    const token = this.next();
    switch (token.t) {
      case 'str':
        return { type: 'literal', kind: 'string', value: token.v };
      case 'num':
        return { type: 'literal', kind: 'number', value: token.v };
      case 'datetime':
        return { type: 'literal', kind: 'datetime', value: token.v };
      case 'guid':
        return { type: 'literal', kind: 'guid', value: token.v };
      case 'id': {
        const word = token.v.toLowerCase();
        if (word === 'true' || word === 'false') return { type: 'literal', kind: 'boolean', value: word === 'true' };
        if (word === 'null') return { type: 'literal', kind: 'null', value: null };
        const next = this.peek();
        if ((word === 'tolower' || word === 'toupper') && next.t === 'punct' && next.v === '(') {
          this.next();
          this.enter();
          const arg = this.parseOperand();
          this.leave();
          this.expectPunct(')');
          return { type: 'fn', name: word, arg };
        }
        const segments = [token.v];
        while (this.peek().t === 'punct' && (this.peek() as { v: string }).v === '/') {
          this.next();
          const segment = this.next();
          if (segment.t !== 'id') throw invalid(this.option, `expected a property name after '/' at position ${segment.pos}`);
          segments.push(segment.v);
        }
        return { type: 'path', segments };
      }
      default:
        throw invalid(this.option, `unexpected ${describe(token)} at position ${token.pos}`);
    }
  }
}

function describe(token: Token): string {
  switch (token.t) {
    case 'end':
      return 'end of expression';
    case 'str':
      return `'${token.v}'`;
    default:
      return `'${String(token.v)}'`;
  }
}

/** Parses a `$filter` expression. */
export function parseFilter(source: string, option = '$filter'): FilterExpression {
  if (source.trim() === '') throw invalid(option, 'the expression is empty');
  if (source.length > 4000) throw invalid(option, 'the expression is longer than 4000 characters');
  return new FilterParser(tokenize(source, option), option).parse();
}

export interface OrderByItem {
  path: string[];
  descending: boolean;
}

/** Parses `$orderby`: `displayName desc, createdDateTime`. */
export function parseOrderBy(source: string): OrderByItem[] {
  return splitTopLevel(source, ',', '$orderby').map((part) => {
    const match = /^\s*([A-Za-z_][\w]*(?:\/[A-Za-z_][\w]*)*)(?:\s+(asc|desc))?\s*$/i.exec(part);
    if (!match) throw invalid('$orderby', `'${part.trim()}' is not a property optionally followed by asc or desc`);
    return { path: match[1].split('/'), descending: (match[2] ?? 'asc').toLowerCase() === 'desc' };
  });
}

/** Parses `$select`: a comma-separated list of property names. */
export function parseSelect(source: string): string[] {
  return splitTopLevel(source, ',', '$select').map((part) => {
    const name = part.trim();
    if (!/^[A-Za-z_][\w]*$/.test(name) && name !== '*') throw invalid('$select', `'${name}' is not a property name`);
    return name;
  });
}

export interface ExpandItem {
  navigation: string;
  options: RawQueryOptions;
}

/** Options as the client wrote them, before they are checked against an entity type. */
export interface RawQueryOptions {
  filter?: string;
  select?: string;
  expand?: string;
  orderby?: string;
  top?: string;
  skip?: string;
  skiptoken?: string;
  count?: string;
  search?: string;
}

const nestedOptionNames = new Set(['$filter', '$select', '$expand', '$orderby', '$top', '$count']);

/** Parses `$expand`, including nested options in parentheses: `a($expand=b,c;$select=id),d`. */
export function parseExpand(source: string): ExpandItem[] {
  return splitTopLevel(source, ',', '$expand').map((part) => {
    const trimmed = part.trim();
    const open = trimmed.indexOf('(');
    const navigation = (open === -1 ? trimmed : trimmed.slice(0, open)).trim();
    if (!/^[A-Za-z_][\w]*$/.test(navigation)) throw invalid('$expand', `'${trimmed}' is not a navigation property`);
    const options: RawQueryOptions = {};
    if (open !== -1) {
      if (!trimmed.endsWith(')')) throw invalid('$expand', `unbalanced parentheses in '${trimmed}'`);
      const inner = trimmed.slice(open + 1, -1);
      for (const assignment of splitTopLevel(inner, ';', '$expand')) {
        const eq = assignment.indexOf('=');
        const name = (eq === -1 ? assignment : assignment.slice(0, eq)).trim().toLowerCase();
        if (eq === -1 || !nestedOptionNames.has(name)) throw invalid('$expand', `'${assignment.trim()}' is not a supported nested query option`);
        (options as Record<string, string>)[name.slice(1)] = assignment.slice(eq + 1).trim();
      }
    }
    return { navigation, options };
  });
}

/** Splits on `separator` outside parentheses and quotes. */
function splitTopLevel(source: string, separator: string, option: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === "'") quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') {
      depth--;
      if (depth < 0) throw invalid(option, 'unbalanced parentheses');
    } else if (!quoted && depth === 0 && ch === separator) {
      parts.push(source.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0 || quoted) throw invalid(option, quoted ? 'unterminated string' : 'unbalanced parentheses');
  parts.push(source.slice(start));
  if (parts.some((p) => p.trim() === '')) throw invalid(option, 'an item is empty');
  return parts;
}
