import { freePort, testEnv } from '../support/app';
import { runNode } from './helpers';

/** Starts `node dist/src/main.js` with the test environment changed by `changes` (undefined unsets). */
async function boot(changes: Record<string, string | undefined>) {
  const env: Record<string, string> = testEnv({ PORT: String(await freePort()) });
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return runNode('src/main.js', [], env);
}

/** The process must stop with exit code 1 and one clear stderr line naming the variable. */
function expectRefused(result: { code: number | null; stderr: string }, variable: string): string {
  expect(result.code).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(variable);
  expect(lines[0]).not.toMatch(/\bat .+:\d+:\d+/); // no stack trace
  return lines[0];
}

describe('configuration validation at start', () => {
  it('refuses PORT=abc, naming PORT and what it expects', async () => {
    const line = expectRefused(await boot({ PORT: 'abc' }), 'PORT');
    expect(line).toMatch(/integer/);
  });

  it('refuses a malformed DATABASE_URL without echoing it', async () => {
    const line = expectRefused(await boot({ DATABASE_URL: 'not-a-url' }), 'DATABASE_URL');
    expect(line).toMatch(/URL/);
  });

  it('refuses a REDIS_URL of the wrong scheme', async () => {
    expectRefused(await boot({ REDIS_URL: 'http://127.0.0.1:6379' }), 'REDIS_URL');
  });

  it('refuses an unknown NODE_ENV', async () => {
    expectRefused(await boot({ NODE_ENV: 'staging' }), 'NODE_ENV');
  });

  it('refuses to start in production without a JWT_SECRET', async () => {
    expectRefused(await boot({ NODE_ENV: 'production', JWT_SECRET: undefined }), 'JWT_SECRET');
  });

  it('refuses to start in production with a placeholder JWT_SECRET', async () => {
    for (const placeholder of ['change-me', 'changeme']) {
      const result = await boot({ NODE_ENV: 'production', JWT_SECRET: placeholder });
      const line = expectRefused(result, 'JWT_SECRET');
      expect(line).not.toContain(placeholder);
    }
  });

  it('checks the configuration before touching any dependency', async () => {
    // Unreachable database and Redis: a config error must still be the one reported.
    const result = await boot({
      PORT: '99999',
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expectRefused(result, 'PORT');
  });
});

describe('a start that fails after the configuration was accepted', () => {
  it('writes JSON lines only, for log collectors, and exits 1 (a database that cannot be reached)', async () => {
    const result = await boot({ DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/none` });
    expect(result.code).toBe(1);
    const lines = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => line.trim() !== '');
    const notJson = lines.filter((line) => {
      try {
        return typeof JSON.parse(line) !== 'object';
      } catch {
        return true;
      }
    });
    // It wrote Nest's coloured text lines before pino had taken over.
    expect(notJson).toEqual([]);
    expect(lines.some((line) => line.includes('ECONNREFUSED'))).toBe(true);
  });
});
