import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { REDIS } from '../../redis/redis.module';
import { NOTIFICATIONS_QUEUE } from '../notifications/notifications.constants';

export type ComponentName = 'database' | 'redis' | 'queues';
export type ComponentStatus = { name: ComponentName; up: boolean; error?: string };

const CHECK_TIMEOUT_MS = 1000;

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    work,
    new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)),
        CHECK_TIMEOUT_MS,
      ).unref(),
    ),
  ]);
}

@Injectable()
export class HealthService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @InjectQueue(NOTIFICATIONS_QUEUE) private readonly notifications: Queue,
  ) {}

  /** Checks every dependency in parallel, each bounded by a short timeout, so readiness answers fast when one hangs. */
  async check(): Promise<ComponentStatus[]> {
    const checks: Array<[ComponentName, () => Promise<unknown>]> = [
      ['database', () => this.dataSource.query('SELECT 1')],
      ['redis', () => this.redis.ping()],
      ['queues', () => this.notifications.client.ping()],
    ];
    return Promise.all(
      checks.map(async ([name, probe]) => {
        try {
          await withTimeout(probe(), name);
          return { name, up: true };
        } catch (error) {
          return { name, up: false, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
  }
}
