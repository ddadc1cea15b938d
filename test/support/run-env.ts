import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');
const STATE_FILE = join(ROOT, 'node_modules', '.cache', 'parley-test-run.json');

/** What one test run owns: its own database and its own Redis key prefix, removed when the run ends. */
export interface RunEnv {
  databaseUrl: string;
  databaseName: string;
  adminUrl: string;
  redisUrl: string;
  redisPrefix: string;
}

export function newRunEnv(): RunEnv {
  const id = `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/parley');
  const databaseName = `parley_test_${id}`;
  const database = new URL(base.toString());
  database.pathname = `/${databaseName}`;
  const admin = new URL(base.toString());
  admin.pathname = '/postgres';
  return {
    databaseUrl: database.toString(),
    databaseName,
    adminUrl: admin.toString(),
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    redisPrefix: `parley-test-${id}:`,
  };
}

/** Global setup runs in another context than the specs; the run's identity is handed over through a file. */
export function saveRunEnv(env: RunEnv): void {
  mkdirSync(join(ROOT, 'node_modules', '.cache'), { recursive: true });
  writeFileSync(STATE_FILE, JSON.stringify(env));
}

export function runEnv(): RunEnv {
  if (!existsSync(STATE_FILE))
    throw new Error('No test run state: run e2e specs through jest (global setup)');
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as RunEnv;
}
