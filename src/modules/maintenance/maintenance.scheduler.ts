import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bull';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import { MAINTENANCE_QUEUE, PURGE_SESSIONS_JOB } from './maintenance.constants';

/**
 * Registers the repeating maintenance jobs at boot. Bull keeps one schedule per (job, interval) in Redis, so
 * every instance registering it still runs each occurrence once; a schedule left by an earlier interval setting
 * is removed, so changing MAINTENANCE_INTERVAL_SECONDS does not leave the old one running beside the new one.
 */
@Injectable()
export class MaintenanceScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger('Maintenance');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(MAINTENANCE_QUEUE) private readonly queue: Queue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const every = this.config.maintenance.intervalSeconds * 1000;
    try {
      for (const job of await this.queue.getRepeatableJobs()) {
        if (job.name === PURGE_SESSIONS_JOB && Number(job.every) !== every) {
          await this.queue.removeRepeatableByKey(job.key);
        }
      }
      await this.queue.add(
        PURGE_SESSIONS_JOB,
        {},
        { repeat: { every }, removeOnComplete: 10, removeOnFail: 10 },
      );
    } catch (error) {
      // Redis down at boot: readiness reports it; the next instance (re)start registers the schedule.
      this.logger.warn({ err: error }, 'Could not schedule the maintenance jobs');
    }
  }
}
