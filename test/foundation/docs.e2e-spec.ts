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
];

interface Operation {
  key: string;
  operation: OpenAPIV3.OperationObject;
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
        expect(operation.responses['401']).toBeUndefined();
      } else {
        expect({ key, security: operation.security }).not.toEqual({ key, security: [] });
        expect({ key, has401: '401' in operation.responses }).toEqual({ key, has401: true });
      }
      // The marker the document builder reads must not leak into the published document.
      expect(Object.keys(operation).filter((field) => field.startsWith('x-parley'))).toEqual([]);
    }
  });

  it('documents readiness failures as 503', () => {
    const responses = document.paths['/health/ready']?.get?.responses ?? {};
    expect(responses['503']).toBeDefined();
  });
});
