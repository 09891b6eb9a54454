import { parseExpand, parseFilter, parseOrderBy, parseSelect } from '../../bot/graph/odata/parse';
import { ValidationError } from '../../bot/domain/errors';

describe(parseFilter.name, () => {
  it('binds not tighter than and, and and tighter than or', () => {
    expect(parseFilter("not (isHidden eq true) and displayName eq 'x' or state eq 'a'")).toEqual({
      type: 'or',
      left: {
        type: 'and',
        left: { type: 'not', expr: { type: 'compare', op: 'eq', left: { type: 'path', segments: ['isHidden'] }, right: { type: 'literal', kind: 'boolean', value: true } } },
        right: { type: 'compare', op: 'eq', left: { type: 'path', segments: ['displayName'] }, right: { type: 'literal', kind: 'string', value: 'x' } },
      },
      right: { type: 'compare', op: 'eq', left: { type: 'path', segments: ['state'] }, right: { type: 'literal', kind: 'string', value: 'a' } },
    });
  });

  it('reads navigation paths, GUIDs, date-times, escaped quotes and functions', () => {
    expect(parseFilter("catalog/id eq 'a' and contains(displayName,'O''Brien')")).toMatchObject({
      left: { left: { segments: ['catalog', 'id'] } },
      right: { type: 'match', fn: 'contains', value: { value: "O'Brien" } },
    });
    expect(parseFilter('id eq 0f8fad5b-d9cb-469f-a165-70867728950e')).toMatchObject({ right: { kind: 'guid' } });
    expect(parseFilter('createdDateTime ge 2024-01-31T10:00:00Z')).toMatchObject({ op: 'ge', right: { kind: 'datetime', value: '2024-01-31T10:00:00Z' } });
    expect(parseFilter("tolower(mail) eq 'a@b.c'")).toMatchObject({ left: { type: 'fn', name: 'tolower' } });
    expect(parseFilter("state in ('a','b')")).toMatchObject({ type: 'in', values: [{ value: 'a' }, { value: 'b' }] });
    expect(parseFilter("startswith(displayName,'P') eq false")).toMatchObject({ type: 'not', expr: { type: 'match', fn: 'startswith' } });
  });

  it('reads lambdas with and without predicates', () => {
    expect(parseFilter("resourceRoleScopes/any(r: r/role/displayName eq 'Member')")).toMatchObject({
      type: 'lambda',
      quantifier: 'any',
      path: ['resourceRoleScopes'],
      variable: 'r',
      predicate: { type: 'compare', left: { segments: ['r', 'role', 'displayName'] } },
    });
    expect(parseFilter('members/any()')).toMatchObject({ type: 'lambda', predicate: null });
  });

  it.each([
    ["displayName eq 'unterminated"],
    ['displayName eq'],
    ["displayName eq 'a' and"],
    ['(displayName eq 1'],
    ["displayName eq 'a' extra"],
    ['displayName ~ 1'],
    [''],
  ])('refuses %j with a ValidationError', (source) => {
    expect(() => parseFilter(source)).toThrow(ValidationError);
  });
});

describe(parseExpand.name, () => {
  it('reads nested options', () => {
    expect(parseExpand('resourceRoleScopes($expand=role,scope;$select=id),catalog')).toEqual([
      { navigation: 'resourceRoleScopes', options: { expand: 'role,scope', select: 'id' } },
      { navigation: 'catalog', options: {} },
    ]);
  });
  it('refuses unbalanced or unknown nested options', () => {
    expect(() => parseExpand('a(b')).toThrow(ValidationError);
    expect(() => parseExpand('a($skip=1)')).toThrow(ValidationError);
  });
});

describe(parseOrderBy.name, () => {
  it('reads directions', () => {
    expect(parseOrderBy('displayName desc, createdDateTime')).toEqual([
      { path: ['displayName'], descending: true },
      { path: ['createdDateTime'], descending: false },
    ]);
    expect(() => parseOrderBy('displayName sideways')).toThrow(ValidationError);
  });
});

describe(parseSelect.name, () => {
  it('reads names and refuses junk', () => {
    expect(parseSelect('id, displayName')).toEqual(['id', 'displayName']);
    expect(() => parseSelect('id;drop table')).toThrow(ValidationError);
  });
});
