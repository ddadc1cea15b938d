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
