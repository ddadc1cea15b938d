import Redis from 'ioredis';
import { rmSync } from 'node:fs';
import { Client } from 'pg';
import { runEnv } from './run-env';

/** Drops the run's database and deletes every Redis key under its prefix. */
export default async function globalTeardown(): Promise<void> {
  const env = runEnv();
  rmSync(env.distDir, { recursive: true, force: true });
  const pg = new Client({ connectionString: env.adminUrl });
  await pg.connect();
  try {
    await pg.query(`DROP DATABASE IF EXISTS "${env.databaseName}" WITH (FORCE)`);
  } finally {
    await pg.end();
  }
  const redis = new Redis(env.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${env.redisPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
