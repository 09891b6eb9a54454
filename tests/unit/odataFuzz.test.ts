import fc from 'fast-check';
import { ValidationError } from '../../bot/domain/errors';
import { parseExpand, parseFilter, parseOrderBy, parseSelect } from '../../bot/graph/odata/parse';
import { filterText } from '../helpers/fuzz';

/**
 * Property-based tests of the OData parser (issue 8, "Tested"): whatever a client sends, parsing
 * either succeeds or fails with a ValidationError (a 400) — never another error (a 500), never a
 * stack overflow.
 */
function onlyValidationErrors(parse: () => unknown): void {
  try {
    parse();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
  }
}

describe('the OData parser under fuzzing', () => {
  it('parses or refuses grammar-shaped $filter expressions with a ValidationError', () => {
    fc.assert(
      fc.property(filterText(), (text) => onlyValidationErrors(() => parseFilter(text))),
      { numRuns: 2000 },
    );
  });

  it('parses or refuses arbitrary text in every option with a ValidationError', () => {
    const text = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.stringMatching(/^[()' ,/:a-z0-9$=;eqandornt]{0,400}$/));
    fc.assert(
      fc.property(text, (value) => {
        onlyValidationErrors(() => parseFilter(value));
        onlyValidationErrors(() => parseOrderBy(value));
        onlyValidationErrors(() => parseSelect(value));
        onlyValidationErrors(() => parseExpand(value));
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses deep nesting of every kind with a ValidationError, not a stack overflow', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1500 }), fc.constantFrom('(', 'not ', 'tolower(', 'a/any(x:'), (depth, open) => {
        const close = open === 'not ' ? '' : ')';
        onlyValidationErrors(() => parseFilter(`${open.repeat(depth)}x eq 1${close.repeat(depth)}`.slice(0, 4000)));
      }),
      { numRuns: 200 },
    );
  });
});
