import { contentDisposition, sanitizeFileName } from './file-name';

describe('sanitizeFileName', () => {
  it('drops directories, control characters and quotes', () => {
    expect(sanitizeFileName('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFileName('C:\\Users\\me\\cat.png')).toBe('cat.png');
    expect(sanitizeFileName('a\u0000b"c.txt')).toBe('abc.txt');
  });

  it('falls back to "file" for empty or dot names', () => {
    expect(sanitizeFileName(undefined)).toBe('file');
    expect(sanitizeFileName('..')).toBe('file');
    expect(sanitizeFileName('   ')).toBe('file');
  });

  it('keeps the end of an over-long name so the extension survives', () => {
    const name = `${'x'.repeat(300)}.png`;
    expect(sanitizeFileName(name)).toHaveLength(200);
    expect(sanitizeFileName(name).endsWith('.png')).toBe(true);
  });
});

describe('sanitizeFileName, names that disguise themselves or break', () => {
  it('drops bidirectional controls, which make invoice\u202Efdp.exe look like a PDF', () => {
    expect(sanitizeFileName('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(sanitizeFileName('\u2067a\u200fb\u2069.txt')).toBe('ab.txt');
    expect(contentDisposition('attachment', sanitizeFileName('x\u202E.txt'))).not.toMatch(/%E2%80%AE/i);
  });

  it('cuts an over-long name between characters, never inside an emoji', () => {
    const name = `a${'😀'.repeat(250)}.png`;
    const kept = sanitizeFileName(name);
    expect(Array.from(kept)).toHaveLength(200);
    expect(kept.endsWith('.png')).toBe(true);
    expect(/\p{Cs}/u.test(kept)).toBe(false);
    expect(() => contentDisposition('attachment', kept)).not.toThrow();
  });
});

describe('contentDisposition', () => {
  it('gives an ASCII fallback and the UTF-8 name', () => {
    expect(contentDisposition('attachment', 'отчёт.pdf')).toBe(
      `attachment; filename="_____.pdf"; filename*=UTF-8''${encodeURIComponent('отчёт.pdf')}`,
    );
  });
});
