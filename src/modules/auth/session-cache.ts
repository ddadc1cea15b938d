import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { TurnBatcher } from '../../common/turn-batcher';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import { REDIS } from '../../redis/redis.module';
import type { UserRole } from '../users/user.entity';

/** What a request needs to know about its session; cached so most requests skip PostgreSQL. */
export interface ActiveSession {
  userId: string;
  role: UserRole;
  /** Absolute expiry, epoch ms. */
  expiresAt: number;
}

const REVOKED = 'revoked';
const STALE = 'stale';

/**
 * How long `forget` blocks cache fills: longer than any request takes from reading PostgreSQL to filling the
 * cache, so a request that read the state before the change cannot cache it after the change was announced.
 */
export const STALE_BLOCK_MS = 30_000;

/** Redis key of a session's cached state (relative to REDIS_KEY_PREFIX). */
export function sessionCacheKey(sessionId: string): string {
  return `auth:session:${sessionId}`;
}

// KEYS[1] cache key; ARGV[1] block ms. Marks the entry stale unless it is a tombstone (which must stay).
const FORGET = `if redis.call('GET', KEYS[1]) ~= '${REVOKED}' then
  redis.call('SET', KEYS[1], '${STALE}', 'PX', ARGV[1])
end`;

/**
 * Marks the cached state of these sessions stale, which refuses cache fills for STALE_BLOCK_MS, so the next
 * requests read fresh state (after a role change). Tombstones stay. Shared by SessionCache.forget and the CLI
 * scripts, which change roles without the app.
 */
export async function markSessionsStale(redis: Redis, sessionIds: string[]): Promise<void> {
  if (sessionIds.length === 0) return;
  const pipeline = redis.pipeline();
  for (const id of sessionIds) pipeline.eval(FORGET, 1, sessionCacheKey(id), STALE_BLOCK_MS);
  await pipeline.exec();
}

/**
 * Redis cache of session state, keyed by session id. Everything that changes that state announces it here:
 * a revocation (logout, password change, disabling or deleting the account...) overwrites the entry with a
 * tombstone that outlives every access token of the session, and a role change marks it stale (`forget`). A
 * cache fill never overwrites (SET NX), so a fill racing either cannot resurrect the old state. Entries may
 * therefore live as long as an access token does: a reconnect storm after an outage of minutes still finds
 * its sessions here instead of in PostgreSQL.
 */
@Injectable()
export class SessionCache {
  private readonly reads = new TurnBatcher<string, string | null>((sessionIds) =>
    this.redis.mget(sessionIds.map((id) => this.key(id))),
  );

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private key(sessionId: string): string {
    return sessionCacheKey(sessionId);
  }

  /**
   * The cached state: a session, 'revoked', or undefined on a miss (or a stale entry). Every request and socket
   * handshake asks; lookups made together (see TurnBatcher) go to Redis as one MGET.
   */
  async get(sessionId: string): Promise<ActiveSession | 'revoked' | undefined> {
    const raw = await this.reads.load(sessionId);
    if (raw === null || raw === STALE) return undefined;
    if (raw === REVOKED) return 'revoked';
    try {
      return JSON.parse(raw) as ActiveSession;
    } catch {
      return undefined;
    }
  }

  async fill(sessionId: string, session: ActiveSession): Promise<void> {
    const ttl = Math.min(this.config.jwt.accessTtlSeconds * 1000, session.expiresAt - Date.now());
    if (ttl <= 0) return;
    await this.redis.set(this.key(sessionId), JSON.stringify(session), 'PX', ttl, 'NX');
  }

  async markRevoked(sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    const ttlSeconds = this.config.jwt.accessTtlSeconds + 60;
    const pipeline = this.redis.pipeline();
    for (const id of sessionIds) pipeline.set(this.key(id), REVOKED, 'EX', ttlSeconds);
    await pipeline.exec();
  }

  /**
   * Makes the next requests read fresh state, e.g. after a role change. Not a plain DEL: for a while the entry
   * is marked stale, which refuses fills, so a request that read the old role just before the change cannot
   * cache it for the entry's whole lifetime. Tombstones stay.
   */
  forget(sessionIds: string[]): Promise<void> {
    return markSessionsStale(this.redis, sessionIds);
  }
}
