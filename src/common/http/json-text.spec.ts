import { asJsonText, pageJson } from './json-text';

describe('pageJson', () => {
  it('wraps items that are already JSON into a page, with or without a cursor', () => {
    const items = asJsonText<Array<{ a: number }>>('[{"a":1}, {"a":2}]');
    expect(JSON.parse(pageJson(items, 'WyJiZWZvcmUiLDJd'))).toEqual({
      items: [{ a: 1 }, { a: 2 }],
      nextCursor: 'WyJiZWZvcmUiLDJd',
    });
    expect(JSON.parse(pageJson(asJsonText<never[]>('[]'), null))).toEqual({ items: [], nextCursor: null });
  });

  it('keeps the fields in the order of a serialised Page', () => {
    expect(pageJson(asJsonText<number[]>('[1]'), 'c')).toBe(JSON.stringify({ items: [1], nextCursor: 'c' }));
  });
});
