import { getQueueToken } from '@nestjs/bull';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bull';
import { Gauge, register } from 'prom-client';
import { MEDIA_QUEUE } from '../media/media.constants';
import { MAINTENANCE_QUEUE } from '../maintenance/maintenance.constants';
import { NOTIFICATIONS_QUEUE } from '../notifications/notifications.constants';
import { METRIC } from './metrics.constants';

const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
const QUEUE_NAMES = [NOTIFICATIONS_QUEUE, MEDIA_QUEUE, MAINTENANCE_QUEUE];

/** Queue depth by state, read from Redis at scrape time so every instance reports the shared truth. */
@Injectable()
export class QueueMetrics implements OnModuleInit {
  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    const queues = QUEUE_NAMES.map((name) =>
      this.moduleRef.get<Queue>(getQueueToken(name), { strict: false }),
    );
    if (register.getSingleMetric(METRIC.queueJobs)) register.removeSingleMetric(METRIC.queueJobs);
    new Gauge({
      name: METRIC.queueJobs,
      help: 'Jobs in each Bull queue by state',
      labelNames: ['queue', 'state'],
      async collect() {
        await Promise.all(
          queues.map(async (queue) => {
            // A Redis outage must not break the whole scrape; the gauge just keeps its last values.
            const counts = await Promise.race([
              queue.getJobCounts().catch(() => undefined),
              new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 500).unref()),
            ]);
            if (!counts) return;
            for (const state of STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
          }),
        );
      },
    });
  }
}
