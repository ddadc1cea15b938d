import { startApp, TestApp } from '../support/app';
import { Http } from '../support/http';
import { uniqueName } from '../support/users';

const ALLOWED = 'https://chat.example.test';
const ALSO_ALLOWED = 'https://admin.example.test';
const FOREIGN = 'https://evil.example.test';

/** The CSP directives as { name: sources[] }. */
function cspDirectives(header: string | null): Record<string, string[]> {
  return Object.fromEntries(
    (header ?? '')
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name, sources]),
  );
}

describe('HTTP hardening', () => {
  let app: TestApp;
  let http: Http;
  beforeAll(async () => {
    app = await startApp({ CORS_ORIGINS: `${ALLOWED}, ${ALSO_ALLOWED}` });
    http = Http.for(app);
  });
  afterAll(async () => {
    await app.stop();
  });

  describe('security headers', () => {
    it('sends helmet headers on API answers, errors included', async () => {
      for (const path of ['/health', '/api/v1/no-such-route']) {
        const res = await http.get(path);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
        expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        expect(res.headers.get('content-security-policy')).toBeTruthy();
        expect(res.headers.get('x-powered-by')).toBeNull();
      }
    });

    it('has a CSP that lets Swagger UI run: own scripts, inline styles, data: images', async () => {
      const res = await http.get('/docs');
      const csp = cspDirectives(res.headers.get('content-security-policy'));
      expect(csp['default-src']).toEqual(["'self'"]);
      expect(csp['script-src']).toEqual(["'self'"]);
      expect(csp['style-src']).toEqual(expect.arrayContaining(["'self'", "'unsafe-inline'"]));
      expect(csp['img-src']).toEqual(expect.arrayContaining(["'self'", 'data:']));
      expect(csp['connect-src']).toEqual(["'self'"]);
      expect(csp['object-src']).toEqual(["'none'"]);
      // Would rewrite the UI's assets to https on a plain-HTTP install (e.g. http://192.168.1.10:3000/docs).
      expect(csp).not.toHaveProperty('upgrade-insecure-requests');
      // Swagger UI's scripts are files, not inline: 'self' must be enough.
      expect(res.text).not.toMatch(/<script>(?!\s*<\/script>)/);
    });
  });

  describe('CORS', () => {
    it('grants an origin listed in CORS_ORIGINS', async () => {
      for (const origin of [ALLOWED, ALSO_ALLOWED]) {
        const res = await http.get('/health', { headers: { origin } });
        expect(res.headers.get('access-control-allow-origin')).toBe(origin);
        expect(res.headers.get('access-control-expose-headers')).toMatch(/x-request-id/i);
      }
    });

    it('does not grant a foreign origin', async () => {
      const res = await http.get('/health', { headers: { origin: FOREIGN } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('answers a preflight from an allowed origin and not from a foreign one', async () => {
      const preflight = (origin: string) =>
        http.request('OPTIONS', '/api/v1/auth/register', undefined, {
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type,authorization',
          },
        });
      const allowed = await preflight(ALLOWED);
      expect(allowed.status).toBeLessThan(300);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
      const methods = (allowed.headers.get('access-control-allow-methods') ?? '').split(/\s*,\s*/);
      expect(methods).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']));
      expect(allowed.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
      expect(allowed.headers.get('x-request-id')).toBeTruthy();
      expect(allowed.headers.get('x-content-type-options')).toBe('nosniff');
      expect(allowed.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      const foreign = await preflight(FOREIGN);
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('answers a bare OPTIONS (no preflight headers) without an off-contract error', async () => {
      const res = await http.request('OPTIONS', '/health');
      expect(res.status).toBeLessThan(400);
      expect(res.headers.get('x-request-id')).toBeTruthy();
    });
  });
});

describe('trust proxy', () => {
  /** The IP the server recorded for a session opened with `X-Forwarded-For: <forwardedFor>`. */
  async function recordedIp(
    overrides: Record<string, string>,
    forwardedFor = '203.0.113.7',
  ): Promise<string | null> {
    const app = await startApp({ ...overrides, RATE_LIMIT_AUTH_PER_MINUTE: '1000' });
    try {
      const http = Http.for(app);
      const username = uniqueName('proxy');
      const registered = await http.post(
        '/api/v1/auth/register',
        { username, email: `${username}@example.test`, password: 'long enough password' },
        { headers: { 'x-forwarded-for': forwardedFor } },
      );
      expect(registered.status).toBe(201);
      const sessions = await http.get('/api/v1/auth/sessions', { token: registered.body.accessToken });
      expect(sessions.status).toBe(200);
      return sessions.body.items[0].ip;
    } finally {
      await app.stop();
    }
  }

  it('with TRUST_PROXY=true, takes the client IP from X-Forwarded-For', async () => {
    expect(await recordedIp({ TRUST_PROXY: 'true' })).toBe('203.0.113.7');
  });

  it('believes only what the trusted proxies added, not what the client sent ahead of them', async () => {
    // nginx appends the address it saw to whatever X-Forwarded-For the client sent: the first entry is the
    // client's own claim. Trusting every entry let a client pick its IP for rate limits, sessions and the audit log.
    const forged = '198.51.100.9, 203.0.113.7';
    expect(await recordedIp({ TRUST_PROXY: 'true' }, forged)).toBe('203.0.113.7');
    expect(await recordedIp({ TRUST_PROXY: '2' }, forged)).toBe('198.51.100.9');
    expect(await recordedIp({ TRUST_PROXY: '127.0.0.1' }, forged)).toBe('203.0.113.7');
  });

  it('by default, ignores X-Forwarded-For (a client could forge it)', async () => {
    expect(await recordedIp({})).toBe('127.0.0.1');
  });
});
