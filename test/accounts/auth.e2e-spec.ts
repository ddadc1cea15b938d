import { startApp, TestApp } from '../support/app';
import { expectError, Http } from '../support/http';
import { registerUser, uniqueName } from '../support/users';
import { decodeJwt, sql } from './helpers';

describe('auth', () => {
  let app: TestApp;
  let http: Http;
  const secrets: string[] = [];

  beforeAll(async () => {
    app = await startApp();
    http = Http.for(app);
  });
  afterAll(async () => {
    await app.stop();
  });

  async function register(overrides: Parameters<typeof registerUser>[1] = {}) {
    const user = await registerUser(app, overrides);
    secrets.push(user.password, user.accessToken, user.refreshToken);
    return user;
  }

  describe('POST /auth/register', () => {
    it('creates the account and returns the profile with a token pair', async () => {
      const username = uniqueName('Reg');
      const res = await http.post('/api/v1/auth/register', {
        username,
        email: `  ${username.toUpperCase()}@Example.TEST `,
        password: 'correct horse battery',
        displayName: '  Reg Ister  ',
      });
      expect(res.status).toBe(201);
      secrets.push(res.body.accessToken, res.body.refreshToken);
      expect(res.body).toEqual({
        user: {
          id: expect.any(String),
          username,
          email: `${username.toLowerCase()}@example.test`,
          displayName: 'Reg Ister',
          avatarMediaId: null,
          role: 'user',
          settings: {},
          createdAt: expect.any(String),
          lastSeenAt: null,
        },
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        expiresIn: 900,
      });
      expect(res.text).not.toMatch(/password|hash/i);
      const claims = decodeJwt(res.body.accessToken);
      expect(claims).toEqual(
        expect.objectContaining({
          sub: res.body.user.id,
          sid: expect.any(String),
          iss: 'parley',
          aud: 'parley-api',
        }),
      );
      expect(claims.exp - claims.iat).toBe(900);
      // 256 random bits, base64url
      expect(res.body.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it('stores only an Argon2id hash of the password and a SHA-256 of the refresh token', async () => {
      const user = await register();
      const [row] = await sql('SELECT password_hash FROM users WHERE id = $1', [user.user.id]);
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
      const sessions = await sql('SELECT refresh_hash FROM sessions WHERE user_id = $1', [user.user.id]);
      expect(sessions).toHaveLength(1);
      expect(sessions[0].refresh_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(sessions[0].refresh_hash).not.toContain(user.refreshToken);
    });

    it('refuses a taken username, case-insensitively, with 409 USERNAME_TAKEN', async () => {
      const first = await register({ username: uniqueName('Dup') });
      const res = await http.post('/api/v1/auth/register', {
        username: first.user.username.toUpperCase(),
        email: `${uniqueName()}@example.test`,
        password: 'correct horse battery',
      });
      expectError(res, 409, 'USERNAME_TAKEN');
    });

    it('refuses a taken email, case- and space-insensitively, with 409 EMAIL_TAKEN', async () => {
      const first = await register();
      const res = await http.post('/api/v1/auth/register', {
        username: uniqueName(),
        email: ` ${first.user.email.toUpperCase()} `,
        password: 'correct horse battery',
      });
      expectError(res, 409, 'EMAIL_TAKEN');
    });

    it('answers exactly one 201 when the same username is registered concurrently', async () => {
      const username = uniqueName('race');
      const results = await Promise.all(
        [0, 1, 2, 3].map((i) =>
          http.post('/api/v1/auth/register', {
            username,
            email: `${username}.${i}@example.test`,
            password: 'correct horse battery',
          }),
        ),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      for (const res of results.filter((r) => r.status !== 201)) expectError(res, 409, 'USERNAME_TAKEN');
    });

    it.each([
      ['a too short username', { username: 'ab' }, 'username'],
      ['a too long username', { username: 'a'.repeat(33) }, 'username'],
      ['a username with other characters', { username: 'bad name!' }, 'username'],
      ['a username with @', { username: 'a@b' }, 'username'],
      ['a malformed email', { email: 'not-an-email' }, 'email'],
      ['a short password', { password: 'short' }, 'password'],
      ['a numeric username', { username: 12345 }, 'username'],
    ])('refuses %s with 400 VALIDATION_FAILED naming the field', async (_name, override, field) => {
      const res = await http.post('/api/v1/auth/register', {
        username: uniqueName(),
        email: `${uniqueName()}@example.test`,
        password: 'correct horse battery',
        ...override,
      });
      const body = expectError(res, 400, 'VALIDATION_FAILED');
      expect(body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });

    it('accepts usernames at the edges of the rules', async () => {
      for (const username of [uniqueName('e').slice(0, 3), `${uniqueName('x')}-_.`.padEnd(32, '.')]) {
        const res = await http.post('/api/v1/auth/register', {
          username,
          email: `${uniqueName()}@example.test`,
          password: 'correct horse battery',
        });
        expect(res.status).toBe(201);
        secrets.push(res.body.accessToken, res.body.refreshToken);
      }
    });

    it('rejects mass assignment (role, disabled) with 400 and stores nothing', async () => {
      const username = uniqueName('mass');
      const res = await http.post('/api/v1/auth/register', {
        username,
        email: `${username}@example.test`,
        password: 'correct horse battery',
        role: 'admin',
      });
      const body = expectError(res, 400, 'VALIDATION_FAILED');
      expect(body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'role' })]));
      expect(await sql('SELECT 1 FROM users WHERE lower(username) = lower($1)', [username])).toHaveLength(0);
    });
  });

  describe('POST /auth/login', () => {
    it('signs in by username (any case) or by email (any case)', async () => {
      const user = await register({ username: uniqueName('Login') });
      for (const login of [
        user.user.username,
        user.user.username.toUpperCase(),
        ` ${user.user.email.toUpperCase()} `,
      ]) {
        const res = await http.post('/api/v1/auth/login', { login, password: user.password });
        expect(res.status).toBe(200);
        secrets.push(res.body.accessToken, res.body.refreshToken);
        expect(res.body).toEqual({
          user: expect.objectContaining({ id: user.user.id, username: user.user.username }),
          accessToken: expect.any(String),
          refreshToken: expect.any(String),
          expiresIn: 900,
        });
        const me = await http.get('/api/v1/users/me', { token: res.body.accessToken });
        expect(me.body.id).toBe(user.user.id);
      }
    });

    it('answers an unknown account and a wrong password identically', async () => {
      const user = await register();
      const wrong = await http.post('/api/v1/auth/login', {
        login: user.user.username,
        password: 'not the password',
      });
      const unknown = await http.post('/api/v1/auth/login', {
        login: uniqueName('ghost'),
        password: 'not the password',
      });
      const unknownEmail = await http.post('/api/v1/auth/login', {
        login: `${uniqueName('ghost')}@example.test`,
        password: 'not the password',
      });
      const a = expectError(wrong, 401, 'INVALID_CREDENTIALS');
      const b = expectError(unknown, 401, 'INVALID_CREDENTIALS');
      const c = expectError(unknownEmail, 401, 'INVALID_CREDENTIALS');
      expect(a.message).toBe(b.message);
      expect(b.message).toBe(c.message);
      expect(a.error).toBe(b.error);
    });

    it('records failed and successful logins in the audit log without the password', async () => {
      const user = await register();
      await http.post('/api/v1/auth/login', { login: user.user.username, password: 'wrong password 1' });
      const ok = await http.post('/api/v1/auth/login', {
        login: user.user.username,
        password: user.password,
      });
      secrets.push(ok.body.accessToken, ok.body.refreshToken);
      const events = await sql(
        'SELECT type, target_id, ip, user_agent, details::text AS details FROM audit_events WHERE target_id = $1',
        [user.user.id],
      );
      const types = events.map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['auth.login_failed', 'auth.login_succeeded']));
      expect(events.find((e) => e.type === 'auth.login_failed').ip).toBe('127.0.0.1');
      expect(JSON.stringify(events)).not.toContain('wrong password 1');
      expect(JSON.stringify(events)).not.toContain(user.password);
    });

    it('refuses a missing or malformed body with 400', async () => {
      expectError(await http.post('/api/v1/auth/login', { login: 'someone' }), 400, 'VALIDATION_FAILED');
      expectError(await http.post('/api/v1/auth/login', { login: 1, password: 2 }), 400, 'VALIDATION_FAILED');
    });
  });

  describe('POST /auth/refresh', () => {
    it('rotates the pair: the new tokens work and the old refresh token is spent', async () => {
      const user = await register();
      const res = await http.post('/api/v1/auth/refresh', { refreshToken: user.refreshToken });
      expect(res.status).toBe(200);
      secrets.push(res.body.accessToken, res.body.refreshToken);
      expect(res.body).toEqual({
        user: expect.objectContaining({ id: user.user.id }),
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        expiresIn: 900,
      });
      expect(res.body.refreshToken).not.toBe(user.refreshToken);
      expect(decodeJwt(res.body.accessToken).sid).toBe(decodeJwt(user.accessToken).sid);
      expect((await http.get('/api/v1/users/me', { token: res.body.accessToken })).status).toBe(200);
      const again = await http.post('/api/v1/auth/refresh', { refreshToken: res.body.refreshToken });
      expect(again.status).toBe(200);
      secrets.push(again.body.accessToken, again.body.refreshToken);
    });

    it('treats a replayed refresh token as theft: 401, and the rotated token and its access tokens die too', async () => {
      const user = await register();
      const rotated = await http.post('/api/v1/auth/refresh', { refreshToken: user.refreshToken });
      expect(rotated.status).toBe(200);
      secrets.push(rotated.body.accessToken, rotated.body.refreshToken);

      const replay = await http.post('/api/v1/auth/refresh', { refreshToken: user.refreshToken });
      expectError(replay, 401, 'REFRESH_TOKEN_REUSED');

      expectError(await http.post('/api/v1/auth/refresh', { refreshToken: rotated.body.refreshToken }), 401);
      expectError(
        await http.get('/api/v1/users/me', { token: rotated.body.accessToken }),
        401,
        'TOKEN_INVALID',
      );
      const events = await sql(
        `SELECT details FROM audit_events WHERE type = 'auth.refresh_reuse_detected' AND target_id = $1`,
        [user.user.id],
      );
      expect(events).toHaveLength(1);
      expect(events[0].details).toEqual({ sessionId: decodeJwt(user.accessToken).sid });
    });

    it('lets exactly one of many concurrent refreshes with the same token succeed', async () => {
      const user = await register();
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          http.post('/api/v1/auth/refresh', { refreshToken: user.refreshToken }),
        ),
      );
      const ok = results.filter((r) => r.status === 200);
      expect(ok).toHaveLength(1);
      secrets.push(ok[0].body.accessToken, ok[0].body.refreshToken);
      for (const res of results.filter((r) => r.status !== 200)) expectError(res, 401);
    });

    it('refuses an unknown refresh token with 401 REFRESH_TOKEN_INVALID', async () => {
      expectError(
        await http.post('/api/v1/auth/refresh', { refreshToken: 'x'.repeat(43) }),
        401,
        'REFRESH_TOKEN_INVALID',
      );
      expectError(await http.post('/api/v1/auth/refresh', {}), 400, 'VALIDATION_FAILED');
    });

    it('refuses a refresh after the idle timeout or the absolute lifetime', async () => {
      const idle = await register();
      await sql(`UPDATE sessions SET last_used_at = now() - interval '8 days' WHERE user_id = $1`, [
        idle.user.id,
      ]);
      expectError(
        await http.post('/api/v1/auth/refresh', { refreshToken: idle.refreshToken }),
        401,
        'REFRESH_TOKEN_INVALID',
      );

      const old = await register();
      await sql(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [
        old.user.id,
      ]);
      expectError(
        await http.post('/api/v1/auth/refresh', { refreshToken: old.refreshToken }),
        401,
        'REFRESH_TOKEN_INVALID',
      );
      const [session] = await sql('SELECT revoked_at FROM sessions WHERE user_id = $1', [old.user.id]);
      expect(session.revoked_at).not.toBeNull();
    });

    it('does not need (or accept) an access token in place of the refresh token', async () => {
      const user = await register();
      expectError(
        await http.post('/api/v1/auth/refresh', { refreshToken: user.accessToken }),
        401,
        'REFRESH_TOKEN_INVALID',
      );
    });
  });

  describe('sessions and logout', () => {
    it('lists the caller’s active sessions, marking the current one, without tokens or hashes', async () => {
      const user = await register();
      const second = await http.post(
        '/api/v1/auth/login',
        { login: user.user.username, password: user.password },
        {
          headers: { 'user-agent': 'parley-test-phone/1.0' },
        },
      );
      secrets.push(second.body.accessToken, second.body.refreshToken);
      const res = await http.get('/api/v1/auth/sessions', { token: second.body.accessToken });
      expect(res.status).toBe(200);
      expect(res.body.nextCursor).toBeNull();
      expect(res.body.items).toHaveLength(2);
      expect(res.body.items[0]).toEqual({
        id: decodeJwt(second.body.accessToken).sid,
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
        userAgent: 'parley-test-phone/1.0',
        ip: '127.0.0.1',
        current: true,
      });
      expect(res.body.items[1]).toEqual(
        expect.objectContaining({ id: decodeJwt(user.accessToken).sid, current: false }),
      );
      expect(res.text).not.toContain(user.refreshToken);
      expect(res.text).not.toMatch(/hash/i);
    });

    it('pages sessions with limit and cursor, and refuses a bad cursor or limit with 400', async () => {
      const user = await register();
      for (let i = 0; i < 2; i += 1) {
        const res = await http.post('/api/v1/auth/login', {
          login: user.user.username,
          password: user.password,
        });
        secrets.push(res.body.accessToken, res.body.refreshToken);
      }
      const first = await http.get('/api/v1/auth/sessions?limit=2', { token: user.accessToken });
      expect(first.body.items).toHaveLength(2);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await http.get(`/api/v1/auth/sessions?limit=2&cursor=${first.body.nextCursor}`, {
        token: user.accessToken,
      });
      expect(second.body.items).toHaveLength(1);
      expect(second.body.nextCursor).toBeNull();
      const ids = [...first.body.items, ...second.body.items].map((s: { id: string }) => s.id);
      expect(new Set(ids).size).toBe(3);

      expectError(
        await http.get('/api/v1/auth/sessions?cursor=garbage', { token: user.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await http.get('/api/v1/auth/sessions?limit=101', { token: user.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await http.get('/api/v1/auth/sessions?limit=0', { token: user.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await http.get('/api/v1/auth/sessions?limit=abc', { token: user.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('DELETE /auth/sessions/:id revokes that session: its access token is refused at once', async () => {
      const user = await register();
      const phone = await http.post('/api/v1/auth/login', {
        login: user.user.username,
        password: user.password,
      });
      secrets.push(phone.body.accessToken, phone.body.refreshToken);
      // the phone's token is valid (and now cached as valid)
      expect((await http.get('/api/v1/users/me', { token: phone.body.accessToken })).status).toBe(200);

      const sid = decodeJwt(phone.body.accessToken).sid;
      const res = await http.delete(`/api/v1/auth/sessions/${sid}`, undefined, { token: user.accessToken });
      expect(res.status).toBe(204);
      expectError(
        await http.get('/api/v1/users/me', { token: phone.body.accessToken }),
        401,
        'TOKEN_INVALID',
      );
      expectError(await http.post('/api/v1/auth/refresh', { refreshToken: phone.body.refreshToken }), 401);
      expect((await http.get('/api/v1/users/me', { token: user.accessToken })).status).toBe(200);
    });

    it('DELETE /auth/sessions/:id answers 404 for someone else’s, unknown or revoked session and 400 for a bad id', async () => {
      const alice = await register();
      const bob = await register();
      const bobSid = decodeJwt(bob.accessToken).sid;
      expectError(
        await http.delete(`/api/v1/auth/sessions/${bobSid}`, undefined, { token: alice.accessToken }),
        404,
        'SESSION_NOT_FOUND',
      );
      expect((await http.get('/api/v1/users/me', { token: bob.accessToken })).status).toBe(200);
      expectError(
        await http.delete('/api/v1/auth/sessions/00000000-0000-4000-8000-000000000000', undefined, {
          token: alice.accessToken,
        }),
        404,
        'SESSION_NOT_FOUND',
      );
      expectError(
        await http.delete('/api/v1/auth/sessions/not-a-uuid', undefined, { token: alice.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('POST /auth/logout ends the session of that refresh token', async () => {
      const user = await register();
      const res = await http.post(
        '/api/v1/auth/logout',
        { refreshToken: user.refreshToken },
        { token: user.accessToken },
      );
      expect(res.status).toBe(204);
      expectError(await http.post('/api/v1/auth/refresh', { refreshToken: user.refreshToken }), 401);
      expectError(await http.get('/api/v1/users/me', { token: user.accessToken }), 401, 'TOKEN_INVALID');
    });

    it('POST /auth/logout cannot end another user’s session and needs a token', async () => {
      const alice = await register();
      const bob = await register();
      const res = await http.post(
        '/api/v1/auth/logout',
        { refreshToken: bob.refreshToken },
        { token: alice.accessToken },
      );
      expect(res.status).toBe(204);
      const refreshed = await http.post('/api/v1/auth/refresh', { refreshToken: bob.refreshToken });
      expect(refreshed.status).toBe(200);
      secrets.push(refreshed.body.accessToken, refreshed.body.refreshToken);
      expectError(
        await http.post('/api/v1/auth/logout', { refreshToken: alice.refreshToken }),
        401,
        'UNAUTHORIZED',
      );
    });

    it('POST /auth/logout-all revokes every session of the caller and is audited', async () => {
      const user = await register();
      const other = await http.post('/api/v1/auth/login', {
        login: user.user.username,
        password: user.password,
      });
      secrets.push(other.body.accessToken, other.body.refreshToken);
      const res = await http.post('/api/v1/auth/logout-all', undefined, { token: user.accessToken });
      expect(res.status).toBe(204);
      for (const token of [user.accessToken, other.body.accessToken]) {
        expectError(await http.get('/api/v1/users/me', { token }), 401, 'TOKEN_INVALID');
      }
      for (const refreshToken of [user.refreshToken, other.body.refreshToken]) {
        expectError(await http.post('/api/v1/auth/refresh', { refreshToken }), 401);
      }
      const events = await sql(
        `SELECT 1 FROM audit_events WHERE type = 'auth.logout_all' AND actor_id = $1`,
        [user.user.id],
      );
      expect(events).toHaveLength(1);
      // signing in again still works
      const again = await http.post('/api/v1/auth/login', {
        login: user.user.username,
        password: user.password,
      });
      expect(again.status).toBe(200);
      secrets.push(again.body.accessToken, again.body.refreshToken);
    });

    it('requires a bearer token on every non-public auth route', async () => {
      expectError(await http.get('/api/v1/auth/sessions'), 401, 'UNAUTHORIZED');
      expectError(await http.post('/api/v1/auth/logout-all'), 401, 'UNAUTHORIZED');
      expectError(
        await http.delete('/api/v1/auth/sessions/00000000-0000-4000-8000-000000000000'),
        401,
        'UNAUTHORIZED',
      );
    });
  });

  it('never writes passwords or tokens to the logs', async () => {
    expect(secrets.length).toBeGreaterThan(20);
    const logs = app.logs().join('\n');
    for (const secret of secrets) expect(logs).not.toContain(secret);
    expect(logs).not.toContain('correct horse battery');
    expect(logs).not.toContain('not the password');
  });
});
