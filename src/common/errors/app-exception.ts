import { HttpStatus } from '@nestjs/common';
import { ErrorCode } from './error-codes';

export interface ErrorDetail {
  field?: string;
  message: string;
  [key: string]: unknown;
}

/**
 * The one exception type services throw. The global filters (HTTP and Socket.IO) map it to the
 * contract's error shape; nothing else needs to know about status codes.
 */
export class AppException extends Error {
  constructor(
    readonly status: HttpStatus,
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppException';
  }

  static badRequest(code: ErrorCode, message: string, details?: ErrorDetail[]): AppException {
    return new AppException(HttpStatus.BAD_REQUEST, code, message, details);
  }
  static validation(details: ErrorDetail[], message = 'Request validation failed'): AppException {
    return new AppException(HttpStatus.BAD_REQUEST, ErrorCode.VALIDATION_FAILED, message, details);
  }
  static unauthorized(
    code: ErrorCode = ErrorCode.UNAUTHORIZED,
    message = 'Authentication required',
  ): AppException {
    return new AppException(HttpStatus.UNAUTHORIZED, code, message);
  }
  static forbidden(
    code: ErrorCode = ErrorCode.FORBIDDEN,
    message = 'You are not allowed to do this',
  ): AppException {
    return new AppException(HttpStatus.FORBIDDEN, code, message);
  }
  static notFound(code: ErrorCode, message: string): AppException {
    return new AppException(HttpStatus.NOT_FOUND, code, message);
  }
  static conflict(code: ErrorCode, message: string): AppException {
    return new AppException(HttpStatus.CONFLICT, code, message);
  }
  static rateLimited(retryAfterSeconds: number, message = 'Too many requests, slow down'): AppException {
    return new AppException(HttpStatus.TOO_MANY_REQUESTS, ErrorCode.RATE_LIMITED, message, undefined, {
      'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))),
    });
  }
  static unavailable(message: string): AppException {
    return new AppException(HttpStatus.SERVICE_UNAVAILABLE, ErrorCode.SERVICE_UNAVAILABLE, message);
  }
}
