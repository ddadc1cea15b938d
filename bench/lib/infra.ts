import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { Client } from 'pg';

const run = promisify(execFile);

/** The bench run's own database and Redis key space, both removed at the end. */
export interface BenchInfra {
  id: string;
  adminUrl: string;
  databaseName: string;
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
}

export function newInfra(id: string): BenchInfra {
  const base = new URL(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const databaseName = `parley_bench_${id}`;
  const database = new URL(base.toString());
  database.pathname = `/${databaseName}`;
  const admin = new URL(base.toString());
  admin.pathname = '/postgres';
  return {
    id,
    adminUrl: admin.toString(),
    databaseName,
    databaseUrl: database.toString(),
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    redisPrefix: `parley-bench-${id}:`,
  };
}

/** Creates the database through the real migration script, as a deployment would. */
export async function createDatabase(distRoot: string, env: Record<string, string>): Promise<string> {
  const { stdout } = await run(process.execPath, [join(distRoot, 'src', 'scripts', 'migrate.js')], { env });
  return stdout.trim();
}

export async function withPg<T>(url: string, task: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await task(client);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(infra: BenchInfra): Promise<void> {
  await withPg(infra.adminUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS "${infra.databaseName}" WITH (FORCE)`),
  );
}

export async function deleteRedisKeys(infra: BenchInfra): Promise<number> {
  const redis = new Redis(infra.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  await redis.connect();
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${infra.redisPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/**
 * pgbench of the installed PostgreSQL, if any (Debian keeps it under /usr/lib/postgresql/<major>/bin).
 * BENCH_PGBENCH names another one, or `none` for the Node fallback.
 */
export function findPgbench(): string | undefined {
  const chosen = process.env.BENCH_PGBENCH;
  if (chosen) return chosen === 'none' ? undefined : chosen;
  const candidates = [
    '/usr/lib/postgresql/17/bin',
    '/usr/lib/postgresql/16/bin',
    '/usr/lib/postgresql/15/bin',
  ];
  for (const dir of [...candidates, '/usr/lib/postgresql/14/bin', '/usr/bin', '/usr/local/bin']) {
    if (existsSync(join(dir, 'pgbench'))) return join(dir, 'pgbench');
  }
  return undefined;
}

export async function runPgbench(
  pgbench: string,
  url: string,
  scriptPath: string,
  clients: number,
  seconds: number,
): Promise<{ tps: number; output: string }> {
  const target = new URL(url);
  const { stdout } = await run(
    pgbench,
    [
      '-h',
      target.hostname,
      '-p',
      target.port || '5432',
      '-U',
      decodeURIComponent(target.username || 'postgres'),
      '-n',
      '-M',
      'prepared',
      '-c',
      String(clients),
      '-j',
      '2',
      '-T',
      String(seconds),
      '-f',
      scriptPath,
      target.pathname.slice(1),
    ],
    { env: { ...process.env, PGPASSWORD: decodeURIComponent(target.password) } },
  );
  const match = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
  if (!match) throw new Error(`could not read pgbench output:\n${stdout}`);
  return { tps: Number(match[1]), output: stdout };
}
