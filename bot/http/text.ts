import { ValidationError } from '../domain/errors';

/**
 * Text Portier stores must be valid Unicode without NUL: PostgreSQL refuses NUL in text (a 500
 * carrying its error text before this check) and both databases would keep unpaired surrogates that
 * no JSON encoder can write back. Refused at the edge, the same on both databases.
 */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && !loneSurrogate.test(value);
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Throws a 400 when any string (or key) within `value` is not storable text; `where` names the input. */
export function assertStorableText(value: unknown, where: string): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') {
      if (!isStorableText(item)) throw unstorable(where);
    } else if (Array.isArray(item)) {
      stack.push(...item);
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, child] of Object.entries(item)) {
        if (!isStorableText(key)) throw unstorable(where);
        stack.push(child);
      }
    }
  }
}

function unstorable(where: string): ValidationError {
  return new ValidationError(`The ${where} contains a NUL character or an unpaired UTF-16 surrogate, which is not accepted.`, undefined, 'BadRequest');
}
