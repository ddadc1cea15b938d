import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPIV3 } from 'openapi-types';
import { startApp, TestApp } from '../support/app';
import { Http } from '../support/http';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;
const ERROR_SCHEMA = '#/components/schemas/ErrorBodyDto';
/** Routes the contract reaches without a token (API.md, Conventions). */
const PUBLIC_OPERATIONS = [
  'GET /health',
  'GET /health/ready',
  'POST /api/v1/auth/register',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/refresh',
  'GET /metrics',
];
/** The codes of the global auth guard: never on a public route. */
const TOKEN_CODES = ['UNAUTHORIZED', 'TOKEN_INVALID', 'TOKEN_EXPIRED'];
/** Routes behind a rate limit or the failed-password lock (auth-throttler.guard.ts, login-failures.ts). */
const RATE_LIMITED_OPERATIONS = [
  'POST /api/v1/auth/register',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/refresh',
  'PUT /api/v1/users/me/password',
  'DELETE /api/v1/users/me',
];

interface Operation {
  key: string;
  operation: OpenAPIV3.OperationObject;
}

/** The error codes a response lists: its examples are keyed by code. */
function codesOf(operation: OpenAPIV3.OperationObject, status: string): string[] {
  const response = operation.responses[status] as OpenAPIV3.ResponseObject | undefined;
  return Object.keys(response?.content?.['application/json']?.examples ?? {});
}

function operationsOf(document: OpenAPIV3.Document): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const operation = item?.[method];
      return operation ? [{ key: `${method.toUpperCase()} ${path}`, operation }] : [];
    }),
  );
}

describe('API docs', () => {
  let app: TestApp;
  let http: Http;
  let document: OpenAPIV3.Document;
  beforeAll(async () => {
    app = await startApp();
    http = Http.for(app);
    const res = await http.get('/docs-json');
    expect(res.status).toBe(200);
    document = res.body as OpenAPIV3.Document;
  });
  afterAll(async () => {
    await app.stop();
  });

  it('GET /docs serves the Swagger UI page and every asset it loads', async () => {
    const res = await http.get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toContain('swagger-ui');
    const assets = [...res.text.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map(([, asset]) => `/${asset}`);
    expect(assets).toEqual(
      expect.arrayContaining(['/docs/swagger-ui-bundle.js', '/docs/swagger-ui-init.js']),
    );
    for (const asset of assets) {
      const loaded = await http.get(asset);
      expect({ asset, status: loaded.status }).toEqual({ asset, status: 200 });
    }
    // The init script points the UI at the JSON document.
    expect((await http.get('/docs/swagger-ui-init.js')).text).toMatch(/"openapi":\s*"3\./);
  });

  it('GET /docs-json is a valid OpenAPI 3 document', async () => {
    expect(document.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
  });

  it('gives every operation a readable, unique operationId', () => {
    const ids = operationsOf(document).map(({ key, operation }) => ({ key, id: operation.operationId }));
    expect(ids.length).toBeGreaterThan(0);
    for (const { key, id } of ids) {
      expect({ key, id }).toEqual({ key, id: expect.stringMatching(/^[a-z][A-Za-z0-9]+$/) });
      expect(id).not.toMatch(/Controller/);
    }
    const seen = new Map<string, string>();
    for (const { key, id } of ids) {
      expect({ id, key: seen.get(id!) ?? key }).toEqual({ id, key });
      seen.set(id!, key);
    }
  });

  it('names the health operations stably', () => {
    expect(document.paths['/health']?.get?.operationId).toBe('getLiveness');
    expect(document.paths['/health/ready']?.get?.operationId).toBe('getReadiness');
  });

  it('declares the bearer scheme and requires it by default', () => {
    expect(document.components?.securitySchemes?.bearer).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
    );
    expect(document.security).toEqual([{ bearer: [] }]);
  });

  it('publishes the shared error shape as a schema', () => {
    const schema = document.components?.schemas?.ErrorBodyDto as OpenAPIV3.SchemaObject;
    expect(Object.keys(schema.properties ?? {})).toEqual(
      expect.arrayContaining(['statusCode', 'error', 'code', 'message', 'details', 'requestId']),
    );
    expect(schema.required).toEqual(
      expect.arrayContaining(['statusCode', 'error', 'code', 'message', 'requestId']),
    );
  });

  it('points every 4xx/5xx response of every operation at the shared error schema', () => {
    for (const { key, operation } of operationsOf(document)) {
      const errors = Object.entries(operation.responses).filter(([status]) => /^[45]/.test(status));
      expect({ key, hasErrors: errors.length > 0 }).toEqual({ key, hasErrors: true });
      for (const [status, response] of errors) {
        const schema = (response as OpenAPIV3.ResponseObject).content?.['application/json']?.schema;
        expect({ key, status, schema }).toEqual({ key, status, schema: { $ref: ERROR_SCHEMA } });
      }
    }
  });

  it('marks public routes with empty security and keeps the bearer requirement elsewhere', () => {
    for (const { key, operation } of operationsOf(document)) {
      if (PUBLIC_OPERATIONS.includes(key)) {
        expect({ key, security: operation.security }).toEqual({ key, security: [] });
        // Only a route's own 401s (a wrong password, a spent refresh token), never the auth guard's.
        expect({ key, codes: codesOf(operation, '401') }).toEqual({
          key,
          codes: expect.not.arrayContaining([expect.stringMatching(/^(UNAUTHORIZED|TOKEN_)/)]),
        });
      } else {
        expect({ key, security: operation.security }).not.toEqual({ key, security: [] });
        expect({ key, codes: codesOf(operation, '401') }).toEqual({
          key,
          codes: expect.arrayContaining(TOKEN_CODES),
        });
      }
      // The marker the document builder reads must not leak into the published document.
      expect(Object.keys(operation).filter((field) => field.startsWith('x-parley'))).toEqual([]);
    }
  });

  it('documents readiness failures as 503', () => {
    const responses = document.paths['/health/ready']?.get?.responses ?? {};
    expect(responses['503']).toBeDefined();
  });

  it.each([
    ['POST /api/v1/auth/login', '401', ['INVALID_CREDENTIALS']],
    ['POST /api/v1/auth/login', '403', ['USER_DISABLED']],
    ['POST /api/v1/auth/register', '409', ['USERNAME_TAKEN', 'EMAIL_TAKEN']],
    ['POST /api/v1/auth/refresh', '401', ['REFRESH_TOKEN_INVALID', 'REFRESH_TOKEN_REUSED']],
    ['PUT /api/v1/users/me/password', '403', ['INVALID_CREDENTIALS']],
    ['GET /api/v1/users/me/export', '503', ['SERVICE_UNAVAILABLE']],
    ['POST /api/v1/users/{id}/block', '400', ['CANNOT_BLOCK_SELF']],
    ['PATCH /api/v1/admin/users/{id}', '403', ['FORBIDDEN']],
    ['POST /api/v1/rooms', '403', ['USER_BLOCKED']],
    ['POST /api/v1/rooms', '404', ['USER_NOT_FOUND']],
    ['POST /api/v1/rooms/{id}/members', '403', ['FORBIDDEN', 'USER_BLOCKED']],
    ['PATCH /api/v1/rooms/{id}/members/{userId}', '409', ['LAST_OWNER']],
    ['DELETE /api/v1/rooms/{id}/members/{userId}', '409', ['LAST_OWNER']],
    ['POST /api/v1/rooms/{id}/messages', '400', ['INVALID_PARENT']],
    ['PATCH /api/v1/messages/{id}', '409', ['MESSAGE_DELETED']],
    ['PUT /api/v1/messages/{id}/reactions/{emoji}', '409', ['MESSAGE_DELETED']],
    ['GET /api/v1/messages/search', '404', ['ROOM_NOT_FOUND']],
    ['POST /api/v1/media', '413', ['PAYLOAD_TOO_LARGE']],
    ['POST /api/v1/media', '415', ['UNSUPPORTED_MEDIA_TYPE']],
    ['GET /api/v1/media/{id}/content', '416', ['RANGE_NOT_SATISFIABLE']],
    ['GET /api/v1/media/{id}/thumbnail', '404', ['MEDIA_NOT_FOUND', 'THUMBNAIL_NOT_READY']],
    ['GET /health/ready', '503', ['SERVICE_UNAVAILABLE']],
  ])('%s documents %s with %j in the shared error shape', (key, status, codes) => {
    const operation = operationsOf(document).find((candidate) => candidate.key === key)?.operation;
    expect({ key, found: operation !== undefined }).toEqual({ key, found: true });
    const response = operation!.responses[status] as OpenAPIV3.ResponseObject;
    expect(response.content?.['application/json']?.schema).toEqual({ $ref: ERROR_SCHEMA });
    expect(codesOf(operation!, status)).toEqual(expect.arrayContaining(codes));
    // The description names each code, for readers of the document and of generated SDKs.
    for (const code of codes) expect(response.description).toContain(`\`${code}\``);
  });

  it('documents 400 VALIDATION_FAILED on every operation, and MALFORMED_JSON, 413 and 415 wherever a body is taken', () => {
    for (const { key, operation } of operationsOf(document)) {
      expect({ key, codes: codesOf(operation, '400') }).toEqual({
        key,
        codes: expect.arrayContaining(['VALIDATION_FAILED']),
      });
      const body = operation.requestBody as OpenAPIV3.RequestBodyObject | undefined;
      if (!body) continue;
      expect({ key, has413: '413' in operation.responses, has415: '415' in operation.responses }).toEqual({
        key,
        has413: true,
        has415: true,
      });
      if (body.content['application/json']) {
        expect({ key, codes: codesOf(operation, '400') }).toEqual({
          key,
          codes: expect.arrayContaining(['MALFORMED_JSON']),
        });
      }
    }
    // Every JSON-body route of the API takes part in the check above.
    const withBody = operationsOf(document).filter(({ operation }) => operation.requestBody);
    expect(withBody.map(({ key }) => key)).toEqual(
      expect.arrayContaining([
        'POST /api/v1/auth/login',
        'PATCH /api/v1/messages/{id}',
        'POST /api/v1/media',
      ]),
    );
  });

  it('documents 503 SERVICE_UNAVAILABLE with Retry-After on every API operation (a dependency down)', () => {
    const api = operationsOf(document).filter(({ key }) => key.includes(' /api/'));
    expect(api.length).toBeGreaterThan(40);
    for (const { key, operation } of api) {
      const response = operation.responses['503'] as OpenAPIV3.ResponseObject | undefined;
      expect({
        key,
        codes: codesOf(operation, '503'),
        retryAfter: response?.headers?.['Retry-After'] !== undefined,
      }).toEqual({
        key,
        codes: expect.arrayContaining(['SERVICE_UNAVAILABLE']),
        retryAfter: true,
      });
    }
  });

  it('documents 404 with its codes on every operation with a path parameter', () => {
    for (const { key, operation } of operationsOf(document)) {
      if (!key.includes('{')) continue;
      expect({ key, codes: codesOf(operation, '404').length > 0 }).toEqual({ key, codes: true });
    }
  });

  it('documents 429 with Retry-After on exactly the rate-limited operations', () => {
    const limited = operationsOf(document).filter(({ operation }) => '429' in operation.responses);
    expect(limited.map(({ key }) => key).sort()).toEqual([...RATE_LIMITED_OPERATIONS].sort());
    for (const { operation } of limited) {
      const response = operation.responses['429'] as OpenAPIV3.ResponseObject;
      expect(response.headers?.['Retry-After']).toBeDefined();
      expect(codesOf(operation, '429')).toEqual(['RATE_LIMITED']);
    }
  });

  it('gives the export every section it returns, each list with a typed item schema', () => {
    const schemas = document.components?.schemas ?? {};
    const resolve = (schema: unknown): OpenAPIV3.SchemaObject => {
      const ref = (schema as OpenAPIV3.ReferenceObject).$ref;
      return (ref ? schemas[ref.replace('#/components/schemas/', '')] : schema) as OpenAPIV3.SchemaObject;
    };
    const response = document.paths['/api/v1/users/me/export']?.get?.responses[
      '200'
    ] as OpenAPIV3.ResponseObject;
    const exported = resolve(response.content?.['application/json']?.schema);
    const lists: Record<string, string[]> = {
      sessions: ['id', 'createdAt', 'lastUsedAt', 'userAgent', 'ip', 'current', 'revokedAt'],
      blocks: ['userId', 'createdAt'],
      auditEvents: ['id', 'type', 'actorId', 'targetId', 'createdAt', 'details'],
      rooms: ['id', 'type', 'name', 'role', 'joinedAt', 'lastReadSeq', 'lastDeliveredSeq'],
      messages: ['id', 'roomId', 'seq', 'clientMessageId', 'content', 'createdAt', 'editedAt', 'deletedAt'],
      media: ['id', 'fileName', 'mimeType', 'size', 'sha256', 'createdAt'],
    };
    expect(exported.required).toEqual(
      expect.arrayContaining(['exportedAt', 'profile', ...Object.keys(lists)]),
    );
    for (const [section, fields] of Object.entries(lists)) {
      const list = exported.properties?.[section] as OpenAPIV3.ArraySchemaObject | undefined;
      expect({ section, type: list?.type }).toEqual({ section, type: 'array' });
      const item = resolve(list!.items);
      expect({ section, type: item.type }).toEqual({ section, type: 'object' });
      expect({ section, fields: Object.keys(item.properties ?? {}) }).toEqual({
        section,
        fields: expect.arrayContaining(fields),
      });
      expect({ section, required: item.required }).toEqual({
        section,
        required: expect.arrayContaining(fields),
      });
    }
  });

  it('marks the /changes query parameters optional, with the defaults and range the server applies', () => {
    const parameters = (document.paths['/api/v1/rooms/{id}/changes']?.get?.parameters ??
      []) as OpenAPIV3.ParameterObject[];
    const query = Object.fromEntries(
      parameters
        .filter((parameter) => parameter.in === 'query')
        .map((parameter) => [parameter.name, parameter]),
    );
    expect(query.sinceRev).toEqual(
      expect.objectContaining({
        required: false,
        schema: expect.objectContaining({ type: 'integer', minimum: 0, default: 0 }),
      }),
    );
    expect(query.limit).toEqual(
      expect.objectContaining({
        required: false,
        schema: expect.objectContaining({ type: 'integer', minimum: 1, maximum: 1000, default: 100 }),
      }),
    );
  });

  it('documents GET /metrics as public Prometheus text, outside /api/v1', () => {
    const operation = document.paths['/metrics']?.get;
    expect(operation).toBeDefined();
    expect(operation!.operationId).toBe('getMetrics');
    expect(operation!.security).toEqual([]);
    const ok = operation!.responses['200'] as OpenAPIV3.ResponseObject;
    expect(ok.content?.['text/plain']?.schema).toEqual({ type: 'string' });
    expect(Object.keys(document.paths).filter((path) => path.includes('metrics'))).toEqual(['/metrics']);
  });

  it('serves GET /metrics as the document describes it: text/plain, without a token', async () => {
    const res = await http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  });
});
