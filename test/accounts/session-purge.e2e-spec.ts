import Redis from 'ioredis';
import { startApp, TestApp } from '../support/app';
import { Http } from '../support/http';
import { runEnv } from '../support/run-env';
import { registerUser } from '../support/users';
import { sql } from './helpers';

/** Polls until `check` holds (the purge runs as a repeating background job). */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('purging ended sessions', () => {
  let app: TestApp;
  let http: Http;

  beforeAll(async () => {
    app = await startApp({ MAINTENANCE_INTERVAL_SECONDS: '1', SESSION_RETENTION_DAYS: '30' });
    http = Http.for(app);
  });
  afterAll(async () => {
    await app.stop();
  });

  it('deletes sessions that ended more than the retention ago, with their spent tokens, and keeps the rest', async () => {
    const user = await registerUser(app);
    const login = async (): Promise<string> => {
      const res = await http.post('/api/v1/auth/login', {
        login: user.user.username,
        password: user.password,
      });
      expect(res.status).toBe(200);
      return res.body.refreshToken as string;
    };
    await Promise.all([login(), login(), login(), login()]);
    const sessions = await sql<{ id: string }>(
      'SELECT id FROM sessions WHERE user_id = $1 ORDER BY created_at',
      [user.user.id],
    );
    expect(sessions).toHaveLength(5);
    const [current, revokedLongAgo, revokedRecently, expiredLongAgo, idleLongAgo] = sessions.map(
      (row) => row.id,
    );
    // The spent token goes in while its session is still live: the purge runs every second, and once the session
    // is marked as ended long ago it may be gone before a later insert could reference it.
    await sql(`INSERT INTO spent_refresh_tokens (token_hash, session_id) VALUES ($1, $2)`, [
      'a'.repeat(64),
      revokedLongAgo,
    ]);
    await sql(
      `UPDATE sessions SET revoked_at = now() - interval '40 days', revoke_reason = 'logout' WHERE id = $1`,
      [revokedLongAgo],
    );
    await sql(
      `UPDATE sessions SET revoked_at = now() - interval '1 day', revoke_reason = 'logout' WHERE id = $1`,
      [revokedRecently],
    );
    await sql(
      `UPDATE sessions SET expires_at = now() - interval '31 days', last_used_at = now() - interval '31 days'
        WHERE id = $1`,
      [expiredLongAgo],
    );
    // Idle timeout (7 days by default) plus the retention (30 days) ago.
    await sql(`UPDATE sessions SET last_used_at = now() - interval '38 days' WHERE id = $1`, [idleLongAgo]);

    await eventually(async () => {
      const left = await sql('SELECT 1 FROM sessions WHERE id = ANY($1::uuid[])', [
        [revokedLongAgo, expiredLongAgo, idleLongAgo],
      ]);
      return left.length === 0;
    }, 'the purge');

    const remaining = await sql<{ id: string }>('SELECT id FROM sessions WHERE user_id = $1', [user.user.id]);
    expect(remaining.map((row) => row.id).sort()).toEqual([current, revokedRecently].sort());
    expect(await sql('SELECT 1 FROM spent_refresh_tokens WHERE session_id = $1', [revokedLongAgo])).toEqual(
      [],
    );
    // The live session still works.
    expect((await http.get('/api/v1/users/me', { token: user.accessToken })).status).toBe(200);
  });

  it('keeps one schedule when instances start with another interval, and reports the queue in /metrics', async () => {
    const again = await startApp({ MAINTENANCE_INTERVAL_SECONDS: '7', SESSION_RETENTION_DAYS: '30' });
    await again.stop();
    const redis = new Redis(runEnv().redisUrl);
    try {
      const schedules = await redis.zrange(`${runEnv().redisPrefix}bull:maintenance:repeat`, 0, -1);
      expect(schedules).toHaveLength(1);
      expect(schedules[0]).toMatch(/^purge-sessions::.*7000$/);
    } finally {
      redis.disconnect();
    }
    const metrics = await http.get('/metrics');
    expect(metrics.text).toMatch(/queue="maintenance"/);
  });
});
