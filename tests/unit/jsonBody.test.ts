import { findDuplicateKey } from '../../bot/http/body';

describe(findDuplicateKey.name, () => {
  it.each([
    ['{"a":1,"b":2}', null],
    ['{"a":1,"a":2}', 'a'],
    ['{"a":{"a":1},"b":[{"a":1},{"a":2}]}', null],
    ['{"a":1,"b":{"c":1,"c":2}}', 'c'],
    ['{ "a" : 1 ,\n "a"\t: 2 }', 'a'],
    ['{"a":1,"\\u0061":2}', 'a'],
    ['{"a\\"":1,"a\\"":2}', 'a"'],
    ['{"a\\\\":1,"a":2}', null],
    ['{"a\\\\":1,"a\\\\":2}', 'a\\'],
    ['{"x":"a\\":","a":1,"y":"\\\\","a":2}', 'a'],
    ['["a","a",{"a":"a"}]', null],
  ])('%s → %p', (text, expected) => {
    JSON.parse(text);
    expect(findDuplicateKey(text)).toBe(expected);
  });
});
