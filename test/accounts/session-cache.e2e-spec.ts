import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { AppConfig } from '../../src/config/config';
import { SessionCache, sessionCacheKey, STALE_BLOCK_MS } from '../../src/modules/auth/session-cache';
import { runEnv } from '../support/run-env';

/** The session cache against the real Redis: what may and may not be cached, and for how long. */
describe('SessionCache', () => {
  const accessTtlSeconds = 900;
  let redis: Redis;
  let cache: SessionCache;

  beforeAll(() => {
    redis = new Redis(runEnv().redisUrl, { keyPrefix: `${runEnv().redisPrefix}session-cache-spec:` });
    cache = new SessionCache(redis, { jwt: { accessTtlSeconds } } as AppConfig);
  });
  afterAll(() => {
    redis.disconnect();
  });

  const session = (expiresInMs: number) => ({
    userId: randomUUID(),
    role: 'user' as const,
    expiresAt: Date.now() + expiresInMs,
  });

  it('keeps an active session as long as an access token lives, never past the session', async () => {
    const long = randomUUID();
    await cache.fill(long, session(30 * 86_400_000));
    const ttl = await redis.pttl(sessionCacheKey(long));
    expect(ttl).toBeGreaterThan((accessTtlSeconds - 5) * 1000);
    expect(ttl).toBeLessThanOrEqual(accessTtlSeconds * 1000);

    const ending = randomUUID();
    await cache.fill(ending, session(10_000));
    expect(await redis.pttl(sessionCacheKey(ending))).toBeLessThanOrEqual(10_000);
  });

  it('never lets a fill resurrect a revoked session', async () => {
    const id = randomUUID();
    await cache.fill(id, session(60_000));
    await cache.markRevoked([id]);
    await cache.fill(id, session(60_000));
    expect(await cache.get(id)).toBe('revoked');
  });

  it('after forget, reads miss and fills are refused for a while; tombstones stay', async () => {
    const id = randomUUID();
    const before = session(60_000);
    await cache.fill(id, before);
    expect(await cache.get(id)).toEqual(before);

    await cache.forget([id]);
    expect(await cache.get(id)).toBeUndefined();
    // A request that read the old state just before the change must not cache it.
    await cache.fill(id, before);
    expect(await cache.get(id)).toBeUndefined();
    const ttl = await redis.pttl(sessionCacheKey(id));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(STALE_BLOCK_MS);

    const revoked = randomUUID();
    await cache.markRevoked([revoked]);
    await cache.forget([revoked]);
    expect(await cache.get(revoked)).toBe('revoked');
  });
});
