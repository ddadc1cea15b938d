import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { AppException } from '../../common/errors/app-exception';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import { REDIS } from '../../redis/redis.module';

// KEYS[1] counter; ARGV[1] lock ms; ARGV[2] threshold. Counts a failure; once at the threshold, (re)starts the lock.
const RECORD_FAILURE = `
local count = redis.call('INCR', KEYS[1])
if count == 1 or count >= tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

type FailureRedis = Redis & {
  authRecordFailure(key: string, lockMs: number, threshold: number): Promise<number>;
};

/**
 * Slows down password guessing against one account: after `failedLoginThreshold` failures within
 * `failedLoginLockSeconds`, further attempts answer 429 until the lock expires. Keyed by the account when it
 * exists and by the login name otherwise, so the answer is the same whether or not the account exists.
 */
@Injectable()
export class LoginFailures {
  private readonly redis: FailureRedis;

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    if (!('authRecordFailure' in redis)) {
      redis.defineCommand('authRecordFailure', { lua: RECORD_FAILURE, numberOfKeys: 1 });
    }
    this.redis = redis as FailureRedis;
  }

  /** Subject of the counter: the user id when known, else the normalised login name. */
  static subject(userId: string | undefined, login: string): string {
    return userId ? `user:${userId}` : `name:${login.trim().toLowerCase()}`;
  }

  private key(subject: string): string {
    return `auth:login-failures:${subject}`;
  }

  /** Throws 429 RATE_LIMITED with Retry-After while `subject` is locked. */
  async assertNotLocked(subject: string): Promise<void> {
    const key = this.key(subject);
    const [[, count], [, ttl]] = (await this.redis.multi().get(key).pttl(key).exec()) as [
      [Error | null, string | null],
      [Error | null, number],
    ];
    if (Number(count ?? 0) >= this.config.rateLimit.failedLoginThreshold && ttl > 0) {
      throw AppException.rateLimited(ttl / 1000, 'Too many failed attempts; try again later');
    }
  }

  async recordFailure(subject: string): Promise<void> {
    await this.redis.authRecordFailure(
      this.key(subject),
      this.config.rateLimit.failedLoginLockSeconds * 1000,
      this.config.rateLimit.failedLoginThreshold,
    );
  }

  async reset(subject: string): Promise<void> {
    await this.redis.del(this.key(subject));
  }
}
