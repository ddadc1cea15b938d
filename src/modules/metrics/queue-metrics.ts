import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import { Gauge, register } from 'prom-client';
import { NOTIFICATIONS_QUEUE } from '../notifications/notifications.constants';
import { METRIC } from './metrics.constants';

const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

/** Queue depth by state, read from Redis at scrape time so every instance reports the shared truth. */
@Injectable()
export class QueueMetrics {
  constructor(@InjectQueue(NOTIFICATIONS_QUEUE) notifications: Queue) {
    const queues = [notifications];
    const existing = register.getSingleMetric(METRIC.queueJobs);
    if (existing) register.removeSingleMetric(METRIC.queueJobs);
    new Gauge({
      name: METRIC.queueJobs,
      help: 'Jobs in each Bull queue by state',
      labelNames: ['queue', 'state'],
      async collect() {
        for (const queue of queues) {
          // A Redis outage must not break the whole scrape; the gauge just keeps its last values.
          const counts = await Promise.race([
            queue.getJobCounts().catch(() => undefined),
            new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 500).unref()),
          ]);
          if (!counts) continue;
          for (const state of STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        }
      },
    });
  }
}
