/** True when a file's first bytes read as UTF-8 text (plain text has no magic number to detect). */
export function looksLikeText(head: Buffer): boolean {
  if (head.length === 0 || head.includes(0)) return false;
  // A multi-byte character cut at the end of the sample is fine; drop up to 3 trailing bytes before decoding.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let trim = 0; trim <= Math.min(3, head.length - 1); trim++) {
    try {
      decoder.decode(head.subarray(0, head.length - trim));
      return true;
    } catch {
      // try a shorter sample
    }
  }
  return false;
}
