import { Global, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { RedisFactory } from './redis.factory';

/** The shared command connection: every key it touches gets REDIS_KEY_PREFIX automatically. */
export const REDIS = Symbol('REDIS');

@Global()
@Module({
  providers: [
    RedisFactory,
    {
      provide: REDIS,
      inject: [RedisFactory],
      useFactory: (factory: RedisFactory): Redis => factory.create('main'),
    },
  ],
  exports: [REDIS, RedisFactory],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(private readonly factory: RedisFactory) {}

  async onApplicationShutdown(): Promise<void> {
    await this.factory.closeAll();
  }
}
