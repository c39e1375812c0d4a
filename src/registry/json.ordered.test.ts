import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOrderedObject, parseOrderedJson } from './json.ordered.js';
import type { OrderedJson } from './json.ordered.js';

/** Back to plain JS values (object member order then no longer observable). */
function toPlain(v: OrderedJson): unknown {
  if (Array.isArray(v)) return v.map(toPlain);
  if (v !== null && isOrderedObject(v)) return Object.fromEntries(v.members.map(([k, x]) => [k, toPlain(x)]));
  return v;
}

describe('parseOrderedJson', () => {
  it('keeps member order, including integer-like keys', () => {
    const v = parseOrderedJson('{"0999": 1, "1000": 2, "b": 3, "2": 4}');
    expect(isOrderedObject(v) && v.members.map(([k]) => k)).toEqual(['0999', '1000', 'b', '2']);
    expect(Object.keys(JSON.parse('{"0999": 1, "1000": 2, "b": 3, "2": 4}'))).toEqual(['2', '1000', '0999', 'b']);
  });

  it('decodes strings, numbers and literals exactly as JSON.parse', () => {
    const text = '[" a\\"b\\\\c\\u00e9\\n", -0.5e3, 0, 1E-2, true, false, null, {}, [], "é#%"]';
    expect(toPlain(parseOrderedJson(text))).toEqual(JSON.parse(text));
  });

  it.each([
    '',
    '{',
    '{"a" 1}',
    '{"a": 1,}',
    '[1,]',
    '01',
    '1.',
    '+1',
    'tru',
    'nulls',
    '"a\u0001"',
    '"\\x"',
    '{a: 1}',
    "{'a': 1}",
    '[1] 2',
    '[NaN]',
  ])('rejects %j like JSON.parse', (text) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(() => parseOrderedJson(text)).toThrow(SyntaxError);
  });

  it('refuses absurd nesting instead of overflowing the stack', () => {
    expect(() => parseOrderedJson('['.repeat(10_000) + ']'.repeat(10_000))).toThrow(/nesting too deep/);
  });

  it('agrees with JSON.parse on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(toPlain(parseOrderedJson(text))).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });
});
