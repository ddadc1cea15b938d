export type ByteRange = { start: number; end: number };

/**
 * Parses a single-range `Range` header (RFC 9110 §14.1.2) against a file of `size` bytes.
 * Returns undefined to serve the whole file (no header, multi-range or a unit we do not support),
 * 'unsatisfiable' for a range wholly outside the file (416), or the inclusive byte range.
 */
export function parseByteRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, rawStart, rawEnd] = match;
  if (rawStart === '' && rawEnd === '') return undefined;
  if (rawStart === '') {
    // Suffix range: the last N bytes.
    const length = Number(rawEnd);
    if (length === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(rawStart);
  const end = rawEnd === '' ? size - 1 : Math.min(Number(rawEnd), size - 1);
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}
