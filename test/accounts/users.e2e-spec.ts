import Redis from 'ioredis';
import { startApp, TestApp } from '../support/app';
import { expectError, Http } from '../support/http';
import { registerUser, RegisteredUser, uniqueName } from '../support/users';
import { sql } from './helpers';

describe('users', () => {
  let app: TestApp;
  let http: Http;

  beforeAll(async () => {
    app = await startApp();
    http = Http.for(app);
  });
  afterAll(async () => {
    await app.stop();
  });

  describe('GET and PATCH /users/me', () => {
    let user: RegisteredUser;
    beforeAll(async () => {
      user = await registerUser(app, { displayName: 'Me Myself' });
    });

    it('returns the caller’s full profile and nothing secret', async () => {
      const res = await http.get('/api/v1/users/me', { token: user.accessToken });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        id: user.user.id,
        username: user.user.username,
        email: user.user.email,
        displayName: 'Me Myself',
        avatarMediaId: null,
        role: 'user',
        settings: {},
        createdAt: expect.any(String),
        lastSeenAt: null,
      });
      expect(res.text).not.toMatch(/hash|password/i);
    });

    it('updates display name and settings', async () => {
      const res = await http.patch(
        '/api/v1/users/me',
        { displayName: '  New Name ', settings: { theme: 'dark', notifications: { sound: false } } },
        { token: user.accessToken },
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual(
        expect.objectContaining({
          displayName: 'New Name',
          settings: { theme: 'dark', notifications: { sound: false } },
        }),
      );
      const again = await http.get('/api/v1/users/me', { token: user.accessToken });
      expect(again.body.displayName).toBe('New Name');
      expect(again.body.settings).toEqual({ theme: 'dark', notifications: { sound: false } });
    });

    it('clears the display name and avatar with null', async () => {
      const res = await http.patch(
        '/api/v1/users/me',
        { displayName: null, avatarMediaId: null },
        { token: user.accessToken },
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expect.objectContaining({ displayName: null, avatarMediaId: null }));
    });

    it('refuses an avatar that is not an image the caller uploaded with 400', async () => {
      const res = await http.patch(
        '/api/v1/users/me',
        { avatarMediaId: '00000000-0000-4000-8000-000000000000' },
        { token: user.accessToken },
      );
      const body = expectError(res, 400, 'VALIDATION_FAILED');
      expect(body.details).toEqual([expect.objectContaining({ field: 'avatarMediaId' })]);
      expectError(
        await http.patch('/api/v1/users/me', { avatarMediaId: 'nope' }, { token: user.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
    });

    it.each([
      ['settings over 16 KiB', { settings: { blob: 'x'.repeat(17 * 1024) } }, 'settings'],
      ['settings that are an array', { settings: [1, 2] }, 'settings'],
      ['settings that are null', { settings: null }, 'settings'],
      ['an empty display name', { displayName: '   ' }, 'displayName'],
      ['a too long display name', { displayName: 'x'.repeat(65) }, 'displayName'],
      ['a role (mass assignment)', { role: 'admin' }, 'role'],
      ['a username change', { username: 'other' }, 'username'],
      ['an email change', { email: 'x@example.test' }, 'email'],
    ])('refuses %s with 400 and stores nothing', async (_name, body, field) => {
      const before = await http.get('/api/v1/users/me', { token: user.accessToken });
      const res = await http.patch(
        '/api/v1/users/me',
        { displayName: 'Should Not Stick', ...body },
        {
          token: user.accessToken,
        },
      );
      const error = expectError(res, 400, 'VALIDATION_FAILED');
      expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      const after = await http.get('/api/v1/users/me', { token: user.accessToken });
      expect(after.body).toEqual(before.body);
    });

    it('accepts settings just under 16 KiB', async () => {
      const res = await http.patch(
        '/api/v1/users/me',
        { settings: { blob: 'x'.repeat(16 * 1024 - 20) } },
        { token: user.accessToken },
      );
      expect(res.status).toBe(200);
    });
  });

  describe('PUT /users/me/password', () => {
    it('changes the password, keeps this session and revokes every other one', async () => {
      const user = await registerUser(app);
      const laptop = await http.post('/api/v1/auth/login', {
        login: user.user.username,
        password: user.password,
      });
      const res = await http.put(
        '/api/v1/users/me/password',
        { currentPassword: user.password, newPassword: 'a brand new passphrase' },
        { token: user.accessToken },
      );
      expect(res.status).toBe(204);
      expect((await http.get('/api/v1/users/me', { token: user.accessToken })).status).toBe(200);
      expectError(
        await http.get('/api/v1/users/me', { token: laptop.body.accessToken }),
        401,
        'TOKEN_INVALID',
      );
      expectError(await http.post('/api/v1/auth/refresh', { refreshToken: laptop.body.refreshToken }), 401);

      expectError(
        await http.post('/api/v1/auth/login', { login: user.user.username, password: user.password }),
        401,
        'INVALID_CREDENTIALS',
      );
      const login = await http.post('/api/v1/auth/login', {
        login: user.user.username,
        password: 'a brand new passphrase',
      });
      expect(login.status).toBe(200);
      const events = await sql(
        `SELECT 1 FROM audit_events WHERE type = 'user.password_changed' AND target_id = $1`,
        [user.user.id],
      );
      expect(events).toHaveLength(1);
    });

    it('refuses a wrong current password with 403 and a short new one with 400', async () => {
      const user = await registerUser(app);
      expectError(
        await http.put(
          '/api/v1/users/me/password',
          { currentPassword: 'wrong wrong wrong', newPassword: 'a brand new passphrase' },
          { token: user.accessToken },
        ),
        403,
        'INVALID_CREDENTIALS',
      );
      expectError(
        await http.put(
          '/api/v1/users/me/password',
          { currentPassword: user.password, newPassword: 'short' },
          { token: user.accessToken },
        ),
        400,
        'VALIDATION_FAILED',
      );
      expect(
        (await http.post('/api/v1/auth/login', { login: user.user.username, password: user.password }))
          .status,
      ).toBe(200);
    });
  });

  describe('GET /users/me/export', () => {
    it('exports the profile, sessions, blocks and security events, without secrets', async () => {
      const user = await registerUser(app);
      const other = await registerUser(app);
      await http.post(`/api/v1/users/${other.user.id}/block`, undefined, { token: user.accessToken });
      await http.post('/api/v1/auth/login', { login: user.user.username, password: 'wrong password!' });
      const res = await http.get('/api/v1/users/me/export', { token: user.accessToken });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(
        expect.objectContaining({
          exportedAt: expect.any(String),
          profile: expect.objectContaining({ id: user.user.id, email: user.user.email }),
          sessions: [expect.objectContaining({ id: expect.any(String), createdAt: expect.any(String) })],
          blocks: [{ userId: other.user.id, createdAt: expect.any(String) }],
          auditEvents: expect.arrayContaining([
            expect.objectContaining({ type: 'auth.registered' }),
            expect.objectContaining({ type: 'auth.login_failed' }),
          ]),
        }),
      );
      expect(res.text).not.toContain(user.password);
      expect(res.text).not.toContain(user.refreshToken);
      expect(res.text).not.toContain(other.user.email);

      // As in GET /auth/sessions: the session asking is marked current, and only it.
      const second = await http.post('/api/v1/auth/login', {
        login: user.user.username,
        password: user.password,
      });
      const fromSecond = await http.get('/api/v1/users/me/export', { token: second.body.accessToken });
      const current = (fromSecond.body.sessions as Array<{ id: string; current: boolean }>).filter(
        (session) => session.current,
      );
      expect(current).toHaveLength(1);
      expect(fromSecond.body.sessions).toHaveLength(2);
      const listed = await http.get('/api/v1/auth/sessions', { token: second.body.accessToken });
      const listedCurrent = listed.body.items.find((session: { current: boolean }) => session.current);
      expect(current[0].id).toBe(listedCurrent.id);
      expect(res.text).not.toMatch(/argon2|refresh_hash|refreshHash|passwordHash/);
    });
  });

  describe('DELETE /users/me', () => {
    it('refuses a wrong password with 403 and deletes nothing', async () => {
      const user = await registerUser(app);
      expectError(
        await http.delete('/api/v1/users/me', { password: 'not my password' }, { token: user.accessToken }),
        403,
        'INVALID_CREDENTIALS',
      );
      expectError(
        await http.delete('/api/v1/users/me', {}, { token: user.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
      expect((await http.get('/api/v1/users/me', { token: user.accessToken })).status).toBe(200);
    });

    it('anonymises the account, revokes its sessions, frees the username and email', async () => {
      const user = await registerUser(app, { displayName: 'Soon Gone' });
      const friend = await registerUser(app);
      const res = await http.delete(
        '/api/v1/users/me',
        { password: user.password },
        { token: user.accessToken },
      );
      expect(res.status).toBe(204);

      expectError(await http.get('/api/v1/users/me', { token: user.accessToken }), 401, 'TOKEN_INVALID');
      expectError(await http.post('/api/v1/auth/refresh', { refreshToken: user.refreshToken }), 401);
      expectError(
        await http.post('/api/v1/auth/login', { login: user.user.username, password: user.password }),
        401,
        'INVALID_CREDENTIALS',
      );
      expectError(
        await http.get(`/api/v1/users/${user.user.id}`, { token: friend.accessToken }),
        404,
        'USER_NOT_FOUND',
      );
      const [row] = await sql('SELECT username, email, display_name, deleted_at FROM users WHERE id = $1', [
        user.user.id,
      ]);
      expect(row).toEqual({
        username: `deleted_${user.user.id}`,
        email: null,
        display_name: null,
        deleted_at: expect.any(Date),
      });
      const search = await http.get(`/api/v1/users?q=${user.user.username}`, { token: friend.accessToken });
      expect(search.body.items).toEqual([]);

      const again = await registerUser(app, { username: user.user.username, email: user.user.email });
      expect(again.user.id).not.toBe(user.user.id);
      const events = await sql(`SELECT 1 FROM audit_events WHERE type = 'user.deleted' AND target_id = $1`, [
        user.user.id,
      ]);
      expect(events).toHaveLength(1);
    });
  });

  describe('GET /users (search) and GET /users/:id', () => {
    const tag = uniqueName('srch').replace('_', '');
    let caller: RegisteredUser;
    let alice: RegisteredUser;
    let bob: RegisteredUser;
    let underscore: RegisteredUser;

    beforeAll(async () => {
      caller = await registerUser(app);
      alice = await registerUser(app, { username: `${tag}_Alice`, displayName: 'Alice Liddell' });
      bob = await registerUser(app, { username: `${tag}.bob`, displayName: `${tag} Builder` });
      underscore = await registerUser(app, { username: `${tag}x_y` });
      await registerUser(app, { username: `${tag}xzy` });
    });

    it('finds users by username prefix, case-insensitively, with public fields only', async () => {
      const res = await http.get(`/api/v1/users?q=${tag.toUpperCase()}_AL`, { token: caller.accessToken });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        items: [
          {
            id: alice.user.id,
            username: alice.user.username,
            displayName: 'Alice Liddell',
            avatarMediaId: null,
            presence: 'offline',
            lastSeenAt: null,
          },
        ],
        nextCursor: null,
      });
      expect(res.text).not.toContain('@');
    });

    it('finds users by display-name prefix', async () => {
      const res = await http.get(`/api/v1/users?q=${encodeURIComponent(`${tag} bui`)}`, {
        token: caller.accessToken,
      });
      expect(res.body.items.map((u: { id: string }) => u.id)).toEqual([bob.user.id]);
    });

    it('treats LIKE wildcards in the query literally', async () => {
      const res = await http.get(`/api/v1/users?q=${tag}x_`, { token: caller.accessToken });
      expect(res.body.items.map((u: { id: string }) => u.id)).toEqual([underscore.user.id]);
      const percent = await http.get(`/api/v1/users?q=${tag}%25`, { token: caller.accessToken });
      expect(percent.body.items).toEqual([]);
    });

    it('pages through results in username order with limit and cursor', async () => {
      const first = await http.get(`/api/v1/users?q=${tag}&limit=2`, { token: caller.accessToken });
      expect(first.body.items).toHaveLength(2);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await http.get(`/api/v1/users?q=${tag}&limit=2&cursor=${first.body.nextCursor}`, {
        token: caller.accessToken,
      });
      const names = [...first.body.items, ...second.body.items].map((u: { username: string }) => u.username);
      expect(second.body.nextCursor).toBeNull();
      expect(names).toHaveLength(4);
      const lower = names.map((name) => name.toLowerCase());
      expect(lower).toEqual([...lower].sort());
    });

    it('refuses a bad cursor, limit or unknown parameter with 400', async () => {
      for (const query of ['cursor=%7B%7D', 'cursor=bm90LWpzb24', 'limit=1000', 'limit=-1', 'role=admin']) {
        expectError(
          await http.get(`/api/v1/users?${query}`, { token: caller.accessToken }),
          400,
          'VALIDATION_FAILED',
        );
      }
    });

    it('requires authentication', async () => {
      expectError(await http.get(`/api/v1/users?q=${tag}`), 401, 'UNAUTHORIZED');
    });

    it('shows a public profile without the email, and 404/400 for unknown or malformed ids', async () => {
      const res = await http.get(`/api/v1/users/${alice.user.id}`, { token: caller.accessToken });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        id: alice.user.id,
        username: alice.user.username,
        displayName: 'Alice Liddell',
        avatarMediaId: null,
        presence: 'offline',
        lastSeenAt: null,
      });
      expectError(
        await http.get('/api/v1/users/00000000-0000-4000-8000-000000000000', { token: caller.accessToken }),
        404,
        'USER_NOT_FOUND',
      );
      expectError(
        await http.get('/api/v1/users/abc', { token: caller.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('reports presence from the shared presence store', async () => {
      const redis = new Redis(app.env.REDIS_URL, { keyPrefix: app.env.REDIS_KEY_PREFIX });
      try {
        await redis.zadd(`presence:${alice.user.id}`, Date.now() + 60_000, 'test-connection');
        const res = await http.get(`/api/v1/users/${alice.user.id}`, { token: caller.accessToken });
        expect(res.body.presence).toBe('online');
        const search = await http.get(`/api/v1/users?q=${tag}_al`, { token: caller.accessToken });
        expect(search.body.items[0].presence).toBe('online');
        // an expired lease (its instance died) no longer counts
        await redis.zadd(`presence:${alice.user.id}`, Date.now() - 1000, 'test-connection');
        expect(
          (await http.get(`/api/v1/users/${alice.user.id}`, { token: caller.accessToken })).body.presence,
        ).toBe('offline');
      } finally {
        redis.disconnect();
      }
    });
  });

  describe('blocks', () => {
    it('blocks and unblocks idempotently', async () => {
      const alice = await registerUser(app);
      const bob = await registerUser(app);
      for (let i = 0; i < 2; i += 1) {
        const res = await http.post(`/api/v1/users/${bob.user.id}/block`, undefined, {
          token: alice.accessToken,
        });
        expect(res.status).toBe(204);
      }
      expect(
        await sql('SELECT 1 FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2', [
          alice.user.id,
          bob.user.id,
        ]),
      ).toHaveLength(1);
      for (let i = 0; i < 2; i += 1) {
        const res = await http.delete(`/api/v1/users/${bob.user.id}/block`, undefined, {
          token: alice.accessToken,
        });
        expect(res.status).toBe(204);
      }
      expect(await sql('SELECT 1 FROM user_blocks WHERE blocker_id = $1', [alice.user.id])).toHaveLength(0);
    });

    it('refuses to block yourself (400), an unknown user (404) or a malformed id (400)', async () => {
      const alice = await registerUser(app);
      expectError(
        await http.post(`/api/v1/users/${alice.user.id}/block`, undefined, { token: alice.accessToken }),
        400,
        'CANNOT_BLOCK_SELF',
      );
      expectError(
        await http.post('/api/v1/users/00000000-0000-4000-8000-000000000000/block', undefined, {
          token: alice.accessToken,
        }),
        404,
        'USER_NOT_FOUND',
      );
      expectError(
        await http.delete('/api/v1/users/xyz/block', undefined, { token: alice.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(await http.post(`/api/v1/users/${alice.user.id}/block`), 401, 'UNAUTHORIZED');
    });
  });
});
