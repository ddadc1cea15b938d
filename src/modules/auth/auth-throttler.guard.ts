import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { AppException } from '../../common/errors/app-exception';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import { RedisThrottlerStorage } from './redis-throttler.storage';

const MINUTE_MS = 60_000;

/** The account name a login or registration is about (lower-cased), or undefined when the body has none. */
export function accountName(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { login, username } = body as { login?: unknown; username?: unknown };
  const name = typeof login === 'string' ? login : typeof username === 'string' ? username : undefined;
  const normalised = name?.trim().toLowerCase();
  return normalised ? normalised.slice(0, 254) : undefined;
}

/**
 * Rate limits for the credential routes (register, login, refresh): per client IP (`RATE_LIMIT_AUTH_PER_MINUTE`)
 * and per account name in the body (`RATE_LIMIT_ACCOUNT_PER_MINUTE`), counted in Redis. Over the limit: 429
 * RATE_LIMITED with Retry-After, in the contract's error shape. Used with @UseGuards, not globally.
 */
@Injectable()
export class AuthThrottlerGuard extends ThrottlerGuard {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(RedisThrottlerStorage) storage: RedisThrottlerStorage,
    reflector: Reflector,
  ) {
    super(
      {
        throttlers: [
          { name: 'ip', ttl: MINUTE_MS, limit: config.rateLimit.authPerMinute },
          {
            name: 'account',
            ttl: MINUTE_MS,
            limit: config.rateLimit.accountPerMinute,
            skipIf: (context) =>
              accountName(context.switchToHttp().getRequest<{ body?: unknown }>().body) === undefined,
            getTracker: (req) => accountName(req.body) ?? '',
          },
        ],
        // Retry-After is set by the exception filter from the AppException below.
        setHeaders: false,
      },
      storage,
      reflector,
    );
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    // Guards named in @UseGuards are not always initialised through lifecycle hooks; make sure ours is.
    if (!this.throttlers) await this.onModuleInit();
    return super.canActivate(context);
  }

  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw AppException.rateLimited(detail.timeToBlockExpire, 'Too many requests, slow down');
  }
}
