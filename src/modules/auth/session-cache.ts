import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
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

/** Redis key of a session's cached state (relative to REDIS_KEY_PREFIX). */
export function sessionCacheKey(sessionId: string): string {
  return `auth:session:${sessionId}`;
}
// Short enough that a role change made directly in the database is picked up soon; revocations are immediate.
const ACTIVE_TTL_MS = 60_000;

/**
 * Redis cache of session state, keyed by session id. A revocation overwrites the entry with a tombstone that
 * outlives every access token of the session, and a cache fill never overwrites (SET NX), so a fill racing a
 * revocation cannot resurrect the session.
 */
@Injectable()
export class SessionCache {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private key(sessionId: string): string {
    return sessionCacheKey(sessionId);
  }

  /** The cached state: a session, 'revoked', or undefined on a miss. */
  async get(sessionId: string): Promise<ActiveSession | 'revoked' | undefined> {
    const raw = await this.redis.get(this.key(sessionId));
    if (raw === null) return undefined;
    if (raw === REVOKED) return 'revoked';
    try {
      return JSON.parse(raw) as ActiveSession;
    } catch {
      return undefined;
    }
  }

  async fill(sessionId: string, session: ActiveSession): Promise<void> {
    const ttl = Math.min(ACTIVE_TTL_MS, session.expiresAt - Date.now());
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

  /** Drops cached entries (not tombstones) so the next request reads fresh state, e.g. after a role change. */
  async forget(sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    await this.redis.del(...sessionIds.map((id) => this.key(id)));
  }
}
