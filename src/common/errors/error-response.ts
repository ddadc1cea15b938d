import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { AppException, ErrorDetail } from './app-exception';
import { isDependencyUnavailable } from './dependency-errors';
import { ErrorCode } from './error-codes';

/** The error shape every route answers with (API.md, Conventions). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
  details?: ErrorDetail[];
  requestId: string;
}

export interface ErrorResponse {
  body: ErrorBody;
  headers: Record<string, string>;
  /** true when the error is ours to fix (a bug or a dependency); such errors are logged with their stack. */
  unexpected: boolean;
}

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: ErrorCode.BAD_REQUEST,
  401: ErrorCode.UNAUTHORIZED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  405: ErrorCode.METHOD_NOT_ALLOWED,
  409: ErrorCode.CONFLICT,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  429: ErrorCode.RATE_LIMITED,
  503: ErrorCode.SERVICE_UNAVAILABLE,
};

/** Fastify's own errors (raised before a Nest handler runs) mapped to contract codes. */
const FASTIFY_ERRORS: Record<string, { status: number; code: ErrorCode; message: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    message: 'Unsupported Content-Type; send application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: ErrorCode.BAD_REQUEST,
    message: 'Content-Length does not match the body',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: ErrorCode.PAYLOAD_TOO_LARGE,
    message: 'Request body is too large',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: ErrorCode.MALFORMED_JSON,
    message: 'Body is empty but Content-Type is application/json',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    code: ErrorCode.MALFORMED_JSON,
    message: 'Body is not valid JSON',
  },
  FST_ERR_BAD_URL: { status: 400, code: ErrorCode.BAD_REQUEST, message: 'Malformed URL' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: ErrorCode.BAD_REQUEST, message: 'Bad request' },
  FST_REQ_FILE_TOO_LARGE: { status: 413, code: ErrorCode.PAYLOAD_TOO_LARGE, message: 'File is too large' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: {
    status: 415,
    code: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    message: 'Expected multipart/form-data',
  },
  FST_FILES_LIMIT: { status: 413, code: ErrorCode.PAYLOAD_TOO_LARGE, message: 'Too many files' },
  FST_PARTS_LIMIT: { status: 413, code: ErrorCode.PAYLOAD_TOO_LARGE, message: 'Too many parts' },
};

function reason(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

function withBody(
  status: number,
  code: string,
  message: string,
  requestId: string,
  details?: ErrorDetail[],
): ErrorBody {
  const body: ErrorBody = { statusCode: status, error: reason(status), code, message, requestId };
  if (details && details.length > 0) body.details = details;
  return body;
}

function isFastifyError(error: unknown): error is { code: string; statusCode?: number; message: string } {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('FST_');
}

/**
 * PostgreSQL's "invalid byte sequence for encoding UTF8: 0x00": text with a NUL character, which it cannot store
 * (JavaScript strings cannot carry any other invalid sequence). Requests are checked for NUL before they reach a
 * route (input-guard.ts); this catches text that came another way, e.g. a Socket.IO payload field without a rule.
 */
function isNulInText(error: unknown): boolean {
  const code = (value: unknown): unknown =>
    typeof value === 'object' && value !== null ? (value as { code?: unknown }).code : undefined;
  const driverError =
    typeof error === 'object' && error !== null
      ? (error as { driverError?: unknown }).driverError
      : undefined;
  return code(error) === '22021' || code(driverError) === '22021';
}

/** Maps anything thrown anywhere to the contract's error shape. Unknown errors become a bare 500. */
export function toErrorResponse(error: unknown, requestId: string): ErrorResponse {
  // Nest wraps Fastify's parser errors in an HttpException; the original carries the precise code.
  const cause = error instanceof HttpException ? error.cause : undefined;
  const fastifyError = isFastifyError(cause) ? cause : isFastifyError(error) ? error : undefined;
  const known = fastifyError && FASTIFY_ERRORS[fastifyError.code];
  if (known) {
    return {
      body: withBody(known.status, known.code, known.message, requestId),
      headers: {},
      unexpected: false,
    };
  }
  if (isNulInText(error)) {
    return {
      body: withBody(400, ErrorCode.VALIDATION_FAILED, 'Text must not contain NUL characters', requestId),
      headers: {},
      unexpected: false,
    };
  }
  if (error instanceof AppException) {
    return {
      body: withBody(error.status, error.code, error.message, requestId, error.details),
      headers: error.headers ?? {},
      unexpected: error.status >= 500,
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    let message = error.message;
    if (typeof response === 'object' && response !== null && 'message' in response) {
      const raw = (response as { message: unknown }).message;
      message = Array.isArray(raw) ? raw.join('; ') : String(raw);
    }
    let code: string =
      CODE_BY_STATUS[status] ?? (status >= 500 ? ErrorCode.INTERNAL_ERROR : ErrorCode.BAD_REQUEST);
    // Nest's router answers unknown routes with a NotFoundException "Cannot GET /x".
    if (status === 404 && /^Cannot [A-Z]+ /.test(message)) code = ErrorCode.ROUTE_NOT_FOUND;
    if (status >= 500) {
      return {
        body: withBody(500, ErrorCode.INTERNAL_ERROR, 'Internal server error', requestId),
        headers: {},
        unexpected: true,
      };
    }
    return { body: withBody(status, code, message, requestId), headers: {}, unexpected: false };
  }
  if (isDependencyUnavailable(error)) {
    return {
      body: withBody(
        HttpStatus.SERVICE_UNAVAILABLE,
        ErrorCode.SERVICE_UNAVAILABLE,
        'A service Parley depends on is unavailable; try again shortly',
        requestId,
      ),
      headers: { 'Retry-After': '1' },
      // Still logged: an operator wants to know, though the request was not at fault.
      unexpected: true,
    };
  }
  if (fastifyError) {
    const status = fastifyError.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      const code = CODE_BY_STATUS[status] ?? ErrorCode.BAD_REQUEST;
      return { body: withBody(status, code, reason(status), requestId), headers: {}, unexpected: false };
    }
  }
  return {
    body: withBody(
      HttpStatus.INTERNAL_SERVER_ERROR,
      ErrorCode.INTERNAL_ERROR,
      'Internal server error',
      requestId,
    ),
    headers: {},
    unexpected: true,
  };
}
