import { config as loadDotenv } from 'dotenv';
import { isIP } from 'node:net';

/** One typed, validated view of the environment; built once at boot. */
export interface AppConfig {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * Which X-Forwarded-For entries to believe: false (none), the number of proxies in front (each adds one entry;
   * the client's address is the one the farthest trusted proxy saw), or the proxies' addresses or CIDR ranges.
   */
  trustProxy: false | number | string[];
  corsOrigins: string[];
  bodyLimitBytes: number;
  shutdownTimeoutMs: number;
  database: { url: string; poolSize: number; statementTimeoutMs: number };
  redis: { url: string; keyPrefix: string };
  jwt: { secret: string; accessTtlSeconds: number; issuer: string; audience: string };
  sessions: { absoluteTtlSeconds: number; idleTtlSeconds: number };
  maintenance: { intervalSeconds: number; sessionRetentionSeconds: number };
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  rateLimit: {
    authPerMinute: number;
    accountPerMinute: number;
    failedLoginThreshold: number;
    failedLoginLockSeconds: number;
  };
  media: { dir: string; maxBytes: number };
  /**
   * `streamRetentionMs`: how long the Socket.IO stream keeps broadcasts, so how far an instance may fall behind.
   * `maxBufferedBytes`: what may wait to be sent to a client that stopped reading before its connection is closed.
   */
  socket: {
    maxFrameBytes: number;
    eventsPerSecond: number;
    streamRetentionMs: number;
    maxBufferedBytes: number;
  };
  /**
   * `leaseTtlMs`: an instance's presence lease lives this long without a heartbeat (heartbeats come every third
   * of it). `offlineDelayMs`: a user stays online this long after their last connection closed.
   */
  presence: { leaseTtlMs: number; offlineDelayMs: number };
  messages: { batchWindowMs: number; batchMaxSize: number };
  /** Email for offline users. `smtpUrl` null: email notifications are off and nothing is queued. */
  notifications: { smtpUrl: string | null; mailFrom: string; delaySeconds: number };
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

const PLACEHOLDER_SECRETS = new Set(['change-me', 'changeme', 'secret', 'dev-secret-change-me', '']);

function str(env: Env, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
  }
  return value;
}

/**
 * TRUST_PROXY: `false`; `true`, meaning one proxy in front (as in docker-compose.yml: nginx); a number of proxies;
 * or a comma-separated list of the proxies' addresses or CIDR ranges. `true` once meant "trust every entry", and
 * the first entry of X-Forwarded-For is whatever the client sent: behind nginx, which appends to the header, a
 * client could choose its own IP for the per-IP rate limits, sessions and the audit log.
 */
function trustProxy(env: Env, name: string): false | number | string[] {
  const raw = (env[name] ?? '').trim();
  if (['', 'false', 'no', '0'].includes(raw.toLowerCase())) return false;
  if (['true', 'yes'].includes(raw.toLowerCase())) return 1;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops <= 10) return hops;
  }
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const isRange = (entry: string): boolean => {
    const [address, bits, extra] = entry.split('/');
    if (extra !== undefined || isIP(address) === 0) return false;
    if (bits === undefined) return true;
    return /^\d+$/.test(bits) && Number(bits) <= (isIP(address) === 4 ? 32 : 128);
  };
  if (entries.length > 0 && entries.every(isRange)) return entries;
  throw new ConfigError(
    `${name} must be true, false, a number of proxies (up to 10) or the proxies' addresses/CIDR ranges (got "${raw}")`,
  );
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = str(env, name, fallback);
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
  }
  return raw as T;
}

function url(env: Env, name: string, fallback: string, protocols: string[]): string {
  const raw = str(env, name, fallback);
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL like ${fallback} (got a malformed value)`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(' or ')} (got "${parsed.protocol}")`);
  }
  return raw;
}

function optionalUrl(env: Env, name: string, example: string, protocols: string[]): string | null {
  return str(env, name, '') === '' ? null : url(env, name, example, protocols);
}

// `addr@host` or `Display Name <addr@host>`; enough to catch a typo before the first email bounces.
const MAILBOX = /^(?:[^<>\r\n]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/;

function mailbox(env: Env, name: string, fallback: string): string {
  const value = str(env, name, fallback).trim();
  if (!MAILBOX.test(value)) {
    throw new ConfigError(`${name} must be an address like ${fallback} (got "${value}")`);
  }
  return value;
}

/**
 * Builds the config from `env`. Throws ConfigError naming the first bad variable.
 * In production a placeholder or short JWT_SECRET is refused, so no deployment runs on a guessable key.
 */
export function buildConfig(env: Env): AppConfig {
  const nodeEnv = oneOf(env, 'NODE_ENV', 'development', ['development', 'production', 'test'] as const);
  const secret = env.JWT_SECRET ?? '';
  if (nodeEnv === 'production' && (PLACEHOLDER_SECRETS.has(secret) || secret.length < 32)) {
    throw new ConfigError(
      'JWT_SECRET must be set to a random string of at least 32 characters in production',
    );
  }
  return {
    env: nodeEnv,
    host: str(env, 'HOST', '0.0.0.0'),
    port: int(env, 'PORT', 3000, 0, 65535),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', [
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
      'silent',
    ] as const),
    trustProxy: trustProxy(env, 'TRUST_PROXY'),
    corsOrigins: str(env, 'CORS_ORIGINS', 'http://localhost:3000')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 1_048_576, 1024, 104_857_600),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 100, 300_000),
    database: {
      url: url(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/parley', [
        'postgres:',
        'postgresql:',
      ]),
      poolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 500),
      statementTimeoutMs: int(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 15_000, 100, 600_000),
    },
    redis: {
      url: url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
      keyPrefix: str(env, 'REDIS_KEY_PREFIX', 'parley:'),
    },
    jwt: {
      secret: secret || 'dev-secret-change-me',
      accessTtlSeconds: int(env, 'JWT_ACCESS_TTL_SECONDS', 900, 5, 86_400),
      issuer: str(env, 'JWT_ISSUER', 'parley'),
      audience: str(env, 'JWT_AUDIENCE', 'parley-api'),
    },
    sessions: {
      absoluteTtlSeconds: int(env, 'SESSION_ABSOLUTE_TTL_SECONDS', 30 * 86_400, 60, 365 * 86_400),
      idleTtlSeconds: int(env, 'SESSION_IDLE_TTL_SECONDS', 7 * 86_400, 60, 365 * 86_400),
    },
    maintenance: {
      intervalSeconds: int(env, 'MAINTENANCE_INTERVAL_SECONDS', 3600, 1, 7 * 86_400),
      sessionRetentionSeconds: int(env, 'SESSION_RETENTION_DAYS', 30, 0, 3650) * 86_400,
    },
    argon2: {
      memoryCost: int(env, 'ARGON2_MEMORY_KIB', 19_456, 1024, 1_048_576),
      timeCost: int(env, 'ARGON2_TIME_COST', 2, 1, 10),
      parallelism: int(env, 'ARGON2_PARALLELISM', 1, 1, 16),
    },
    rateLimit: {
      authPerMinute: int(env, 'RATE_LIMIT_AUTH_PER_MINUTE', 20, 1, 100_000),
      accountPerMinute: int(env, 'RATE_LIMIT_ACCOUNT_PER_MINUTE', 10, 1, 100_000),
      failedLoginThreshold: int(env, 'LOGIN_FAILURE_THRESHOLD', 5, 1, 1000),
      failedLoginLockSeconds: int(env, 'LOGIN_FAILURE_LOCK_SECONDS', 60, 1, 86_400),
    },
    media: {
      dir: str(env, 'MEDIA_DIR', './data/media'),
      maxBytes: int(env, 'MEDIA_MAX_BYTES', 10 * 1_048_576, 1024, 1_073_741_824),
    },
    socket: {
      maxFrameBytes: int(env, 'SOCKET_MAX_FRAME_BYTES', 64 * 1024, 1024, 10_485_760),
      eventsPerSecond: int(env, 'SOCKET_EVENTS_PER_SECOND', 50, 1, 100_000),
      streamRetentionMs: int(env, 'SOCKET_STREAM_RETENTION_SECONDS', 30, 2, 3600) * 1000,
      maxBufferedBytes: int(env, 'SOCKET_MAX_BUFFERED_BYTES', 1_048_576, 65_536, 1_073_741_824),
    },
    presence: {
      leaseTtlMs: int(env, 'PRESENCE_LEASE_SECONDS', 45, 3, 3600) * 1000,
      offlineDelayMs: int(env, 'PRESENCE_OFFLINE_DELAY_SECONDS', 15, 0, 600) * 1000,
    },
    messages: {
      batchWindowMs: int(env, 'MESSAGE_BATCH_WINDOW_MS', 1, 0, 100),
      batchMaxSize: int(env, 'MESSAGE_BATCH_MAX_SIZE', 64, 1, 1000),
    },
    notifications: {
      smtpUrl: optionalUrl(env, 'SMTP_URL', 'smtp://user:pass@mail.example.com:587', ['smtp:', 'smtps:']),
      mailFrom: mailbox(env, 'MAIL_FROM', 'Parley <no-reply@localhost>'),
      delaySeconds: int(env, 'NOTIFY_DELAY_SECONDS', 60, 0, 86_400),
    },
  };
}

/** Reads `.env` (if any, without overriding real env vars) and builds the config. */
export function loadConfig(): AppConfig {
  loadDotenv({ quiet: true });
  return buildConfig(process.env);
}

export const APP_CONFIG = Symbol('APP_CONFIG');
