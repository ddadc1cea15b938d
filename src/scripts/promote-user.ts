import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../database/data-source-options';
import { AuditEventType } from '../modules/audit/audit.types';
import { markSessionsStale } from '../modules/auth/session-cache';
import { cliConfig } from './cli-config';

/**
 * `npm run user:promote -- <username>`: makes an account an admin. The only way to create an admin, so that no
 * public route can; recorded in the audit log.
 */
async function main(): Promise<void> {
  const username = process.argv[2];
  if (!username) {
    process.stderr.write('Usage: npm run user:promote -- <username>\n');
    process.exit(2);
  }
  const config = cliConfig();
  const dataSource = new DataSource({ ...dataSourceOptions(config), extra: { max: 1 } });
  await dataSource.initialize();
  try {
    const [user] = (await dataSource.query(
      `SELECT id, role FROM users WHERE lower(username) = lower($1) AND deleted_at IS NULL`,
      [username],
    )) as Array<{ id: string; role: string }>;
    if (!user) {
      process.stderr.write(`No user named "${username}"\n`);
      process.exit(1);
    }
    if (user.role === 'admin') {
      process.stdout.write(`${username} is already an admin\n`);
      return;
    }
    await dataSource.transaction(async (manager) => {
      await manager.query(`UPDATE users SET role = 'admin', updated_at = now() WHERE id = $1`, [user.id]);
      await manager.query(
        `INSERT INTO audit_events (id, type, actor_id, target_id, details) VALUES ($1, $2, NULL, $3, $4)`,
        [
          randomUUID(),
          AuditEventType.userPromoted,
          user.id,
          JSON.stringify({ from: user.role, to: 'admin', via: 'cli' }),
        ],
      );
    });
    // Running sessions cache the role (up to an access token's lifetime); mark those entries stale so the
    // promotion applies at once, also against a request that read the old role just before.
    const sessions = (await dataSource.query(
      `SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`,
      [user.id],
    )) as Array<{ id: string }>;
    if (sessions.length > 0) {
      const redis = new Redis(config.redis.url, {
        keyPrefix: config.redis.keyPrefix,
        maxRetriesPerRequest: 2,
      });
      try {
        await markSessionsStale(
          redis,
          sessions.map((session) => session.id),
        );
      } finally {
        redis.disconnect();
      }
    }
    process.stdout.write(`${username} is now an admin\n`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`Promotion failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
