import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');

/** What one test run owns: its own database and its own Redis key prefix, removed when the run ends. */
export interface RunEnv {
  databaseUrl: string;
  databaseName: string;
  adminUrl: string;
  redisUrl: string;
  redisPrefix: string;
  /** This run's private copy of dist/, so a rebuild during the run cannot pull the server out from under it. */
  distDir: string;
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
    distDir: join(ROOT, 'node_modules', '.cache', `parley-dist-${id}`),
  };
}

const RUN_ENV_VARIABLE = 'PARLEY_TEST_RUN';

/**
 * Global setup runs in another context than the specs; the run's identity is handed over through the process
 * environment, which Jest's workers inherit. (A shared file would let two concurrent runs clobber each other.)
 */
export function saveRunEnv(env: RunEnv): void {
  process.env[RUN_ENV_VARIABLE] = JSON.stringify(env);
}

export function runEnv(): RunEnv {
  const raw = process.env[RUN_ENV_VARIABLE];
  if (!raw) throw new Error('No test run state: run e2e specs through jest (global setup)');
  return JSON.parse(raw) as RunEnv;
}
