import { Inject, Injectable } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import Redis from 'ioredis';
import { REDIS } from '../../redis/redis.module';

// KEYS[1] hit counter, KEYS[2] block marker; ARGV[1] window ms, ARGV[2] limit, ARGV[3] block ms.
// Returns { hits, window ms left, blocked 0/1, block ms left }. One script, so instances never race.
const INCREMENT = `
local blockLeft = redis.call('PTTL', KEYS[2])
if blockLeft > 0 then
  return { tonumber(redis.call('GET', KEYS[1]) or '0'), math.max(redis.call('PTTL', KEYS[1]), 0), 1, blockLeft }
end
local hits = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if hits == 1 or left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
  return { hits, left, 1, tonumber(ARGV[3]) }
end
return { hits, left, 0, 0 }`;

type ThrottleRedis = Redis & {
  throttleIncrement(
    hitsKey: string,
    blockKey: string,
    ttlMs: number,
    limit: number,
    blockMs: number,
  ): Promise<number[]>;
};

/**
 * @nestjs/throttler storage on our Redis connection (fixed window, atomic INCR + PEXPIRE in Lua), so limits
 * hold across every instance behind the load balancer.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly redis: ThrottleRedis;

  constructor(@Inject(REDIS) redis: Redis) {
    if (!('throttleIncrement' in redis)) {
      redis.defineCommand('throttleIncrement', { lua: INCREMENT, numberOfKeys: 2 });
    }
    this.redis = redis as ThrottleRedis;
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string) {
    const base = `throttle:${throttlerName}:${key}`;
    const [totalHits, windowLeft, blocked, blockLeft] = await this.redis.throttleIncrement(
      base,
      `${base}:blocked`,
      ttl,
      limit,
      blockDuration,
    );
    return {
      totalHits: Number(totalHits),
      timeToExpire: Math.ceil(Number(windowLeft) / 1000),
      isBlocked: Number(blocked) === 1,
      timeToBlockExpire: Math.ceil(Number(blockLeft) / 1000),
    };
  }
}
