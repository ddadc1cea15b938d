import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT, runEnv } from './run-env';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-production-0123456789';

/** A running Parley server process, started from the built code exactly as `npm start` runs it. */
export interface TestApp {
  url: string;
  port: number;
  /** Every line the server wrote to stdout/stderr so far (structured JSON logs). */
  logs(): string[];
  /** Sends `signal` and resolves with the exit code once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  process: ChildProcess;
  env: Record<string, string>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The environment a test server gets: this run's database and Redis prefix, test-sized limits. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const run = runEnv();
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    DATABASE_URL: run.databaseUrl,
    DATABASE_POOL_SIZE: '10',
    REDIS_URL: run.redisUrl,
    REDIS_KEY_PREFIX: run.redisPrefix,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'info',
    // Argon2 at minimum cost keeps the suite fast; production defaults are in .env.example.
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    MEDIA_DIR: join(ROOT, 'node_modules', '.cache', 'parley-test-media'),
    // Suites register many users from one IP; the rate-limit spec starts its own app with low limits.
    RATE_LIMIT_AUTH_PER_MINUTE: '100000',
    RATE_LIMIT_ACCOUNT_PER_MINUTE: '100000',
    // Specs that watch a user go offline wait for it; the delay itself is covered by presence.relay.spec.ts.
    PRESENCE_OFFLINE_DELAY_SECONDS: '1',
    ...overrides,
  };
}

/** Starts the built server on a free port and waits until it answers `/health`. */
export async function startApp(overrides: Record<string, string> = {}): Promise<TestApp> {
  const port = await freePort();
  const env = testEnv({ PORT: String(port), ...overrides });
  const child = spawn(process.execPath, [join(runEnv().distDir, 'src', 'main.js')], { env, stdio: 'pipe' });
  const lines: string[] = [];
  const collect = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`server exited with ${child.exitCode} during start:\n${lines.join('\n')}`);
    }
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not become healthy:\n${lines.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    url,
    port,
    env,
    process: child,
    logs: () => [...lines],
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs a built script (<run dist>/src/scripts/<name>.js) to completion with the test environment. */
export async function runScript(
  name: string,
  args: string[] = [],
  overrides: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(runEnv().distDir, 'src', 'scripts', `${name}.js`), ...args], {
    env: testEnv(overrides),
    stdio: 'pipe',
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}
