import { execFileSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { newRunEnv, ROOT, saveRunEnv } from './run-env';

/** Wait briefly for a build in progress (another terminal) to finish writing dist/. */
function waitForBuild(): void {
  const main = join(ROOT, 'dist', 'src', 'main.js');
  for (let attempt = 0; attempt < 60 && !existsSync(main); attempt++) {
    execFileSync('sleep', ['0.5']);
  }
  if (!existsSync(main)) {
    throw new Error('dist/ is missing: e2e specs run the built server; use `npm test` (it builds first)');
  }
}

/** Snapshots the build and creates this run's database through the real migration command, as a deploy would. */
export default function globalSetup(): void {
  waitForBuild();
  const env = newRunEnv();
  cpSync(join(ROOT, 'dist'), env.distDir, { recursive: true });
  saveRunEnv(env);
  execFileSync(process.execPath, [join(env.distDir, 'src', 'scripts', 'migrate.js')], {
    env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl },
    stdio: 'pipe',
  });
}
