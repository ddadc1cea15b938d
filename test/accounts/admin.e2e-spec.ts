import { runScript, startApp, TestApp } from '../support/app';
import { expectError, Http } from '../support/http';
import { registerUser, RegisteredUser, uniqueName } from '../support/users';

describe('admin', () => {
  let app: TestApp;
  let http: Http;
  let admin: RegisteredUser;
  let plain: RegisteredUser;

  beforeAll(async () => {
    app = await startApp();
    http = Http.for(app);
    admin = await registerUser(app, { username: uniqueName('Admin') });
    plain = await registerUser(app);
    // the admin's token is in use (and its session state cached) before the promotion
    expect((await http.get('/api/v1/users/me', { token: admin.accessToken })).body.role).toBe('user');
  });
  afterAll(async () => {
    await app.stop();
  });

  it('refuses every admin route to a non-admin with 403 and to an anonymous caller with 401', async () => {
    const routes: Array<[string, string, Record<string, unknown>?]> = [
      ['GET', '/api/v1/admin/users'],
      ['PATCH', `/api/v1/admin/users/${plain.user.id}`, { role: 'admin' }],
      ['GET', '/api/v1/admin/audit-log'],
    ];
    for (const [method, path, body] of routes) {
      expectError(await http.request(method, path, body, { token: plain.accessToken }), 403, 'FORBIDDEN');
      expectError(await http.request(method, path, body), 401, 'UNAUTHORIZED');
    }
    expect((await http.get('/api/v1/users/me', { token: plain.accessToken })).body.role).toBe('user');
  });

  it('has no public route to become admin: role in a profile update is refused', async () => {
    expectError(
      await http.patch('/api/v1/users/me', { role: 'admin' }, { token: plain.accessToken }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('promotes through the CLI script, which is audited and applies to running sessions at once', async () => {
    const failed = await runScript('promote-user', [uniqueName('nobody')]);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain('No user named');

    const result = await runScript('promote-user', [admin.user.username.toUpperCase()]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('is now an admin');

    const me = await http.get('/api/v1/users/me', { token: admin.accessToken });
    expect(me.body.role).toBe('admin');
    expect((await http.get('/api/v1/admin/users', { token: admin.accessToken })).status).toBe(200);
    const log = await http.get(`/api/v1/admin/audit-log?type=cli.user_promoted&userId=${admin.user.id}`, {
      token: admin.accessToken,
    });
    expect(log.body.items).toEqual([
      expect.objectContaining({ type: 'cli.user_promoted', actorId: null, targetId: admin.user.id }),
    ]);
  });

  describe('as an admin', () => {
    it('lists users with role, disabled, createdAt, lastSeenAt and no email; q filters by prefix', async () => {
      const res = await http.get(`/api/v1/admin/users?q=${plain.user.username}`, {
        token: admin.accessToken,
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        items: [
          {
            id: plain.user.id,
            username: plain.user.username,
            displayName: null,
            role: 'user',
            disabled: false,
            createdAt: expect.any(String),
            lastSeenAt: null,
            deletedAt: null,
          },
        ],
        nextCursor: null,
      });
      expect(res.text).not.toContain(plain.user.email);
    });

    it('pages the user list with a cursor', async () => {
      const first = await http.get('/api/v1/admin/users?limit=1', { token: admin.accessToken });
      expect(first.body.items).toHaveLength(1);
      const second = await http.get(`/api/v1/admin/users?limit=1&cursor=${first.body.nextCursor}`, {
        token: admin.accessToken,
      });
      expect(second.body.items).toHaveLength(1);
      expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
      expectError(
        await http.get('/api/v1/admin/users?cursor=%%%', { token: admin.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('changes a role, which takes effect on the user’s current token and is audited', async () => {
      const target = await registerUser(app);
      expect((await http.get('/api/v1/admin/users', { token: target.accessToken })).status).toBe(403);
      const res = await http.patch(
        `/api/v1/admin/users/${target.user.id}`,
        { role: 'admin' },
        { token: admin.accessToken },
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual(
        expect.objectContaining({ id: target.user.id, role: 'admin', disabled: false }),
      );
      expect((await http.get('/api/v1/admin/users', { token: target.accessToken })).status).toBe(200);

      const demoted = await http.patch(
        `/api/v1/admin/users/${target.user.id}`,
        { role: 'user' },
        { token: admin.accessToken },
      );
      expect(demoted.body.role).toBe('user');
      expectError(await http.get('/api/v1/admin/users', { token: target.accessToken }), 403, 'FORBIDDEN');

      const log = await http.get(`/api/v1/admin/audit-log?type=admin.role_changed&userId=${target.user.id}`, {
        token: admin.accessToken,
      });
      expect(log.body.items.map((e: { details: unknown }) => e.details)).toEqual([
        { from: 'admin', to: 'user' },
        { from: 'user', to: 'admin' },
      ]);
      expect(log.body.items[0]).toEqual({
        id: expect.any(String),
        type: 'admin.role_changed',
        actorId: admin.user.id,
        targetId: target.user.id,
        ip: '127.0.0.1',
        userAgent: expect.any(String),
        createdAt: expect.any(String),
        details: { from: 'admin', to: 'user' },
      });
    });

    it('disables a user: sessions revoked, login refused; enabling lets them sign in again', async () => {
      const target = await registerUser(app);
      const res = await http.patch(
        `/api/v1/admin/users/${target.user.id}`,
        { disabled: true },
        { token: admin.accessToken },
      );
      expect(res.status).toBe(200);
      expect(res.body.disabled).toBe(true);
      expectError(await http.get('/api/v1/users/me', { token: target.accessToken }), 401, 'TOKEN_INVALID');
      expectError(await http.post('/api/v1/auth/refresh', { refreshToken: target.refreshToken }), 401);
      expectError(
        await http.post('/api/v1/auth/login', { login: target.user.username, password: target.password }),
        403,
        'USER_DISABLED',
      );
      // a wrong password still gets the generic answer, so disabling does not help guessing
      expectError(
        await http.post('/api/v1/auth/login', { login: target.user.username, password: 'wrong password' }),
        401,
        'INVALID_CREDENTIALS',
      );

      const enabled = await http.patch(
        `/api/v1/admin/users/${target.user.id}`,
        { disabled: false },
        { token: admin.accessToken },
      );
      expect(enabled.body.disabled).toBe(false);
      const login = await http.post('/api/v1/auth/login', {
        login: target.user.username,
        password: target.password,
      });
      expect(login.status).toBe(200);

      const log = await http.get(`/api/v1/admin/audit-log?userId=${target.user.id}&limit=100`, {
        token: admin.accessToken,
      });
      const types = log.body.items.map((e: { type: string }) => e.type);
      expect(types).toEqual(expect.arrayContaining(['admin.user_disabled', 'admin.user_enabled']));
    });

    it('refuses invalid updates with 400, unknown users with 404, and self-demotion with 403', async () => {
      const invalid = [
        { role: 'superuser' },
        { disabled: 'yes' },
        { email: 'x@example.test' },
        { role: null },
        { disabled: null },
      ];
      for (const body of invalid) {
        expectError(
          await http.patch(`/api/v1/admin/users/${plain.user.id}`, body, { token: admin.accessToken }),
          400,
          'VALIDATION_FAILED',
        );
      }
      expectError(
        await http.patch(
          '/api/v1/admin/users/00000000-0000-4000-8000-000000000000',
          { disabled: true },
          {
            token: admin.accessToken,
          },
        ),
        404,
        'USER_NOT_FOUND',
      );
      expectError(
        await http.patch('/api/v1/admin/users/nope', { disabled: true }, { token: admin.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await http.patch(
          `/api/v1/admin/users/${admin.user.id}`,
          { role: 'user' },
          { token: admin.accessToken },
        ),
        403,
        'FORBIDDEN',
      );
    });

    it('reads the audit log newest first with type/user filters and cursor paging', async () => {
      const subject = await registerUser(app);
      for (let i = 0; i < 3; i += 1) {
        await http.post('/api/v1/auth/login', {
          login: subject.user.username,
          password: `wrong ${i} password`,
        });
      }
      const first = await http.get(
        `/api/v1/admin/audit-log?userId=${subject.user.id}&type=auth.login_failed&limit=2`,
        { token: admin.accessToken },
      );
      expect(first.status).toBe(200);
      expect(first.body.items).toHaveLength(2);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await http.get(
        `/api/v1/admin/audit-log?userId=${subject.user.id}&type=auth.login_failed&limit=2&cursor=${first.body.nextCursor}`,
        { token: admin.accessToken },
      );
      expect(second.body.items).toHaveLength(1);
      expect(second.body.nextCursor).toBeNull();
      const all = [...first.body.items, ...second.body.items];
      expect(
        all.every(
          (e: { type: string; targetId: string }) =>
            e.type === 'auth.login_failed' && e.targetId === subject.user.id,
        ),
      ).toBe(true);
      const times = all.map((e: { createdAt: string }) => e.createdAt);
      expect(times).toEqual([...times].sort().reverse());
      expect(JSON.stringify(all)).not.toMatch(/wrong \d password/);

      for (const query of ['userId=nope', 'cursor=abc', 'limit=500', 'type=' + 'x'.repeat(65)]) {
        expectError(
          await http.get(`/api/v1/admin/audit-log?${query}`, { token: admin.accessToken }),
          400,
          'VALIDATION_FAILED',
        );
      }
    });
  });
});
