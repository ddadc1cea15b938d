import { randomBytes, randomUUID } from 'node:crypto';
import { startApp, TestApp } from '../support/app';
import { expectError, Http } from '../support/http';
import { registerUser, uniqueName } from '../support/users';
import { jsonLogs, logsOfRequest } from './helpers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids and logs', () => {
  let app: TestApp;
  let http: Http;
  beforeAll(async () => {
    app = await startApp({ RATE_LIMIT_AUTH_PER_MINUTE: '1000' });
    http = Http.for(app);
  });
  afterAll(async () => {
    await app.stop();
  });

  describe('x-request-id', () => {
    it('echoes the id the caller sent', async () => {
      const id = `client-${randomUUID()}`;
      const res = await http.get('/health', { headers: { 'x-request-id': id } });
      expect(res.headers.get('x-request-id')).toBe(id);
    });

    it('generates a UUID when the caller sent none, a new one per request', async () => {
      const first = (await http.get('/health')).headers.get('x-request-id');
      const second = (await http.get('/health')).headers.get('x-request-id');
      expect(first).toMatch(UUID);
      expect(second).toMatch(UUID);
      expect(second).not.toBe(first);
    });

    it.each([
      ['300 characters long', 'a'.repeat(300)],
      ['containing spaces', 'my request id'],
      ['containing a quote', 'abc"def'],
    ])('replaces an unsafe id %s with a generated one', async (_label, unsafe) => {
      const res = await http.get('/health', { headers: { 'x-request-id': unsafe } });
      expect(res.headers.get('x-request-id')).toMatch(UUID);
    });

    it('is on every response: errors, 404s, docs and metrics too', async () => {
      const responses = [
        await http.get('/api/v1/no-such-route'),
        await http.get('/no-such-route'),
        await http.post('/api/v1/auth/register', {}),
        await http.get('/api/v1/users/me'),
        await http.get('/docs-json'),
        await http.get('/metrics'),
        await http.request('OPTIONS', '/health'),
      ];
      for (const res of responses) expect(res.headers.get('x-request-id')).toMatch(UUID);
    });

    it('is the requestId of an error body', async () => {
      const id = `err-${randomUUID()}`;
      const res = await http.get('/api/v1/no-such-route', { headers: { 'x-request-id': id } });
      const body = expectError(res, 404, 'ROUTE_NOT_FOUND');
      expect(body.requestId).toBe(id);
    });
  });

  describe('logs', () => {
    it('writes every line as JSON', async () => {
      await http.get('/api/v1/no-such-route');
      const lines = app.logs();
      expect(lines.length).toBeGreaterThan(0);
      expect(() => jsonLogs(app)).not.toThrow();
      for (const line of jsonLogs(app)) {
        expect(line).toEqual(
          expect.objectContaining({ level: expect.any(Number), time: expect.any(Number) }),
        );
      }
    });

    it('carries the request id in the log line of that request', async () => {
      const id = `log-${randomUUID()}`;
      await http.get('/api/v1/no-such-route', { headers: { 'x-request-id': id } });
      const lines = await logsOfRequest(app, id);
      expect(lines).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            requestId: id,
            req: expect.objectContaining({ method: 'GET', url: '/api/v1/no-such-route' }),
            res: { statusCode: 404 },
          }),
        ]),
      );
    });

    it.each([
      ['the API docs', 'GET', '/docs-json', {}, 200],
      ['an unknown path outside the API prefix', 'GET', '/no-such-page', {}, 404],
      [
        'a compressed body the API refuses',
        'POST',
        '/api/v1/auth/login',
        { 'content-encoding': 'gzip' },
        415,
      ],
    ] as const)(
      'logs a request to %s, with its id and status',
      async (_label, method, url, headers, status) => {
        const id = `outside-${randomUUID()}`;
        const body = method === 'POST' ? { login: 'someone', password: 'not-read' } : undefined;
        const res = await http.request(method, url, body, { headers: { ...headers, 'x-request-id': id } });
        expect(res.status).toBe(status);
        const lines = await logsOfRequest(app, id);
        expect(lines).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              requestId: id,
              msg: 'request completed',
              req: expect.objectContaining({ method, url }),
              res: { statusCode: status },
              responseTime: expect.any(Number),
            }),
          ]),
        );
      },
    );

    it('logs a request once, and health probes and scrapes not at all', async () => {
      const ids = {
        api: `once-${randomUUID()}`,
        health: `probe-${randomUUID()}`,
        metrics: `scrape-${randomUUID()}`,
      };
      await http.get('/health', { headers: { 'x-request-id': ids.health } });
      await http.get('/metrics', { headers: { 'x-request-id': ids.metrics } });
      await http.get('/api/v1/no-such-route', { headers: { 'x-request-id': ids.api } });
      const completed = (id: string) =>
        jsonLogs(app).filter((line) => line.requestId === id && line.msg === 'request completed');
      // Lines are written in order: once the last request's line is out, the earlier ones would be too.
      await logsOfRequest(app, ids.api);
      expect(completed(ids.api)).toHaveLength(1);
      expect(completed(ids.health)).toHaveLength(0);
      expect(completed(ids.metrics)).toHaveLength(0);
    });

    it('carries the generated id when the caller sent none', async () => {
      const res = await http.post('/api/v1/auth/register', { username: 'x' });
      const id = res.headers.get('x-request-id')!;
      const lines = await logsOfRequest(app, id);
      expect(lines.some((line) => (line.res as { statusCode?: number })?.statusCode === 400)).toBe(true);
    });

    it('never writes a password or token sent in a body or an Authorization header', async () => {
      const password = `Pw-${randomBytes(12).toString('hex')}`;
      const username = uniqueName('logs');
      const ids = Array.from({ length: 5 }, () => `secret-${randomUUID()}`);

      const registered = await http.post(
        '/api/v1/auth/register',
        { username, email: `${username}@example.test`, password },
        { headers: { 'x-request-id': ids[0] } },
      );
      expect(registered.status).toBe(201);
      const { accessToken, refreshToken } = registered.body;
      const loggedIn = await http.post(
        '/api/v1/auth/login',
        { login: username, password },
        { headers: { 'x-request-id': ids[1] } },
      );
      expect(loggedIn.status).toBe(200);
      // A wrong password and a bad body are logged too; their secrets must not be.
      await http.post(
        '/api/v1/auth/login',
        { login: username, password: `${password}-wrong` },
        { headers: { 'x-request-id': ids[2] } },
      );
      await http.post(
        '/api/v1/auth/register',
        { username: '!', email: 'nope', password, role: 'admin' },
        { headers: { 'x-request-id': ids[3] } },
      );
      await http.get('/api/v1/users/me', { token: accessToken, headers: { 'x-request-id': ids[4] } });
      await http.post('/api/v1/auth/refresh', { refreshToken });

      for (const id of ids) await logsOfRequest(app, id);
      const everything = app.logs().join('\n');
      for (const secret of [password, accessToken, refreshToken, loggedIn.body.accessToken]) {
        expect(everything).not.toContain(secret);
      }
      // Not even a fragment of the token: a JWT's signature is its last segment.
      expect(everything).not.toContain(String(accessToken).split('.')[2]);
    });

    it('never writes the JWT secret', async () => {
      await registerUser(app);
      expect(app.logs().join('\n')).not.toContain(app.env.JWT_SECRET);
    });
  });
});
