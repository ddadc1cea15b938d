import { fileTypeFromBuffer } from 'file-type';
import { looksLikeText } from './text-sniff';

/**
 * The MIME type of a file decided from its first bytes. Plain text has no magic number, so a head that is valid
 * UTF-8 without NUL bytes counts as text/plain; anything else unknown is application/octet-stream.
 */
export async function detectMimeType(head: Buffer): Promise<string> {
  const detected = await fileTypeFromBuffer(head);
  if (detected) return detected.mime;
  return looksLikeText(head) ? 'text/plain' : 'application/octet-stream';
}
