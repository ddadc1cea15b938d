import { startApp, TestApp } from '../support/app';
import { expectError, Http, HttpResult } from '../support/http';
import { runEnv } from '../support/run-env';
import { registerUser, uniqueName } from '../support/users';

/** Each app gets its own Redis prefix (inside the run's), so counters from other suites cannot leak in. */
function limitedApp(name: string, env: Record<string, string>): Promise<TestApp> {
  return startApp({ REDIS_KEY_PREFIX: `${runEnv().redisPrefix}${name}-${uniqueName()}:`, ...env });
}

function expectRateLimited(res: HttpResult): void {
  expectError(res, 429, 'RATE_LIMITED');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

describe('rate limits', () => {
  describe('per client IP', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await limitedApp('ip', { RATE_LIMIT_AUTH_PER_MINUTE: '3', RATE_LIMIT_ACCOUNT_PER_MINUTE: '100' });
    });
    afterAll(async () => {
      await app.stop();
    });

    it('answers 429 RATE_LIMITED with Retry-After once an IP exceeds the register limit', async () => {
      const http = Http.for(app);
      const attempt = () => {
        const username = uniqueName();
        return http.post('/api/v1/auth/register', {
          username,
          email: `${username}@example.test`,
          password: 'correct horse battery',
        });
      };
      for (let i = 0; i < 3; i += 1) expect((await attempt()).status).toBe(201);
      expectRateLimited(await attempt());
    });

    it('limits login attempts per IP too, before any password is checked', async () => {
      const http = Http.for(app);
      const results: HttpResult[] = [];
      for (let i = 0; i < 4; i += 1) {
        results.push(
          await http.post('/api/v1/auth/login', { login: uniqueName(), password: 'whatever pass' }),
        );
      }
      expect(results.slice(0, 3).map((r) => r.status)).toEqual([401, 401, 401]);
      expectRateLimited(results[3]);
    });
  });

  describe('per account name', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await limitedApp('account', {
        RATE_LIMIT_AUTH_PER_MINUTE: '1000',
        RATE_LIMIT_ACCOUNT_PER_MINUTE: '3',
        LOGIN_FAILURE_THRESHOLD: '1000',
      });
    });
    afterAll(async () => {
      await app.stop();
    });

    it('limits logins to one account name (any case) while other accounts are unaffected', async () => {
      const http = Http.for(app);
      const user = await registerUser(app);
      const other = await registerUser(app);
      const logins = [user.user.username, user.user.username.toUpperCase(), user.user.username];
      for (const login of logins) {
        expect((await http.post('/api/v1/auth/login', { login, password: user.password })).status).toBe(200);
      }
      expectRateLimited(
        await http.post('/api/v1/auth/login', { login: user.user.username, password: user.password }),
      );
      expect(
        (await http.post('/api/v1/auth/login', { login: other.user.username, password: other.password }))
          .status,
      ).toBe(200);
    });
  });

  describe('after repeated failed logins', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await limitedApp('failures', {
        RATE_LIMIT_AUTH_PER_MINUTE: '1000',
        RATE_LIMIT_ACCOUNT_PER_MINUTE: '1000',
        LOGIN_FAILURE_THRESHOLD: '3',
        LOGIN_FAILURE_LOCK_SECONDS: '60',
      });
    });
    afterAll(async () => {
      await app.stop();
    });

    it('locks the account: even the right password answers 429 until the lock expires', async () => {
      const http = Http.for(app);
      const user = await registerUser(app);
      for (let i = 0; i < 3; i += 1) {
        expectError(
          await http.post('/api/v1/auth/login', { login: user.user.username, password: `wrong guess ${i}` }),
          401,
          'INVALID_CREDENTIALS',
        );
      }
      // by email too: the lock is on the account, not on the string typed
      expectRateLimited(
        await http.post('/api/v1/auth/login', { login: user.user.email, password: user.password }),
      );
      expectRateLimited(
        await http.post('/api/v1/auth/login', { login: user.user.username, password: user.password }),
      );
      // the account's existing sessions keep working
      expect((await http.get('/api/v1/users/me', { token: user.accessToken })).status).toBe(200);
    });

    it('answers the same for an account that does not exist, so the lock does not reveal existence', async () => {
      const http = Http.for(app);
      const ghost = uniqueName('ghost');
      for (let i = 0; i < 3; i += 1) {
        expectError(
          await http.post('/api/v1/auth/login', { login: ghost, password: `wrong guess ${i}` }),
          401,
          'INVALID_CREDENTIALS',
        );
      }
      expectRateLimited(await http.post('/api/v1/auth/login', { login: ghost, password: 'another guess' }));
    });

    it('does not lock an account whose failures are interrupted by a success', async () => {
      const http = Http.for(app);
      const user = await registerUser(app);
      for (const password of ['wrong one!', 'wrong two!', user.password, 'wrong three', 'wrong four']) {
        await http.post('/api/v1/auth/login', { login: user.user.username, password });
      }
      expect(
        (await http.post('/api/v1/auth/login', { login: user.user.username, password: user.password }))
          .status,
      ).toBe(200);
    });

    it('counts wrong current passwords on a password change towards the same lock', async () => {
      const http = Http.for(app);
      const user = await registerUser(app);
      for (let i = 0; i < 3; i += 1) {
        expectError(
          await http.put(
            '/api/v1/users/me/password',
            { currentPassword: `wrong guess ${i}`, newPassword: 'a new passphrase' },
            { token: user.accessToken },
          ),
          403,
          'INVALID_CREDENTIALS',
        );
      }
      expectRateLimited(
        await http.put(
          '/api/v1/users/me/password',
          { currentPassword: user.password, newPassword: 'a new passphrase' },
          { token: user.accessToken },
        ),
      );
    });
  });
});
