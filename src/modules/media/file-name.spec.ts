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

describe('contentDisposition', () => {
  it('gives an ASCII fallback and the UTF-8 name', () => {
    expect(contentDisposition('attachment', 'отчёт.pdf')).toBe(
      `attachment; filename="_____.pdf"; filename*=UTF-8''${encodeURIComponent('отчёт.pdf')}`,
    );
  });
});
