export const MEDIA_QUEUE = 'media';
export const THUMBNAIL_JOB = 'thumbnail';

/** What may be uploaded, decided from the bytes (file-type), never from the client's declared type. */
export const ALLOWED_MIME_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
  'video/mp4',
  'video/webm',
  'audio/mpeg',
  'audio/ogg',
  'audio/wav',
  'text/plain',
]);

/** Types sharp turns into thumbnails. */
export const THUMBNAIL_MIME_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** Shown inline by browsers; everything else downloads. */
export const INLINE_MIME_TYPES = new Set([
  ...THUMBNAIL_MIME_TYPES,
  'application/pdf',
  'video/mp4',
  'video/webm',
  'audio/mpeg',
  'audio/ogg',
  'audio/wav',
]);

export const THUMBNAIL_SIZE = 320;

/**
 * The largest image, in pixels, that is accepted and thumbnailed. Decoding is what costs memory (4 bytes per
 * pixel and more), and a small compressed file can declare gigapixels (a decompression bomb): the thumbnail job
 * refuses to decode more than this, so uploads above it are refused up front instead of waiting for a thumbnail
 * that never comes.
 */
export const MAX_IMAGE_PIXELS = 100_000_000;
