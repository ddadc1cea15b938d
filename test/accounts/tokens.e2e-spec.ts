import Redis from 'ioredis';
import { createHmac } from 'node:crypto';
import { sessionCacheKey } from '../../src/modules/auth/session-cache';
import { startApp, TestApp } from '../support/app';
import { expectError, Http } from '../support/http';
import { runEnv } from '../support/run-env';
import { registerUser, RegisteredUser } from '../support/users';
import { decodeJwt, signJwt, sql } from './helpers';

describe('access tokens', () => {
  let app: TestApp;
  let http: Http;
  let user: RegisteredUser;
  let claims: Record<string, any>;

  const now = (): number => Math.floor(Date.now() / 1000);
  const me = (token: string) => http.get('/api/v1/users/me', { token });

  beforeAll(async () => {
    app = await startApp();
    http = Http.for(app);
    user = await registerUser(app);
    claims = decodeJwt(user.accessToken);
  });
  afterAll(async () => {
    await app.stop();
  });

  it('accepts the token the server issued', async () => {
    expect((await me(user.accessToken)).status).toBe(200);
  });

  it('accepts a token signed correctly with the right claims (sanity check of the forging helper)', async () => {
    const token = signJwt({ ...claims, iat: now(), exp: now() + 60 });
    expect((await me(token)).status).toBe(200);
  });

  it('refuses a missing or malformed Authorization header with 401 UNAUTHORIZED', async () => {
    expectError(await http.get('/api/v1/users/me'), 401, 'UNAUTHORIZED');
    expectError(
      await http.get('/api/v1/users/me', { headers: { authorization: user.accessToken } }),
      401,
      'UNAUTHORIZED',
    );
    expectError(
      await http.get('/api/v1/users/me', { headers: { authorization: `Basic ${user.accessToken}` } }),
      401,
      'UNAUTHORIZED',
    );
  });

  it.each([
    ['garbage', () => 'not-a-jwt'],
    ['alg none', () => signJwt({ ...claims, exp: now() + 60 }, { alg: 'none' })],
    [
      'a wrong signature',
      () => signJwt({ ...claims, exp: now() + 60 }, { secret: 'some-other-secret-0123456789abcdef' }),
    ],
    [
      'a tampered payload',
      () => {
        const [h, , s] = user.accessToken.split('.');
        const payload = Buffer.from(
          JSON.stringify({ ...claims, sub: '00000000-0000-4000-8000-000000000000' }),
        ).toString('base64url');
        return `${h}.${payload}.${s}`;
      },
    ],
    [
      'HS512 instead of the pinned HS256',
      () => {
        // a valid HS512 signature with the right secret: refused because the algorithm is pinned
        const header = Buffer.from(JSON.stringify({ alg: 'HS512', typ: 'JWT' })).toString('base64url');
        const payload = Buffer.from(JSON.stringify({ ...claims, exp: now() + 60 })).toString('base64url');
        const sig = createHmac('sha512', app.env.JWT_SECRET)
          .update(`${header}.${payload}`)
          .digest('base64url');
        return `${header}.${payload}.${sig}`;
      },
    ],
    ['a wrong audience', () => signJwt({ ...claims, aud: 'someone-else', exp: now() + 60 })],
    ['a wrong issuer', () => signJwt({ ...claims, iss: 'evil', exp: now() + 60 })],
    ['no session id', () => signJwt({ ...claims, sid: undefined, exp: now() + 60 })],
    [
      'an unknown session id',
      () => signJwt({ ...claims, sid: '00000000-0000-4000-8000-000000000000', exp: now() + 60 }),
    ],
    [
      'another user as subject of a real session',
      () => signJwt({ ...claims, sub: '00000000-0000-4000-8000-000000000000', exp: now() + 60 }),
    ],
  ])('refuses a token with %s: 401 TOKEN_INVALID', async (_name, make) => {
    expectError(await me(make()), 401, 'TOKEN_INVALID');
  });

  it('refuses an expired token with 401 TOKEN_EXPIRED', async () => {
    const token = signJwt({ ...claims, iat: now() - 1000, exp: now() - 10 });
    expectError(await me(token), 401, 'TOKEN_EXPIRED');
  });

  it('refuses a token it accepted before once that token expires: 401 TOKEN_EXPIRED', async () => {
    const exp = now() + 2;
    const token = signJwt({ ...claims, iat: now(), exp });
    expect((await me(token)).status).toBe(200);
    // Verified tokens are remembered by their text; expiry must still be checked on every use.
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 50));
    expectError(await me(token), 401, 'TOKEN_EXPIRED');
  });

  it('refuses a refresh token used as an access token', async () => {
    expectError(await me(user.refreshToken), 401, 'TOKEN_INVALID');
  });

  it('refuses the tokens of a disabled account', async () => {
    const victim = await registerUser(app);
    expect((await me(victim.accessToken)).status).toBe(200);
    await sql('UPDATE users SET disabled = true WHERE id = $1', [victim.user.id]);
    // A disabled account (even one disabled behind the service's back) cannot refresh.
    expectError(await http.post('/api/v1/auth/refresh', { refreshToken: victim.refreshToken }), 401);
    expectError(await me(victim.accessToken), 401, 'TOKEN_INVALID');
  });

  it('does not outlive its session: an access token is never valid past the session’s absolute expiry', async () => {
    const short = await registerUser(app);
    await sql(`UPDATE sessions SET expires_at = now() + interval '30 seconds' WHERE user_id = $1`, [
      short.user.id,
    ]);
    const refreshed = await http.post('/api/v1/auth/refresh', { refreshToken: short.refreshToken });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.expiresIn).toBeLessThanOrEqual(30);
    const c = decodeJwt(refreshed.body.accessToken);
    expect(c.exp - c.iat).toBeLessThanOrEqual(30);
  });

  it('with the session cache gone (a Redis restart), requests made together each get their own session checked', async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => registerUser(app)));
    const [revoked, disabled, ...active] = users;
    const sessionIds = users.map((registered) => decodeJwt(registered.accessToken).sid as string);
    // Changed in PostgreSQL only, then the cache emptied: what the server answers now comes from PostgreSQL.
    await sql(`UPDATE sessions SET revoked_at = now(), revoke_reason = 'logout' WHERE id = $1`, [
      sessionIds[0],
    ]);
    await sql('UPDATE users SET disabled = true WHERE id = $1', [disabled.user.id]);
    const redis = new Redis(runEnv().redisUrl, { keyPrefix: runEnv().redisPrefix });
    try {
      await redis.del(...sessionIds.map(sessionCacheKey));
    } finally {
      redis.disconnect();
    }

    const results = await Promise.all(users.map((registered) => me(registered.accessToken)));

    expectError(results[0], 401, 'TOKEN_INVALID');
    expectError(results[1], 401, 'TOKEN_INVALID');
    results.slice(2).forEach((result, index) => {
      expect(result.status).toBe(200);
      expect((result.body as { id: string }).id).toBe(active[index].user.id);
    });
    // Checked again from the refilled cache.
    expectError(await me(revoked.accessToken), 401, 'TOKEN_INVALID');
    expect((await me(active[0].accessToken)).status).toBe(200);
  });
});
