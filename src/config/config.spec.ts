import { buildConfig, ConfigError } from './config';

const STRONG_SECRET = 'a-random-production-secret-of-more-than-32-chars';

function failureOf(env: Record<string, string>): ConfigError {
  try {
    buildConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('buildConfig', () => {
  it('applies development defaults to an empty environment', () => {
    const config = buildConfig({});
    expect(config).toMatchObject({
      env: 'development',
      host: '0.0.0.0',
      port: 3000,
      logLevel: 'info',
      trustProxy: false,
      corsOrigins: ['http://localhost:3000'],
      bodyLimitBytes: 1_048_576,
      database: { url: 'postgres://postgres@127.0.0.1:5432/parley' },
      redis: { url: 'redis://127.0.0.1:6379', keyPrefix: 'parley:' },
      jwt: { accessTtlSeconds: 900 },
      media: { maxBytes: 10 * 1_048_576 },
      socket: { streamRetentionMs: 30_000, maxBufferedBytes: 1_048_576 },
      presence: { leaseTtlMs: 45_000, offlineDelayMs: 15_000 },
      messages: { batchWindowMs: 1, batchMaxSize: 64 },
    });
    expect(config.jwt.secret.length).toBeGreaterThan(0);
  });

  it('treats empty variables as unset', () => {
    expect(buildConfig({ PORT: '', LOG_LEVEL: '', TRUST_PROXY: '' })).toMatchObject({
      port: 3000,
      logLevel: 'info',
      trustProxy: false,
    });
  });

  it('reads TRUST_PROXY as off, a number of proxies (true is one), or the proxies addresses', () => {
    const trust = (value: string) => buildConfig({ TRUST_PROXY: value }).trustProxy;
    expect(trust('false')).toBe(false);
    expect(trust('0')).toBe(false);
    expect(trust('true')).toBe(1);
    expect(trust('1')).toBe(1);
    expect(trust('2')).toBe(2);
    expect(trust('10.0.0.0/8, 127.0.0.1,::1')).toEqual(['10.0.0.0/8', '127.0.0.1', '::1']);
    expect(trust('fd00::/8')).toEqual(['fd00::/8']);
  });

  it('reads and converts the values it is given', () => {
    const config = buildConfig({
      NODE_ENV: 'test',
      PORT: '8080',
      TRUST_PROXY: 'yes',
      CORS_ORIGINS: 'https://a.example, https://b.example ,',
      BODY_LIMIT_BYTES: '2048',
      DATABASE_URL: 'postgresql://app:pw@db:5432/parley',
      REDIS_URL: 'rediss://cache:6380',
      REDIS_KEY_PREFIX: 'x:',
      SOCKET_STREAM_RETENTION_SECONDS: '120',
      SOCKET_MAX_BUFFERED_BYTES: '4194304',
      PRESENCE_OFFLINE_DELAY_SECONDS: '0',
    });
    expect(config).toMatchObject({
      env: 'test',
      port: 8080,
      trustProxy: 1,
      corsOrigins: ['https://a.example', 'https://b.example'],
      bodyLimitBytes: 2048,
      database: { url: 'postgresql://app:pw@db:5432/parley' },
      redis: { url: 'rediss://cache:6380', keyPrefix: 'x:' },
      socket: { streamRetentionMs: 120_000, maxBufferedBytes: 4_194_304 },
      presence: { offlineDelayMs: 0 },
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '3.5'],
    ['BODY_LIMIT_BYTES', '-1'],
    ['DATABASE_POOL_SIZE', '0'],
    ['JWT_ACCESS_TTL_SECONDS', 'soon'],
    ['ARGON2_MEMORY_KIB', '12'],
    ['MEDIA_MAX_BYTES', '1e99'],
    ['SOCKET_STREAM_RETENTION_SECONDS', '1'],
    ['SOCKET_MAX_BUFFERED_BYTES', '1024'],
    ['PRESENCE_OFFLINE_DELAY_SECONDS', '-1'],
    ['TRUST_PROXY', 'maybe'],
    ['TRUST_PROXY', '11'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', '10.0.0.1, nginx'],
    ['NODE_ENV', 'staging'],
    ['LOG_LEVEL', 'verbose'],
    ['DATABASE_URL', 'not-a-url'],
    ['DATABASE_URL', 'mysql://root@localhost/parley'],
    ['REDIS_URL', 'localhost:6379'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
  ])('refuses %s=%s with a message naming the variable', (name, value) => {
    const error = failureOf({ [name]: value });
    expect(error.message.startsWith(`${name} `)).toBe(true);
    expect(error.message).not.toContain('\n');
  });

  it('says what an integer variable expects', () => {
    expect(failureOf({ PORT: 'abc' }).message).toBe(
      'PORT must be an integer between 0 and 65535 (got "abc")',
    );
  });

  it('does not echo a malformed URL, which may carry a password', () => {
    const message = failureOf({ DATABASE_URL: 'postgres//user:hunter2@db' }).message;
    expect(message).toContain('DATABASE_URL');
    expect(message).not.toContain('hunter2');
  });

  describe('in production', () => {
    it.each([
      ['unset', undefined],
      ['empty', ''],
      ['a placeholder', 'change-me'],
      ['too short', 'short-but-not-a-placeholder'],
    ])('refuses a JWT_SECRET that is %s', (_label, secret) => {
      const env: Record<string, string> = { NODE_ENV: 'production' };
      if (secret !== undefined) env.JWT_SECRET = secret;
      expect(failureOf(env).message).toMatch(/^JWT_SECRET /);
    });

    it('starts with a long random JWT_SECRET', () => {
      const config = buildConfig({ NODE_ENV: 'production', JWT_SECRET: STRONG_SECRET });
      expect(config.env).toBe('production');
      expect(config.jwt.secret).toBe(STRONG_SECRET);
    });
  });

  it('allows a missing JWT_SECRET outside production', () => {
    expect(() => buildConfig({ NODE_ENV: 'test' })).not.toThrow();
    expect(() => buildConfig({ NODE_ENV: 'development', JWT_SECRET: 'change-me' })).not.toThrow();
  });
});
