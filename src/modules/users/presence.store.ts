import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { REDIS } from '../../redis/redis.module';

/**
 * How long a holder's set of users outlives its last heartbeat: long enough for a live instance's sweep to find
 * the dead holder (sweeps run every few seconds) and still read whom it held.
 */
const HOLDER_SET_GRACE_MS = 10 * 60_000;

// Every script reads the clock from Redis (TIME) so instances with skewed clocks agree on who is online.
const NOW_MS = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// KEYS[1] presence set, KEYS[2] holders, KEYS[3] the connection's holder set; ARGV[1] connection id; ARGV[2] ttl
// ms; ARGV[3] user id. Returns 1 when the user had no live connection.
const CONNECT = `${NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], tonumber(last[2]))
redis.call('ZADD', KEYS[2], 'GT', now + tonumber(ARGV[2]), ARGV[1])
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[2]) + ${HOLDER_SET_GRACE_MS})
if before == 0 then return 1 else return 0 end`;

// KEYS[1] the connection's holder set, KEYS[2..] presence sets; ARGV[1] connection id; ARGV[2] ttl ms;
// ARGV[3..] the users of those sets. Extends the connection's lease in each set, re-adding it where it had
// expired, and lists the users in the holder set again (a sweep may have taken it if this instance stalled for
// longer than a lease).
const REFRESH_MANY = `${NOW_MS}
for i = 2, #KEYS do
  local key = KEYS[i]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  redis.call('ZADD', key, now + tonumber(ARGV[2]), ARGV[1])
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', key, tonumber(last[2]))
  redis.call('SADD', KEYS[1], ARGV[i + 1])
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + ${HOLDER_SET_GRACE_MS})
return #KEYS - 1`;

// KEYS[1] presence set, KEYS[2] the connection's holder set; ARGV[1] connection id; ARGV[2] user id. Returns 1
// when this removal left the user with no live connection.
const DISCONNECT = `${NOW_MS}
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local left = redis.call('ZCARD', KEYS[1])
if removed == 1 and left == 0 then return 1 else return 0 end`;

// KEYS[1] holders, KEYS[2] the connection's holder set; ARGV[1] connection id; ARGV[2] ttl ms. A holder's
// heartbeat: it stays out of the dead-holder sweep for another ttl.
const HOLDER_ALIVE = `${NOW_MS}
redis.call('ZADD', KEYS[1], 'GT', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]) + ${HOLDER_SET_GRACE_MS})
return 1`;

// KEYS[1] holders; ARGV[1] how many. Removes holders whose heartbeat lapsed and returns them with their lapse
// time ([id, expiredAt, ...]). ZREM makes each one returned to exactly one caller.
const CLAIM_DEAD = `${NOW_MS}
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[1]))
local claimed = {}
for i = 1, #dead, 2 do
  if redis.call('ZREM', KEYS[1], dead[i]) == 1 then
    claimed[#claimed + 1] = dead[i]
    claimed[#claimed + 1] = dead[i + 1]
  end
end
return claimed`;

// KEYS[1] a holder set. Returns its members and deletes it.
const TAKE_SET = `local members = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return members`;

// KEYS = presence sets; returns for each the number of live connections (expired ones are pruned).
const COUNT_LIVE = `${NOW_MS}
local result = {}
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  result[i] = redis.call('ZCARD', key)
end
return result`;

type PresenceRedis = Redis & {
  presenceConnect(
    key: string,
    holders: string,
    holderSet: string,
    connectionId: string,
    ttlMs: number,
    userId: string,
  ): Promise<number>;
  presenceDisconnect(key: string, holderSet: string, connectionId: string, userId: string): Promise<number>;
  presenceHolderAlive(
    holders: string,
    holderSet: string,
    connectionId: string,
    ttlMs: number,
  ): Promise<number>;
  presenceClaimDead(holders: string, count: number): Promise<string[]>;
  presenceTakeSet(holderSet: string): Promise<string[]>;
  presenceCountLive(...keysAndCount: Array<string | number>): Promise<number[]>;
  presenceRefreshMany(...keysAndArgs: Array<string | number>): Promise<number>;
};

/** Sorted set of holders (connection ids, i.e. instance leases) scored by when their heartbeat lapses. */
const HOLDERS = 'presence-holders';
/** Dead holders claimed per sweep; more wait for the next. */
const DEAD_HOLDERS_PER_SWEEP = 20;

/** Leases extended per script call by refreshMany: one call stays short and never stalls Redis for long. */
const REFRESH_CHUNK = 200;

/**
 * Who is online, shared by every instance. Per user a sorted set `presence:<userId>` of socket connection ids
 * scored by lease expiry (epoch ms): a connection stays live only while its instance keeps refreshing it, so
 * an instance that dies without cleaning up leaves members that simply expire, and the key itself expires with
 * its last member. Each connection id also has a set of the users it holds and a heartbeat in `presence-holders`,
 * so a live instance can find a dead one's users and announce that they went offline (claimDeadHolders).
 */
@Injectable()
export class PresenceStore {
  private readonly redis: PresenceRedis;

  constructor(@Inject(REDIS) redis: Redis) {
    const commands: Array<[string, string, number]> = [
      ['presenceConnect', CONNECT, 3],
      ['presenceDisconnect', DISCONNECT, 2],
      ['presenceHolderAlive', HOLDER_ALIVE, 2],
      ['presenceClaimDead', CLAIM_DEAD, 1],
      ['presenceTakeSet', TAKE_SET, 1],
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

  /** The users a connection id (an instance's lease) holds presence for, so they can be released if it dies. */
  private holderSet(connectionId: string): string {
    return `presence-holder:${connectionId}`;
  }

  /** Records a live connection; resolves true when the user just came online (had no live connection). */
  async connect(userId: string, connectionId: string, ttlMs: number): Promise<boolean> {
    const key = this.key(userId);
    const holderSet = this.holderSet(connectionId);
    return (await this.redis.presenceConnect(key, HOLDERS, holderSet, connectionId, ttlMs, userId)) === 1;
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
    await this.redis.presenceHolderAlive(HOLDERS, this.holderSet(connectionId), connectionId, ttlMs);
    const holderSet = this.holderSet(connectionId);
    for (let start = 0; start < userIds.length; start += REFRESH_CHUNK) {
      const chunk = userIds.slice(start, start + REFRESH_CHUNK);
      const keys = [holderSet, ...chunk.map((id) => this.key(id))];
      await this.redis.presenceRefreshMany(keys.length, ...keys, connectionId, ttlMs, ...chunk);
    }
  }

  /** Removes a connection; resolves true when the user just went offline (no live connection left). */
  async disconnect(userId: string, connectionId: string): Promise<boolean> {
    const holderSet = this.holderSet(connectionId);
    return (await this.redis.presenceDisconnect(this.key(userId), holderSet, connectionId, userId)) === 1;
  }

  /** A holder shutting down cleanly (after releasing its users): nothing is left for the sweep. */
  async retire(connectionId: string): Promise<void> {
    await this.redis.multi().zrem(HOLDERS, connectionId).del(this.holderSet(connectionId)).exec();
  }

  /**
   * Holders (instances) whose heartbeat lapsed, each claimed by exactly one caller, with the users they held who
   * have no live connection left anywhere: they went offline when that instance died, and nobody said so.
   * `lastSeenAt` is the holder's last heartbeat.
   */
  async claimDeadHolders(ttlMs: number): Promise<Array<{ lastSeenAt: Date; offlineUserIds: string[] }>> {
    const claimed = await this.redis.presenceClaimDead(HOLDERS, DEAD_HOLDERS_PER_SWEEP);
    const result: Array<{ lastSeenAt: Date; offlineUserIds: string[] }> = [];
    for (let index = 0; index < claimed.length; index += 2) {
      const userIds = await this.redis.presenceTakeSet(this.holderSet(claimed[index]));
      const online = await this.onlineUserIds(userIds);
      result.push({
        lastSeenAt: new Date(Number(claimed[index + 1]) - ttlMs),
        offlineUserIds: userIds.filter((id) => !online.has(id)),
      });
    }
    return result;
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
