import { randomUUID } from 'node:crypto';
import { runScript, startApp, TestApp } from '../support/app';
import { Http, HttpResult } from '../support/http';
import { registerUser, RegisteredUser } from '../support/users';
import { jsonLogs } from './helpers';

/**
 * Every operation the OpenAPI document lists, driven with malformed path parameters, query parameters and
 * bodies: a bad input must be a 4xx in the error shape, never a 5xx (API.md, Conventions). The document is the
 * list, so a new route is covered the day it is added.
 */

interface Operation {
  method: string;
  path: string;
  parameters: Array<{ name: string; in: string }>;
  jsonBody?: { properties: string[] };
  multipart: boolean;
}

interface Fixtures {
  alice: RegisteredUser;
  bob: RegisteredUser;
  roomId: string;
  messageId: string;
}

/** Values for a path or query parameter: empty, numeric edge cases, JSON-looking, encoded oddities, long. */
const PARAMETER_VALUES = [
  '',
  ' ',
  '-1',
  '0',
  '1.5',
  '1e400',
  '99999999999999999999999',
  'abc',
  'null',
  '[]',
  '{}',
  '%00',
  '%FF',
  '..%2F..',
  "'",
  '"',
  '\\',
  'ü'.repeat(20),
  '😀',
  'x'.repeat(3000),
  '00000000-0000-0000-0000-000000000000',
];

/**
 * Cursors that decode to the right shape with values the database cannot take: times Date.parse accepts and
 * PostgreSQL refuses, search ranks outside `real` (each was a 500).
 */
const NIL = '00000000-0000-0000-0000-000000000000';
const CURSOR_VALUES = [
  ['1', NIL],
  ['Feb 30 2020', NIL],
  ['0000-01-01T00:00:00Z', NIL],
  ['+275760-09-13T00:00:00.000Z', NIL],
  [1e308, 1, NIL],
  [5e-324, 1, NIL],
  ['before', -1],
].map((key) => Buffer.from(JSON.stringify(key)).toString('base64url'));

/** Values for one body field: wrong types, extremes, strings of the wrong kind. */
const FIELD_VALUES: unknown[] = [
  null,
  0,
  -1,
  1.5,
  1e308,
  2 ** 53 + 1,
  '',
  ' ',
  'x'.repeat(5000),
  '😀'.repeat(300),
  true,
  [],
  [null],
  ['x'],
  {},
  { a: 1 },
  '00000000-0000-0000-0000-000000000000',
  '2026-01-01T00:00:00Z',
  // Unpaired surrogates: jsonb refused them (a 500), text stored U+FFFD, and isEmail threw (a 500).
  'x\ud800',
  ['\udc00'],
  { '\ud800': 1 },
  { a: '\udbff' },
];

/** Whole bodies that are not the object a route takes, or not JSON at all. */
const RAW_BODIES = [
  'null',
  '1',
  '"x"',
  '[]',
  '[{}]',
  '{',
  '{"a":',
  '{"a":"\\ud800"}',
  '{"__proto__":{"x":1}}',
];

const MULTIPART_BODIES: Array<[contentType: string, body: string]> = [
  ['multipart/form-data', 'x'],
  ['multipart/form-data; boundary=b', ''],
  ['multipart/form-data; boundary=b', '--b\r\n'],
  [
    'multipart/form-data; boundary=b',
    '--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nhi\r\n--b--\r\n',
  ],
  [
    'multipart/form-data; boundary=b',
    '--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nhi',
  ],
];

function operationsOf(document: any): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries<Record<string, any>>(document.paths)) {
    for (const [method, operation] of Object.entries<any>(methods)) {
      const json = operation.requestBody?.content?.['application/json']?.schema;
      const schema = json?.$ref ? document.components.schemas[json.$ref.split('/').pop()] : json;
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: operation.parameters ?? [],
        jsonBody: json ? { properties: Object.keys(schema?.properties ?? {}) } : undefined,
        multipart: operation.requestBody?.content?.['multipart/form-data'] !== undefined,
      });
    }
  }
  // Operations that end the caller's session or account run last, so they cannot hide the others behind 401s.
  const ending = (op: Operation): boolean =>
    op.method !== 'GET' && /\/users\/me(\/password)?$|\/auth\/logout|\/auth\/sessions\/\{id\}$/.test(op.path);
  return operations.sort((a, b) => Number(ending(a)) - Number(ending(b)));
}

describe('malformed input on every documented operation', () => {
  let app: TestApp;
  let http: Http;
  let admin: RegisteredUser;
  const problems: string[] = [];
  let requests = 0;

  beforeAll(async () => {
    app = await startApp();
    http = Http.for(app);
    admin = await registerUser(app);
    const promoted = await runScript('promote-user', [admin.user.username]);
    if (promoted.code !== 0) throw new Error(`promote-user failed: ${promoted.stderr}`);
  });
  afterAll(async () => {
    await app.stop();
  });

  /** Sends one request and records it as a problem unless it is a success or a 4xx in the error shape. */
  async function probe(method: string, path: string, token: string, body?: string, contentType?: string) {
    requests += 1;
    const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
    const res: HttpResult<any> = await http.request(method, path, undefined, {
      token,
      headers,
      rawBody: body,
    });
    const shaped =
      typeof res.body === 'object' &&
      res.body !== null &&
      res.body.statusCode === res.status &&
      typeof res.body.code === 'string' &&
      typeof res.body.message === 'string' &&
      res.body.requestId === res.headers.get('x-request-id');
    if (res.status >= 500 || (res.status >= 400 && !shaped)) {
      problems.push(
        `${method} ${path} ${body?.slice(0, 80) ?? ''} -> ${res.status} ${res.text.slice(0, 200)}`,
      );
    }
  }

  async function fixtures(): Promise<Fixtures> {
    const [alice, bob] = [await registerUser(app), await registerUser(app)];
    const room = await http.post(
      '/api/v1/rooms',
      { type: 'group', name: 'Malformed', memberIds: [bob.user.id] },
      { token: alice.accessToken },
    );
    const message = await http.post(
      `/api/v1/rooms/${room.body.id}/messages`,
      { content: 'hello', clientMessageId: randomUUID() },
      { token: alice.accessToken },
    );
    if (room.status !== 201 || message.status !== 201)
      throw new Error(`fixtures: ${room.text} ${message.text}`);
    return { alice, bob, roomId: room.body.id, messageId: message.body.id };
  }

  it('answers every bad path, query and body with a 4xx in the error shape, never a 5xx', async () => {
    const document = (await http.get('/docs-json')).body;
    const operations = operationsOf(document).filter((op) => op.path.startsWith('/api/'));
    expect(operations.length).toBeGreaterThan(40);

    for (const op of operations) {
      // Fresh users and room per operation: the previous one may have deleted or logged them out.
      const f = await fixtures();
      const token = op.path.startsWith('/api/v1/admin/') ? admin.accessToken : f.alice.accessToken;
      const valid = (name: string): string => {
        if (name === 'userId') return f.bob.user.id;
        if (name === 'emoji') return encodeURIComponent('👍');
        if (op.path.startsWith('/api/v1/rooms/')) return f.roomId;
        if (op.path.startsWith('/api/v1/messages/')) return f.messageId;
        return f.bob.user.id;
      };
      const url = (replace: Record<string, string> = {}, query = ''): string =>
        op.path.replace(/\{(\w+)\}/g, (_, name: string) => replace[name] ?? valid(name)) + query;
      // Values are sent percent-encoded, except where the value is itself an encoding oddity (%00, %FF).
      const encode = (value: string): string => (value.startsWith('%') ? value : encodeURIComponent(value));

      for (const parameter of op.parameters) {
        const values =
          parameter.name === 'cursor' ? [...PARAMETER_VALUES, ...CURSOR_VALUES] : PARAMETER_VALUES;
        for (const value of values) {
          if (parameter.in === 'path')
            await probe(op.method, url({ [parameter.name]: encode(value) }), token);
          if (parameter.in === 'query')
            await probe(op.method, url({}, `?${parameter.name}=${encode(value)}`), token);
        }
        if (parameter.in === 'query') {
          await probe(op.method, url({}, `?${parameter.name}=1&${parameter.name}=2`), token);
          await probe(op.method, url({}, `?${parameter.name}[a]=1`), token);
        }
      }
      if (op.jsonBody) {
        for (const raw of RAW_BODIES) await probe(op.method, url(), token, raw, 'application/json');
        for (const property of [...op.jsonBody.properties, 'unknownField']) {
          for (const value of FIELD_VALUES) {
            await probe(op.method, url(), token, JSON.stringify({ [property]: value }), 'application/json');
          }
        }
        for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
          await probe(op.method, url(), token, 'a=1', contentType);
        }
      }
      if (op.multipart) {
        for (const [contentType, body] of MULTIPART_BODIES)
          await probe(op.method, url(), token, body, contentType);
      }
    }

    expect(problems).toEqual([]);
    expect(requests).toBeGreaterThan(1000);
    // Nothing above was the server's fault, so nothing was logged as an error.
    expect(jsonLogs(app).filter((line) => Number(line.level) >= 50)).toEqual([]);
  });
});
