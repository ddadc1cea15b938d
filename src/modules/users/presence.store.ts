import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { REDIS } from '../../redis/redis.module';

// Every script reads the clock from Redis (TIME) so instances with skewed clocks agree on who is online.
const NOW_MS = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// KEYS[1] presence set; ARGV[1] connection id; ARGV[2] ttl ms. Returns 1 when the user had no live connection.
const CONNECT = `${NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], tonumber(last[2]))
if before == 0 then return 1 else return 0 end`;

// KEYS = presence sets; ARGV[1] connection id; ARGV[2] ttl ms. Extends the connection's lease in each set,
// re-adding it where it had expired.
const REFRESH_MANY = `${NOW_MS}
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  redis.call('ZADD', key, now + tonumber(ARGV[2]), ARGV[1])
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', key, tonumber(last[2]))
end
return #KEYS`;

// KEYS[1] presence set; ARGV[1] connection id. Returns 1 when this removal left the user with no live connection.
const DISCONNECT = `${NOW_MS}
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local left = redis.call('ZCARD', KEYS[1])
if removed == 1 and left == 0 then return 1 else return 0 end`;

// KEYS = presence sets; returns for each the number of live connections (expired ones are pruned).
const COUNT_LIVE = `${NOW_MS}
local result = {}
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  result[i] = redis.call('ZCARD', key)
end
return result`;

type PresenceRedis = Redis & {
  presenceConnect(key: string, connectionId: string, ttlMs: number): Promise<number>;
  presenceDisconnect(key: string, connectionId: string): Promise<number>;
  presenceCountLive(...keysAndCount: Array<string | number>): Promise<number[]>;
  presenceRefreshMany(...keysAndArgs: Array<string | number>): Promise<number>;
};

/** Leases extended per script call by refreshMany: one call stays short and never stalls Redis for long. */
const REFRESH_CHUNK = 200;

/**
 * Who is online, shared by every instance. Per user a sorted set `presence:<userId>` of socket connection ids
 * scored by lease expiry (epoch ms): a connection stays live only while its instance keeps refreshing it, so
 * an instance that dies without cleaning up leaves members that simply expire, and the key itself expires with
 * its last member.
 */
@Injectable()
export class PresenceStore {
  private readonly redis: PresenceRedis;

  constructor(@Inject(REDIS) redis: Redis) {
    const commands: Array<[string, string, number]> = [
      ['presenceConnect', CONNECT, 1],
      ['presenceDisconnect', DISCONNECT, 1],
    ];
    for (const [name, lua, numberOfKeys] of commands) {
      if (!(name in redis)) redis.defineCommand(name, { lua, numberOfKeys });
    }
    if (!('presenceCountLive' in redis)) redis.defineCommand('presenceCountLive', { lua: COUNT_LIVE });
    if (!('presenceRefreshMany' in redis)) redis.defineCommand('presenceRefreshMany', { lua: REFRESH_MANY });
    this.redis = redis as PresenceRedis;
  }

  private key(userId: string): string {
    return `presence:${userId}`;
  }

  /** Records a live connection; resolves true when the user just came online (had no live connection). */
  async connect(userId: string, connectionId: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.presenceConnect(this.key(userId), connectionId, ttlMs)) === 1;
  }

  /** Extends a connection's lease (call well within `ttlMs`); re-adds it if it had expired. */
  refresh(userId: string, connectionId: string, ttlMs: number): Promise<void> {
    return this.refreshMany([userId], connectionId, ttlMs);
  }

  /**
   * Extends the leases of `connectionId` for all these users (an instance's heartbeat): a few script calls of
   * REFRESH_CHUNK users, one after another, instead of one call per user all at once, which held Redis and this
   * process's event loop for tens of milliseconds every heartbeat with 1,000 users online.
   */
  async refreshMany(userIds: readonly string[], connectionId: string, ttlMs: number): Promise<void> {
    for (let start = 0; start < userIds.length; start += REFRESH_CHUNK) {
      const keys = userIds.slice(start, start + REFRESH_CHUNK).map((id) => this.key(id));
      await this.redis.presenceRefreshMany(keys.length, ...keys, connectionId, ttlMs);
    }
  }

  /** Removes a connection; resolves true when the user just went offline (no live connection left). */
  async disconnect(userId: string, connectionId: string): Promise<boolean> {
    return (await this.redis.presenceDisconnect(this.key(userId), connectionId)) === 1;
  }

  async isOnline(userId: string): Promise<boolean> {
    return (await this.onlineUserIds([userId])).has(userId);
  }

  /** The subset of `userIds` with at least one live connection. */
  async onlineUserIds(userIds: string[]): Promise<Set<string>> {
    const unique = [...new Set(userIds)];
    if (unique.length === 0) return new Set();
    const keys = unique.map((id) => this.key(id));
    const counts = await this.redis.presenceCountLive(keys.length, ...keys);
    return new Set(unique.filter((_, index) => Number(counts[index]) > 0));
  }
}
