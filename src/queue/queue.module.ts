import { BullModule } from '@nestjs/bull';
import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { RedisFactory } from '../redis/redis.factory';

/**
 * Bull on the shared Redis. Bull prefixes keys itself (it refuses ioredis keyPrefix), so its prefix is derived
 * from REDIS_KEY_PREFIX and every queue of every instance lives in the same key space.
 */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG, RedisFactory],
      useFactory: (config: AppConfig, redis: RedisFactory) => ({
        prefix: `${config.redis.keyPrefix}bull`,
        createClient: (type) =>
          redis.create(
            `bull-${type}`,
            // Bull's blocking and subscriber connections must wait through outages instead of failing commands.
            type === 'client' ? {} : { maxRetriesPerRequest: null, enableReadyCheck: false },
            false,
          ),
        defaultJobOptions: {
          attempts: 5,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: 1000,
          // Failed jobs are kept for inspection, but not for ever: the newest 1,000 per queue.
          removeOnFail: 1000,
        },
      }),
    }),
  ],
  exports: [BullModule],
})
export class QueueModule {}
