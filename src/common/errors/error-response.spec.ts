import {
  BadRequestException,
  ForbiddenException,
  HttpException,
  InternalServerErrorException,
  NotFoundException,
  PayloadTooLargeException,
} from '@nestjs/common';
import { AppException } from './app-exception';
import { ErrorCode } from './error-codes';
import { toErrorResponse } from './error-response';

const REQUEST_ID = 'req-1';

/** What Fastify raises from its content-type parsers, before any handler runs. */
function fastifyError(code: string, statusCode: number, message = 'fastify says no'): Error {
  return Object.assign(new Error(message), { code, statusCode });
}

describe('toErrorResponse', () => {
  describe('AppException', () => {
    it('keeps its status, code, message and details', () => {
      const details = [{ field: 'username', message: 'username must be longer' }];
      const { body, headers, unexpected } = toErrorResponse(AppException.validation(details), REQUEST_ID);
      expect(body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'VALIDATION_FAILED',
        message: 'Request validation failed',
        details,
        requestId: REQUEST_ID,
      });
      expect(headers).toEqual({});
      expect(unexpected).toBe(false);
    });

    it('maps each helper to its status and reason phrase', () => {
      const cases: Array<[AppException, number, string, string]> = [
        [
          AppException.notFound(ErrorCode.ROOM_NOT_FOUND, 'Room not found'),
          404,
          'Not Found',
          'ROOM_NOT_FOUND',
        ],
        [AppException.conflict(ErrorCode.USERNAME_TAKEN, 'taken'), 409, 'Conflict', 'USERNAME_TAKEN'],
        [AppException.unauthorized(), 401, 'Unauthorized', 'UNAUTHORIZED'],
        [AppException.forbidden(), 403, 'Forbidden', 'FORBIDDEN'],
        [AppException.unavailable('redis down'), 503, 'Service Unavailable', 'SERVICE_UNAVAILABLE'],
      ];
      for (const [exception, statusCode, error, code] of cases) {
        expect(toErrorResponse(exception, REQUEST_ID).body).toMatchObject({ statusCode, error, code });
      }
    });

    it('omits empty details', () => {
      const { body } = toErrorResponse(AppException.validation([]), REQUEST_ID);
      expect(body).not.toHaveProperty('details');
    });

    it('passes Retry-After through for rate limits, rounded up to whole seconds', () => {
      const { body, headers } = toErrorResponse(AppException.rateLimited(1.2), REQUEST_ID);
      expect(body).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
      expect(headers).toEqual({ 'Retry-After': '2' });
    });

    it('flags 5xx app exceptions as unexpected so they are logged', () => {
      expect(toErrorResponse(AppException.unavailable('db down'), REQUEST_ID).unexpected).toBe(true);
    });
  });

  describe('Nest HttpException', () => {
    it('maps the status to a contract code', () => {
      expect(toErrorResponse(new ForbiddenException('no'), REQUEST_ID).body).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        code: 'FORBIDDEN',
        message: 'no',
        requestId: REQUEST_ID,
      });
      expect(toErrorResponse(new PayloadTooLargeException(), REQUEST_ID).body.code).toBe('PAYLOAD_TOO_LARGE');
      expect(toErrorResponse(new HttpException('teapot', 418), REQUEST_ID).body).toMatchObject({
        statusCode: 418,
        code: 'BAD_REQUEST',
      });
    });

    it('joins an array of messages', () => {
      const { body } = toErrorResponse(new BadRequestException(['a is wrong', 'b is wrong']), REQUEST_ID);
      expect(body.message).toBe('a is wrong; b is wrong');
    });

    it('calls the router 404 for an unknown route ROUTE_NOT_FOUND, other 404s NOT_FOUND', () => {
      expect(toErrorResponse(new NotFoundException('Cannot GET /nope'), REQUEST_ID).body.code).toBe(
        'ROUTE_NOT_FOUND',
      );
      expect(toErrorResponse(new NotFoundException('Gone'), REQUEST_ID).body.code).toBe('NOT_FOUND');
    });

    it('hides the message of a 5xx HttpException', () => {
      const { body, unexpected } = toErrorResponse(
        new InternalServerErrorException('connection to 10.0.0.5 refused'),
        REQUEST_ID,
      );
      expect(body).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        code: 'INTERNAL_ERROR',
        message: 'Internal server error',
        requestId: REQUEST_ID,
      });
      expect(unexpected).toBe(true);
    });
  });

  describe('Fastify errors', () => {
    it.each([
      ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 400, 'MALFORMED_JSON'],
      ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 400, 'MALFORMED_JSON'],
      ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 413, 'PAYLOAD_TOO_LARGE'],
      ['FST_ERR_BAD_URL', 400, 400, 'BAD_REQUEST'],
    ])('maps raw %s to %i', (code, fastifyStatus, status, contractCode) => {
      const { body, unexpected } = toErrorResponse(fastifyError(code, fastifyStatus), REQUEST_ID);
      expect(body).toMatchObject({ statusCode: status, code: contractCode, requestId: REQUEST_ID });
      expect(body.message).not.toBe('fastify says no');
      expect(unexpected).toBe(false);
    });

    it('reads the Fastify error Nest wrapped in an HttpException', () => {
      const cause = fastifyError('FST_ERR_CTP_INVALID_JSON_BODY', 400, "Unexpected token '}'");
      const wrapped = new BadRequestException("Unexpected token '}'", { cause });
      expect(toErrorResponse(wrapped, REQUEST_ID).body).toMatchObject({
        statusCode: 400,
        code: 'MALFORMED_JSON',
        message: 'Body is not valid JSON',
      });
    });

    it('answers an unmapped 4xx Fastify error with its status and a generic message', () => {
      const { body, unexpected } = toErrorResponse(
        fastifyError('FST_ERR_SOMETHING_NEW', 431, 'internal detail'),
        REQUEST_ID,
      );
      expect(body).toEqual({
        statusCode: 431,
        error: 'Request Header Fields Too Large',
        code: 'BAD_REQUEST',
        message: 'Request Header Fields Too Large',
        requestId: REQUEST_ID,
      });
      expect(unexpected).toBe(false);
    });

    it('treats an unmapped 5xx Fastify error as a bug', () => {
      const { body, unexpected } = toErrorResponse(fastifyError('FST_ERR_WHATEVER', 500), REQUEST_ID);
      expect(body).toMatchObject({ statusCode: 500, code: 'INTERNAL_ERROR' });
      expect(unexpected).toBe(true);
    });
  });

  describe('PostgreSQL refusing NUL in text', () => {
    const refusal = () =>
      Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });

    it.each([
      ['from pg', refusal()],
      ['wrapped by TypeORM', Object.assign(new Error('query failed'), { driverError: refusal() })],
    ])('answers it %s as a 400 VALIDATION_FAILED', (_label, thrown) => {
      const { body, unexpected } = toErrorResponse(thrown, REQUEST_ID);
      expect(body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'VALIDATION_FAILED',
        message: 'Text must not contain NUL characters',
        requestId: REQUEST_ID,
      });
      expect(unexpected).toBe(false);
    });

    it('leaves other database errors as a 500', () => {
      const thrown = Object.assign(new Error('deadlock detected'), { code: '40P01' });
      expect(toErrorResponse(thrown, REQUEST_ID).body.statusCode).toBe(500);
    });
  });

  describe('a dependency that is down', () => {
    it('answers 503 SERVICE_UNAVAILABLE with Retry-After, and flags it for the log', () => {
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
        code: 'ECONNREFUSED',
      });
      const { body, headers, unexpected } = toErrorResponse(refused, REQUEST_ID);
      expect(body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'SERVICE_UNAVAILABLE',
        message: 'A service Parley depends on is unavailable; try again shortly',
        requestId: REQUEST_ID,
      });
      expect(headers).toEqual({ 'Retry-After': '1' });
      expect(unexpected).toBe(true);
    });
  });

  describe('anything else', () => {
    it.each([
      ['an Error', new Error('relation "users" does not exist at /app/dist/x.js:1')],
      ['a string', 'boom'],
      ['null', null],
      ['an object', { password: 'hunter2' }],
    ])('answers %s with a bare 500 and no internals', (_label, thrown) => {
      const { body, headers, unexpected } = toErrorResponse(thrown, REQUEST_ID);
      expect(body).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        code: 'INTERNAL_ERROR',
        message: 'Internal server error',
        requestId: REQUEST_ID,
      });
      expect(headers).toEqual({});
      expect(unexpected).toBe(true);
    });
  });
});
