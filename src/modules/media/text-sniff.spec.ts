import { looksLikeText } from './text-sniff';

describe('looksLikeText', () => {
  it('accepts UTF-8 text, Cyrillic included', () => {
    expect(looksLikeText(Buffer.from('hello, привет\n'))).toBe(true);
  });

  it('accepts a sample that ends inside a multi-byte character', () => {
    const text = Buffer.from('ааа');
    expect(looksLikeText(text.subarray(0, text.length - 1))).toBe(true);
  });

  it('rejects empty input, NUL bytes and invalid UTF-8', () => {
    expect(looksLikeText(Buffer.alloc(0))).toBe(false);
    expect(looksLikeText(Buffer.from('a\u0000b'))).toBe(false);
    expect(looksLikeText(Buffer.from([0xc3, 0x28, 0x41, 0x41, 0x41]))).toBe(false);
  });
});
