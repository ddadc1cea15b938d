import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { newRunEnv, ROOT, saveRunEnv } from './run-env';

/** Creates this run's database through the real migration command, as a deployment would. */
export default function globalSetup(): void {
  if (!existsSync(join(ROOT, 'dist', 'src', 'main.js'))) {
    throw new Error('dist/ is missing: e2e specs run the built server; use `npm test` (it builds first)');
  }
  const env = newRunEnv();
  saveRunEnv(env);
  execFileSync(process.execPath, [join(ROOT, 'dist', 'src', 'scripts', 'migrate.js')], {
    env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl },
    stdio: 'pipe',
  });
}
