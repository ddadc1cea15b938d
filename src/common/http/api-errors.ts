import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ErrorBodyDto } from '../errors/error-body.dto';
import { ErrorCode } from '../errors/error-codes';
import type { ErrorBody } from '../errors/error-response';

/** Error statuses a route documents for itself; buildOpenApiDocument adds the ones every route shares. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 416 | 429 | 503;

/** The codes one status answers with: a list (each with its usual meaning), or code → what it means here. */
export type ErrorCodes = readonly ErrorCode[] | Partial<Record<ErrorCode, string>>;

/** What each code usually means; a route can say it more precisely. A new code does not compile until it is here. */
export const ERROR_CODE_MEANINGS: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'A body field, query or path parameter is missing or invalid; `details` lists each',
  MALFORMED_JSON: 'The body is not valid JSON (or is empty with a JSON Content-Type)',
  BAD_REQUEST: 'Malformed request line, URL or headers',
  UNAUTHORIZED: 'No bearer token, or its account no longer exists',
  TOKEN_INVALID: 'The access token is malformed or forged, or its session was revoked or has ended',
  TOKEN_EXPIRED: 'The access token has expired: refresh it',
  FORBIDDEN: 'Authenticated, but not allowed to do this',
  NOT_FOUND: 'Not found',
  ROUTE_NOT_FOUND: 'No such route',
  METHOD_NOT_ALLOWED: 'The route does not take this method',
  CONFLICT: 'Conflicts with the current state',
  PAYLOAD_TOO_LARGE: 'The body is larger than the server accepts (BODY_LIMIT_BYTES)',
  UNSUPPORTED_MEDIA_TYPE:
    'The body is not `application/json`, or is compressed (send it uncompressed: `Content-Encoding: identity`)',
  RATE_LIMITED: 'Too many requests: retry after `Retry-After` seconds',
  SERVICE_UNAVAILABLE:
    'A dependency (PostgreSQL, Redis or the queues) is down; `details` names it where known',
  INTERNAL_ERROR: 'Unexpected error (a bug); quote the `requestId`',
  INVALID_CREDENTIALS: 'Wrong login or password',
  REFRESH_TOKEN_INVALID: 'Unknown, expired or revoked refresh token',
  REFRESH_TOKEN_REUSED: 'The refresh token was already spent: its whole session is now revoked',
  SESSION_NOT_FOUND: 'Not an active session of the caller',
  USERNAME_TAKEN: 'The username is taken (case-insensitively)',
  EMAIL_TAKEN: 'The email is already registered',
  USER_NOT_FOUND: 'No such user (or the account was deleted)',
  USER_DISABLED: 'The account has been disabled by an admin',
  USER_BLOCKED: 'One of the two users has blocked the other',
  CANNOT_BLOCK_SELF: 'Users cannot block or unblock themselves',
  ROOM_NOT_FOUND: 'No such room, or the caller is not a member',
  MEMBER_NOT_FOUND: 'That user is not a member of the room',
  MESSAGE_NOT_FOUND: 'No such message, or it is in a room the caller is not in',
  MEDIA_NOT_FOUND: 'No such upload, or the caller cannot see it',
  THUMBNAIL_NOT_READY: 'The upload has no thumbnail (yet)',
  RANGE_NOT_SATISFIABLE: 'The `Range` lies outside the file; `Content-Range` gives its size',
  LAST_OWNER: 'The last owner cannot leave or step down: make someone else owner first',
  INVALID_PARENT: '`parentId` is not a live top-level message of this room',
  MESSAGE_DELETED: 'The message was deleted',
};

const EXAMPLE_REQUEST_ID = '0f6bd3c2-51a4-4c3e-9d35-7f1f2a4b8e10';

/** One example of the error body; a response's `examples` are keyed by code. */
export interface ErrorExample {
  summary: string;
  value: ErrorBody;
}

/** An example error body for `code` at `status`. */
export function errorExample(status: number, code: string, meaning: string): ErrorExample {
  const value: ErrorBody = {
    statusCode: status,
    error: STATUS_CODES[status] ?? 'Error',
    code,
    message: meaning,
    requestId: EXAMPLE_REQUEST_ID,
  };
  if (code === ErrorCode.VALIDATION_FAILED)
    value.details = [{ field: 'name', message: 'name must be a string' }];
  return { summary: meaning, value };
}

/** Code → meaning, in the order given. */
export function codeMeanings(codes: ErrorCodes): Array<[string, string]> {
  if (isCodeList(codes)) return codes.map((code) => [code, ERROR_CODE_MEANINGS[code]]);
  return Object.entries(codes).flatMap(([code, meaning]) => (meaning === undefined ? [] : [[code, meaning]]));
}

function isCodeList(codes: ErrorCodes): codes is readonly ErrorCode[] {
  return Array.isArray(codes);
}

/**
 * Documents the errors a route answers with beyond the shared ones (400, 401, 413, 415 and 500 are added by rule in
 * buildOpenApiDocument): one entry per status, listing its codes. Each code becomes an example of the shared error
 * body, and buildOpenApiDocument writes the description from them. Use it once per route: a second use would
 * replace the first one's statuses.
 *
 * @example @ApiErrors({ 404: [ErrorCode.ROOM_NOT_FOUND], 403: { FORBIDDEN: 'Needs the admin role in the room' } })
 */
export function ApiErrors(
  errors: Partial<Record<ErrorStatus, ErrorCodes>>,
): MethodDecorator & ClassDecorator {
  const decorators = Object.entries(errors).flatMap(([key, codes]) => {
    if (codes === undefined) return [];
    const status = Number(key);
    const examples = Object.fromEntries(
      codeMeanings(codes).map(([code, meaning]) => [code, errorExample(status, code, meaning)]),
    );
    return [
      ApiResponse({
        status,
        description: STATUS_CODES[status] ?? 'Error',
        type: ErrorBodyDto,
        examples,
      }),
    ];
  });
  return applyDecorators(...decorators);
}
