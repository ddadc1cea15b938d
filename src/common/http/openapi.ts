import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  type OpenAPIObject,
  type OperationObject,
  type ReferenceObject,
  type RequestBodyObject,
  type ResponseObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ErrorBodyDto, ErrorDetailDto } from '../errors/error-body.dto';
import { ErrorCode } from '../errors/error-codes';
import { codeMeanings, type ErrorCodes, type ErrorExample, errorExample } from './api-errors';
import { PUBLIC_EXTENSION } from './public.decorator';

const ERROR_REF = { $ref: '#/components/schemas/ErrorBodyDto' };
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;

/** Every request passes the input guard and Fastify's URL checks; anything can fail unexpectedly. */
const EVERY_ROUTE: Record<number, ErrorCodes> = {
  400: [ErrorCode.VALIDATION_FAILED, ErrorCode.BAD_REQUEST],
  500: [ErrorCode.INTERNAL_ERROR],
};
/** Every API route needs PostgreSQL or Redis, and answers 503 while one is down (see dependency-errors.ts). */
const API_ROUTE: Record<number, ErrorCodes> = {
  503: [ErrorCode.SERVICE_UNAVAILABLE],
};
/** The global auth guard, on every route not marked @Public(). */
const AUTHENTICATED: Record<number, ErrorCodes> = {
  401: [ErrorCode.UNAUTHORIZED, ErrorCode.TOKEN_INVALID, ErrorCode.TOKEN_EXPIRED],
};
/** Fastify's body parsing: BODY_LIMIT_BYTES, JSON only, uncompressed. */
const WITH_BODY: Record<number, ErrorCodes> = {
  413: [ErrorCode.PAYLOAD_TOO_LARGE],
  415: [ErrorCode.UNSUPPORTED_MEDIA_TYPE],
};
const WITH_JSON_BODY: Record<number, ErrorCodes> = { 400: [ErrorCode.MALFORMED_JSON] };

const RETRY_AFTER: ResponseObject['headers'] = {
  'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer' } },
};
const ERROR_HEADERS: Record<number, ResponseObject['headers']> = {
  416: { 'Content-Range': { description: 'The file size: `bytes */<size>`', schema: { type: 'string' } } },
  429: RETRY_AFTER,
  503: RETRY_AFTER,
};

type Examples = Record<string, ErrorExample>;

function isReference(value: unknown): value is ReferenceObject {
  return typeof value === 'object' && value !== null && '$ref' in value;
}

/** The examples (one per error code) a route's own @ApiErrors put on `response`, whatever media type they went under. */
function examplesOf(response: ResponseObject): Examples {
  const examples: Examples = {};
  for (const media of Object.values(response.content ?? {})) {
    for (const [code, example] of Object.entries(media.examples ?? {})) {
      if (!isReference(example)) examples[code] = example as ErrorExample;
    }
  }
  return examples;
}

/** `Not Found` and one line per code: what a reader of the document (or of a generated SDK) needs. */
function describe(status: number, examples: Examples): string {
  const lines = Object.entries(examples).map(([code, example]) => `- \`${code}\`: ${example.summary}`);
  return [STATUS_CODES[status] ?? 'Error', ...lines].join('\n');
}

/**
 * Gives every 4xx/5xx response of `operation` the shared error body: the codes shared by rule (`shared`) plus the
 * route's own (@ApiErrors, which win where both name a code), as examples, and a description listing them.
 */
function documentErrors(operation: OperationObject, shared: Record<number, ErrorCodes>[]): void {
  const responses = operation.responses;
  const statuses = new Set<number>();
  for (const key of Object.keys(responses)) if (/^[45]\d\d$/.test(key)) statuses.add(Number(key));
  for (const rule of shared) for (const key of Object.keys(rule)) statuses.add(Number(key));

  for (const status of statuses) {
    const existing = responses[String(status)];
    const own = existing && !isReference(existing) ? examplesOf(existing) : {};
    const examples: Examples = {};
    for (const rule of shared) {
      for (const [code, meaning] of codeMeanings(rule[status] ?? [])) {
        examples[code] ??= errorExample(status, code, meaning);
      }
    }
    Object.assign(examples, own);
    const response: ResponseObject = {
      description: describe(status, examples),
      content: {
        'application/json': {
          schema: ERROR_REF,
          ...(Object.keys(examples).length > 0 ? { examples } : {}),
        },
      },
    };
    const headers = ERROR_HEADERS[status];
    if (headers) response.headers = headers;
    responses[String(status)] = response;
  }
  // Successes first, then errors by status: the order a reader scans them in.
  const sorted = Object.entries(responses).sort(([a], [b]) => a.localeCompare(b));
  for (const [key] of sorted) delete responses[key];
  for (const [key, value] of sorted) responses[key] = value;
}

function hasBody(operation: OperationObject): { any: boolean; json: boolean } {
  const body = operation.requestBody as RequestBodyObject | undefined;
  const types = Object.keys(body?.content ?? {});
  return { any: types.length > 0, json: types.includes('application/json') };
}

/**
 * Builds the OpenAPI document. Operation ids are the controller method names (`createRoom`), so generated SDKs
 * read well. Every error response points at the one shared error schema and lists its codes: the ones every route
 * shares are added here by rule (400 and 500 everywhere, 401 behind the auth guard, 413/415 on routes with a
 * body), the rest each route declares with @ApiErrors.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Parley API')
    .setDescription(
      'Self-hosted messaging backend: REST API v1. Real-time (Socket.IO) events are documented in ' +
        'docs/REALTIME.md, linked from the README. Ids are UUIDs: accepted in either letter case, always ' +
        'answered in lower case. Text must be well-formed Unicode (no NUL, no unpaired surrogates).',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addSecurityRequirements('bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
    extraModels: [ErrorBodyDto, ErrorDetailDto],
  });
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method] as (OperationObject & Record<string, unknown>) | undefined;
      if (!operation) continue;
      const isPublic = operation[PUBLIC_EXTENSION] === true;
      delete operation[PUBLIC_EXTENSION];
      if (isPublic) operation.security = [];
      const body = hasBody(operation);
      const shared = [EVERY_ROUTE];
      if (path.startsWith('/api/')) shared.push(API_ROUTE);
      if (!isPublic) shared.push(AUTHENTICATED);
      if (body.any) shared.push(WITH_BODY);
      if (body.json) shared.push(WITH_JSON_BODY);
      documentErrors(operation, shared);
    }
  }
  return document;
}
