import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { startApp, TestApp } from '../support/app';
import { expectError, Http, HttpResult } from '../support/http';
import { registerUser, uniqueName, type RegisteredUser } from '../support/users';

const REGISTER = '/api/v1/auth/register';

function validRegistration(): Record<string, string> {
  const username = uniqueName('err');
  return { username, email: `${username}@example.test`, password: 'long enough password' };
}

function fieldsOf(res: HttpResult): string[] {
  const details = (res.body as { details?: Array<{ field?: string }> }).details ?? [];
  return [...new Set(details.map((detail) => detail.field ?? ''))].sort();
}

describe('error shapes', () => {
  let app: TestApp;
  let http: Http;
  beforeAll(async () => {
    app = await startApp({ RATE_LIMIT_AUTH_PER_MINUTE: '1000' });
    http = Http.for(app);
  });
  afterAll(async () => {
    await app.stop();
  });

  describe('unknown routes', () => {
    it.each([
      ['GET', '/api/v1/no-such-route'],
      ['GET', '/no-such-route'],
      ['POST', '/api/v1/rooms-typo'],
      ['DELETE', REGISTER],
      ['GET', '/api/v2/users/me'],
    ])('%s %s answers 404 ROUTE_NOT_FOUND', async (method, path) => {
      const res = await http.request(method, path);
      const body = expectError(res, 404, 'ROUTE_NOT_FOUND');
      expect(body.error).toBe('Not Found');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    });
  });

  describe('malformed URLs', () => {
    it('a broken percent-encoding answers 400 in the error shape', async () => {
      const res = await http.get('/api/v1/users/%E0%A4%A');
      const body = expectError(res, 400, 'BAD_REQUEST');
      expect(body.message).not.toContain('%E0');
    });

    it('an over-long path parameter answers 414 in the error shape', async () => {
      const res = await http.get(`/api/v1/users/${'a'.repeat(300)}`);
      const body = expectError(res, 414);
      expect(body.message).not.toContain('aaaa');
    });
  });

  describe('malformed HTTP', () => {
    /** Writes `raw` to the server over a plain TCP connection and returns everything it answers. */
    function rawExchange(raw: string): Promise<string> {
      return new Promise((resolve, reject) => {
        const socket = connect(app.port, '127.0.0.1', () => socket.write(raw));
        let answer = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (answer += chunk));
        socket.on('end', () => resolve(answer));
        socket.on('error', reject);
      });
    }

    it.each([
      ['a body longer than its Content-Length', 'Content-Length: 3\r\n\r\n{"username": "abc"}'],
      ['two Content-Length headers', 'Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}'],
    ])('%s answers 400 in the error shape', async (_label, tail) => {
      const answer = await rawExchange(
        `POST ${REGISTER} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${tail}`,
      );
      const [head, body] = answer.slice(answer.lastIndexOf('HTTP/1.1 ')).split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 400 /);
      expect(head.toLowerCase()).toContain('x-request-id: ');
      expect(JSON.parse(body)).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        code: 'BAD_REQUEST',
        message: expect.any(String),
        requestId: expect.any(String),
      });
    });
  });

  describe('malformed bodies', () => {
    it.each([
      ['truncated JSON', '{"username": "abc"'],
      ['not JSON at all', 'username=abc'],
      ['a trailing comma', '{"username": "abc",}'],
      ['a prototype-poisoning key', '{"__proto__": {"role": "admin"}}'],
    ])('%s answers 400 MALFORMED_JSON', async (_label, rawBody) => {
      const res = await http.post(REGISTER, undefined, {
        rawBody,
        headers: { 'content-type': 'application/json' },
      });
      const body = expectError(res, 400, 'MALFORMED_JSON');
      expect(body.message).not.toMatch(/at position|Unexpected token/);
    });

    it('an empty JSON body answers 400 MALFORMED_JSON', async () => {
      const res = await http.post(REGISTER, undefined, {
        rawBody: '',
        headers: { 'content-type': 'application/json' },
      });
      expectError(res, 400, 'MALFORMED_JSON');
    });

    it.each([
      ['an array', '[]'],
      ['null', 'null'],
      ['a string', '"hello"'],
      ['a number', '42'],
    ])('a JSON body that is %s answers 400, never 5xx', async (_label, rawBody) => {
      const res = await http.post(REGISTER, undefined, {
        rawBody,
        headers: { 'content-type': 'application/json' },
      });
      expectError(res, 400);
    });
  });

  describe('content types', () => {
    it.each(['application/xml', 'text/plain', 'application/x-www-form-urlencoded'])(
      '%s answers 415 UNSUPPORTED_MEDIA_TYPE',
      async (contentType) => {
        const res = await http.post(REGISTER, undefined, {
          rawBody: JSON.stringify(validRegistration()),
          headers: { 'content-type': contentType },
        });
        expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      },
    );

    it.each(['gzip', 'br', 'deflate, gzip'])(
      'a body sent with Content-Encoding %s answers 415 and names the one encoding accepted',
      async (encoding) => {
        const res = await http.post(REGISTER, undefined, {
          rawBody: JSON.stringify(validRegistration()),
          headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        });
        const body = expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
        expect(body.message).toContain('Content-Encoding');
        expect(res.headers.get('accept-encoding')).toBe('identity');
      },
    );

    it('Content-Encoding identity is the same as none', async () => {
      const res = await http.post(REGISTER, undefined, {
        rawBody: JSON.stringify(validRegistration()),
        headers: { 'content-type': 'application/json', 'content-encoding': 'identity' },
      });
      expect(res.status).toBe(201);
    });

    it('a JSON content type with a charset is accepted', async () => {
      const res = await http.post(REGISTER, undefined, {
        rawBody: JSON.stringify(validRegistration()),
        headers: { 'content-type': 'application/json; charset=utf-8' },
      });
      expect(res.status).toBe(201);
    });
  });

  describe('validation', () => {
    it('answers 400 VALIDATION_FAILED with one detail per bad field', async () => {
      const res = await http.post(REGISTER, { username: 'a b', email: 'not-an-email', password: 'short' });
      const body = expectError(res, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(res)).toEqual(['email', 'password', 'username']);
      for (const detail of body.details) {
        expect(detail).toEqual({ field: expect.any(String), message: expect.any(String) });
      }
    });

    it('lists missing fields', async () => {
      const res = await http.post(REGISTER, {});
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(res)).toEqual(['email', 'password', 'username']);
    });

    it('rejects a field the route does not know (no mass assignment)', async () => {
      const res = await http.post(REGISTER, { ...validRegistration(), role: 'admin' });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(res)).toEqual(['role']);
    });

    it('rejects wrong types rather than coercing them', async () => {
      const res = await http.post(REGISTER, { ...validRegistration(), password: 12345678 });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(fieldsOf(res)).toEqual(['password']);
    });

    it('never echoes the submitted values', async () => {
      const secret = `secret-${randomUUID()}`;
      const res = await http.post(REGISTER, { username: secret, email: secret, password: 1 });
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(res.text).not.toContain(secret);
    });
  });

  describe('authentication', () => {
    it('a protected route without a token answers 401 in the error shape', async () => {
      expectError(await http.get('/api/v1/users/me'), 401);
    });

    it('a garbage token answers 401, not 5xx', async () => {
      expectError(await http.get('/api/v1/users/me', { token: 'not.a.jwt' }), 401);
    });
  });

  describe('over-large bodies', () => {
    let small: TestApp;
    beforeAll(async () => {
      small = await startApp({ BODY_LIMIT_BYTES: '2048', RATE_LIMIT_AUTH_PER_MINUTE: '1000' });
    });
    afterAll(async () => {
      await small.stop();
    });

    it('a body over BODY_LIMIT_BYTES answers 413 PAYLOAD_TOO_LARGE', async () => {
      const res = await Http.for(small).post(REGISTER, {
        ...validRegistration(),
        displayName: 'x'.repeat(4096),
      });
      expectError(res, 413, 'PAYLOAD_TOO_LARGE');
      expect(res.body.error).toBe('Payload Too Large');
    });

    it('a body over the limit sent without Content-Length (chunked) answers 413 too', async () => {
      const chunks = [JSON.stringify({ ...validRegistration(), displayName: 'x'.repeat(4096) })];
      const body = new ReadableStream({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
          controller.close();
        },
      });
      const response = await fetch(`${small.url}${REGISTER}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        duplex: 'half',
      } as RequestInit);
      const text = await response.text();
      expectError(
        { status: response.status, headers: response.headers, body: JSON.parse(text), text },
        413,
        'PAYLOAD_TOO_LARGE',
      );
    });

    it('a body under the limit is served normally', async () => {
      const res = await Http.for(small).post(REGISTER, validRegistration());
      expect(res.status).toBe(201);
    });
  });

  describe('NUL characters and deep nesting', () => {
    let user: RegisteredUser;
    beforeAll(async () => {
      user = await registerUser(app);
    });

    /** The JSON of `levels` arrays, each holding the next (JSON.stringify overflows its stack on such values). */
    const nested = (levels: number): string => `${'['.repeat(levels)}"x"${']'.repeat(levels)}`;
    const json = { 'content-type': 'application/json' };

    it('refuses NUL in any text field of a body with 400 VALIDATION_FAILED, and stores nothing', async () => {
      const registration = validRegistration();
      const res = await http.post(REGISTER, { ...registration, displayName: 'x\u0000' });
      const body = expectError(res, 400, 'VALIDATION_FAILED');
      expect(body.details).toEqual([
        { field: 'displayName', message: 'displayName must not contain NUL characters' },
      ]);
      // Not registered: the same registration without the NUL goes through.
      expect((await http.post(REGISTER, registration)).status).toBe(201);

      const token = { token: user.accessToken };
      const refusals = [
        await http.post('/api/v1/auth/login', { login: 'a\u0000b', password: 'x\u0000' }),
        await http.patch('/api/v1/users/me', { displayName: 'a\u0000b' }, token),
        await http.patch('/api/v1/users/me', { settings: { theme: 'a\u0000b' } }, token),
        await http.patch('/api/v1/users/me', { settings: { 'a\u0000': 1 } }, token),
        await http.post('/api/v1/rooms', { type: 'group', name: 'a\u0000b', memberIds: [] }, token),
      ];
      for (const refused of refusals) expectError(refused, 400, 'VALIDATION_FAILED');
      const me = await http.get('/api/v1/users/me', token);
      expect(me.body.displayName).toBe(user.user.displayName);
    });

    it('refuses NUL in a query parameter or inside a cursor', async () => {
      const token = { token: user.accessToken };
      const cursor = Buffer.from(JSON.stringify('\u0000')).toString('base64url');
      for (const path of [
        '/api/v1/users?q=%00',
        '/api/v1/messages/search?q=a%00b',
        `/api/v1/users?limit=1&cursor=${cursor}`,
      ]) {
        const res = await http.get(path, token);
        expectError(res, 400, 'VALIDATION_FAILED');
      }
    });

    it('refuses a body nested deeper than any route needs, naming the field', async () => {
      const refresh = await http.post('/api/v1/auth/refresh', undefined, {
        rawBody: `{"refreshToken":${nested(5_000)}}`,
        headers: json,
      });
      expect(expectError(refresh, 400, 'VALIDATION_FAILED').details).toEqual([
        { field: 'refreshToken', message: 'refreshToken is nested too deeply (at most 32 levels)' },
      ]);
      const settings = await http.patch('/api/v1/users/me', undefined, {
        token: user.accessToken,
        rawBody: `{"settings":{"deep":${nested(100_000)}}}`,
        headers: json,
      });
      expectError(settings, 400, 'VALIDATION_FAILED');
    });
  });

  it('no bad input above produced a 5xx', () => {
    const serverErrors = app
      .logs()
      .filter((line) => /"statusCode":5\d\d/.test(line) && !line.includes('/health/ready'));
    expect(serverErrors).toEqual([]);
  });
});
