import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { ErrorCode } from '../errors/error-codes';
import type { ErrorBody } from '../errors/error-response';
import { REQUEST_ID_HEADER } from './request-id';

/** How Node's HTTP parser failures are answered: status, reason phrase, and the contract's code and message. */
function classify(code: string | undefined): {
  status: number;
  error: string;
  code: ErrorCode;
  message: string;
} {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return {
      status: 408,
      error: 'Request Timeout',
      code: ErrorCode.BAD_REQUEST,
      message: 'The request was not received in time',
    };
  }
  if (code === 'HPE_HEADER_OVERFLOW') {
    return {
      status: 431,
      error: 'Request Header Fields Too Large',
      code: ErrorCode.BAD_REQUEST,
      message: 'The request headers are too large',
    };
  }
  return {
    status: 400,
    error: 'Bad Request',
    code: ErrorCode.BAD_REQUEST,
    message: 'Malformed HTTP request (check the request line, headers and Content-Length)',
  };
}

/**
 * The raw HTTP response for a request Node's parser rejected before Fastify saw it (a body longer than its
 * Content-Length, a broken request line, oversized headers), in the contract's error shape with a fresh request
 * id. Null when nothing should be written (the client reset the connection).
 */
export function clientErrorResponse(
  error: { code?: string },
  requestId: string = randomUUID(),
): string | null {
  if (error.code === 'ECONNRESET') return null;
  const { status, error: reason, code, message } = classify(error.code);
  const body: ErrorBody = { statusCode: status, error: reason, code, message, requestId };
  const json = JSON.stringify(body);
  return [
    `HTTP/1.1 ${status} ${reason}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(json)}`,
    `${REQUEST_ID_HEADER}: ${requestId}`,
    'Connection: close',
    '',
    json,
  ].join('\r\n');
}

/** Fastify's `clientErrorHandler`: answers in the contract's shape instead of Fastify's bare `{ error, message }`. */
export function handleClientError(error: Error & { code?: string }, socket: Socket): void {
  const response = socket.destroyed ? null : clientErrorResponse(error);
  if (response === null) {
    socket.destroy();
    return;
  }
  if (socket.writable) socket.end(response);
  else socket.destroy();
}
