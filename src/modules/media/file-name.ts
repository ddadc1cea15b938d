/** Longest file name kept, in characters (code points); the end is kept, so the extension survives. */
export const MAX_FILE_NAME_LENGTH = 200;

/**
 * Bidirectional-text controls (LRM, RLM, ALM, the embeddings, overrides and isolates). In a file name they only
 * serve to disguise it: `invoice\u202Efdp.exe` shows as "invoiceexe.pdf" in a browser's download bar.
 */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A display-safe file name: no path, no control or bidirectional-control characters, bounded length. */
export function sanitizeFileName(raw: string | undefined): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = base
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f"]/g, '')
    .replace(BIDI_CONTROLS, '')
    .trim();
  if (!cleaned || cleaned === '.' || cleaned === '..') return 'file';
  // By code points: cutting between the halves of a surrogate pair (an emoji) left one half, which has no UTF-8 form.
  const characters = Array.from(cleaned);
  return characters.length > MAX_FILE_NAME_LENGTH
    ? characters.slice(characters.length - MAX_FILE_NAME_LENGTH).join('')
    : cleaned;
}

/** Content-Disposition with an ASCII fallback and the RFC 5987 UTF-8 name. */
export function contentDisposition(kind: 'inline' | 'attachment', fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/[\\"]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
