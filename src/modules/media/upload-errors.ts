import { HttpStatus } from '@nestjs/common';
import { AppException } from '../../common/errors/app-exception';
import { ErrorCode } from '../../common/errors/error-codes';

/** Reading the upload itself failed (as opposed to writing it to disk): the request's fault, not ours. */
export class UploadReadError extends Error {
  constructor(cause: unknown) {
    super('reading the upload failed', { cause });
  }
}

/**
 * What to answer when the multipart body cannot be read: busboy's errors (no boundary, a body that ends before
 * its closing boundary, a part cut short) carry no code, and would otherwise be a 500. Fastify's own
 * multipart errors (`FST_*`: not multipart, too many parts, too large) keep their mapping in error-response.ts.
 */
export function uploadReadFailure(error: unknown): unknown {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && code.startsWith('FST_')) return error;
  return new AppException(
    HttpStatus.BAD_REQUEST,
    ErrorCode.BAD_REQUEST,
    'Malformed multipart/form-data body: it needs a boundary parameter, and every part must end before the closing boundary',
  );
}
