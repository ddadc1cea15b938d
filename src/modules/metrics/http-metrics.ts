import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import { METRIC } from './metrics.constants';

/** Counts and times every HTTP response by route template (never the raw URL, so ids do not explode labels). */
@Injectable()
export class HttpMetrics {
  constructor(
    @InjectMetric(METRIC.httpRequests) private readonly requests: Counter<'method' | 'route' | 'status'>,
    @InjectMetric(METRIC.httpDuration) private readonly duration: Histogram<'method' | 'route' | 'status'>,
  ) {}

  register(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', (request, reply, done) => {
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      };
      this.requests.inc(labels);
      this.duration.observe(labels, reply.elapsedTime / 1000);
      done();
    });
  }
}
