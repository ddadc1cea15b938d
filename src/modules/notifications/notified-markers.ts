import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { REDIS } from '../../redis/redis.module';
import { NOTIFIED_MARKER_TTL_SECONDS } from './notifications.constants';

// KEYS[1] marker; ARGV[1] the job's seq; ARGV[2] the highest seq the email covers; ARGV[3] ttl seconds.
// Claims the send when the marker is below the job's seq by raising it GREATEST-style to ARGV[2].
// Returns the previous marker (0 when none) on success, -1 when another job already covered this seq.
const CLAIM = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current >= tonumber(ARGV[1]) then return -1 end
redis.call('SET', KEYS[1], math.max(current, tonumber(ARGV[2])), 'EX', tonumber(ARGV[3]))
return current`;

// KEYS[1] marker; ARGV[1] the value our claim set; ARGV[2] the value before it; ARGV[3] ttl seconds.
// Undoes a claim whose email could not be sent, unless a later claim has moved the marker since.
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) == 0 then redis.call('DEL', KEYS[1])
else redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3])) end
return 1`;

type MarkerRedis = Redis & {
  notifiedClaim(key: string, seq: number, upTo: number, ttl: number): Promise<number>;
  notifiedRelease(key: string, claimed: number, previous: number, ttl: number): Promise<number>;
};

/** A claim on sending one email; release it if the send fails so a retry can try again. */
export interface NotifiedClaim {
  upTo: number;
  previous: number;
}

/**
 * Per (recipient, room) "notified up to seq" markers in Redis, shared by every worker. A job whose seq is at or
 * below the marker was covered by an earlier digest, so bursts give one email and Bull's occasional second run
 * of a job sends nothing. The marker is claimed before the send (and released when the send fails): two jobs
 * racing on two instances cannot both send, at the price that a worker dying mid-send loses that one email.
 */
@Injectable()
export class NotifiedMarkers {
  private readonly redis: MarkerRedis;

  constructor(@Inject(REDIS) redis: Redis) {
    if (!('notifiedClaim' in redis)) redis.defineCommand('notifiedClaim', { lua: CLAIM, numberOfKeys: 1 });
    if (!('notifiedRelease' in redis)) {
      redis.defineCommand('notifiedRelease', { lua: RELEASE, numberOfKeys: 1 });
    }
    this.redis = redis as MarkerRedis;
  }

  private key(recipientId: string, roomId: string): string {
    return `notify:notified:${recipientId}:${roomId}`;
  }

  /** The highest seq already mailed (0 when none). */
  async notifiedUpTo(recipientId: string, roomId: string): Promise<number> {
    return Number((await this.redis.get(this.key(recipientId, roomId))) ?? 0);
  }

  /** Claims the email for message `seq` covering up to `upTo`; null when another job already covered `seq`. */
  async claim(recipientId: string, roomId: string, seq: number, upTo: number): Promise<NotifiedClaim | null> {
    const previous = Number(
      await this.redis.notifiedClaim(this.key(recipientId, roomId), seq, upTo, NOTIFIED_MARKER_TTL_SECONDS),
    );
    return previous < 0 ? null : { upTo: Math.max(previous, upTo), previous };
  }

  async release(recipientId: string, roomId: string, claim: NotifiedClaim): Promise<void> {
    await this.redis.notifiedRelease(
      this.key(recipientId, roomId),
      claim.upTo,
      claim.previous,
      NOTIFIED_MARKER_TTL_SECONDS,
    );
  }
}
