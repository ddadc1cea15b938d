import { findUnsafeInput, MAX_INPUT_DEPTH } from './input-guard';

/** `levels` arrays, each holding the next. */
function nestedArrays(levels: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

describe('findUnsafeInput', () => {
  it('finds nothing in ordinary input', () => {
    const body = {
      name: 'Team',
      memberIds: ['a', 'b'],
      settings: { theme: 'dark', n: 1, on: true, none: null },
    };
    expect(findUnsafeInput(body, '')).toBeUndefined();
    expect(findUnsafeInput(undefined, '')).toBeUndefined();
    expect(findUnsafeInput('plain text with ümlauts and 日本語', '')).toBeUndefined();
  });

  it('names the field whose text holds a NUL, however deep', () => {
    expect(findUnsafeInput({ displayName: 'a\u0000b' }, '')).toEqual({
      field: 'displayName',
      message: 'displayName must not contain NUL characters',
    });
    expect(findUnsafeInput({ settings: { tags: ['ok', 'x\u0000'] } }, '')).toMatchObject({
      field: 'settings.tags[1]',
    });
    expect(findUnsafeInput('\u0000', '')).toEqual({ message: 'value must not contain NUL characters' });
    expect(findUnsafeInput('a\u0000', 'cursor')).toMatchObject({ field: 'cursor' });
  });

  it('refuses a key holding a NUL', () => {
    expect(findUnsafeInput({ settings: { 'a\u0000': 1 } }, '')).toEqual({
      field: 'settings.a\u0000',
      message: 'field names must not contain NUL characters',
    });
  });

  it('refuses text and keys with an unpaired surrogate, and takes paired ones', () => {
    expect(findUnsafeInput({ clientMessageId: 'k\uD800' }, '')).toEqual({
      field: 'clientMessageId',
      message: 'clientMessageId must be well-formed Unicode text (no unpaired surrogates)',
    });
    expect(findUnsafeInput({ settings: { a: ['ok', '\uDC00x'] } }, '')).toMatchObject({
      field: 'settings.a[1]',
    });
    expect(findUnsafeInput({ settings: { '\uD800': 1 } }, '')).toEqual({
      field: 'settings.\uD800',
      message: 'field names must be well-formed Unicode text (no unpaired surrogates)',
    });
    expect(findUnsafeInput({ content: '😀 \uD83D\uDE00 𝄞' }, '')).toBeUndefined();
    expect(findUnsafeInput({ content: '\uDE00\uD83D' }, '')).toMatchObject({ field: 'content' });
  });

  it(`takes ${MAX_INPUT_DEPTH} levels of nesting and refuses more`, () => {
    expect(findUnsafeInput(nestedArrays(MAX_INPUT_DEPTH), '')).toBeUndefined();
    expect(findUnsafeInput(nestedArrays(MAX_INPUT_DEPTH + 1), '')).toEqual({
      message: `value is nested too deeply (at most ${MAX_INPUT_DEPTH} levels)`,
    });
    expect(findUnsafeInput({ refreshToken: nestedArrays(MAX_INPUT_DEPTH) }, '')).toMatchObject({
      field: 'refreshToken',
    });
  });

  it('walks no deeper than the limit, so a body 100,000 levels deep is refused without overflowing', () => {
    let deep: Record<string, unknown> = {};
    const root = { settings: deep };
    for (let i = 0; i < 100_000; i++) {
      const next = {};
      deep.k = next;
      deep = next;
    }
    expect(findUnsafeInput(root, '')).toMatchObject({
      message: expect.stringContaining('nested too deeply'),
    });
  });
});
