import fc from 'fast-check';

/** Property names a filter might use: real ones (in any case), navigation paths, and nonsense. */
const names = fc.constantFrom('displayName', 'DISPLAYNAME', 'id', 'mail', 'accountEnabled', 'createdDateTime', 'state', 'userType', 'target/objectId', 'accessPackage/id', 'catalog/id', 'nope', 'a/b/c', 'memberOf', 'members');
const literals = fc.oneof(
  fc.string({ maxLength: 20 }).map((s) => `'${s.replace(/'/g, "''")}'`),
  fc.string({ maxLength: 8 }),
  fc.double().map(String),
  fc.integer().map(String),
  fc.uuid().map(String),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('null', 'true', 'false', "'Delivered'", "'delivered'", "''''"),
);
const operators = fc.constantFrom('eq', 'ne', 'gt', 'ge', 'lt', 'le', 'EQ', 'in', 'has');

/** `$filter` text shaped like OData (with mistakes mixed in), for the parser and the engine. */
export function filterText(): fc.Arbitrary<string> {
  const { expr } = fc.letrec<{ expr: string; term: string }>((tie) => ({
    term: fc.oneof(
      fc.tuple(names, operators, literals).map(([n, o, l]) => `${n} ${o} ${o === 'in' ? `(${l},${l})` : l}`),
      fc.tuple(fc.constantFrom('contains', 'startswith', 'endswith', 'tolower', 'nope'), names, literals).map(([f, n, l]) => `${f}(${n},${l})`),
      fc.tuple(fc.constantFrom('memberOf', 'members', 'sponsors', 'accessPackages', 'assignmentPolicies'), fc.constantFrom('any', 'all'), tie('expr')).map(([n, q, e]) => `${n}/${q}(x: ${e.replace(/^(\w)/, 'x/$1')})`),
      names,
    ),
    expr: fc.oneof(
      { depthSize: 'small' },
      tie('term'),
      fc.tuple(tie('expr'), fc.constantFrom('and', 'or', 'AND'), tie('expr')).map(([a, o, b]) => `${a} ${o} ${b}`),
      tie('expr').map((e) => `not (${e})`),
      tie('expr').map((e) => `(${e})`),
      fc.tuple(tie('expr'), fc.string({ maxLength: 3 })).map(([e, junk]) => `${e}${junk}`),
    ),
  }));
  return expr;
}
