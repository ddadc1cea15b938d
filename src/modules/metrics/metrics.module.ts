import { Global, Module } from '@nestjs/common';
import {
  PrometheusModule,
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
} from '@willsoto/nestjs-prometheus';
import { HttpMetrics } from './http-metrics';
import { METRIC } from './metrics.constants';
import { MetricsController } from './metrics.controller';
import { QueueMetrics } from './queue-metrics';

const providers = [
  makeCounterProvider({
    name: METRIC.httpRequests,
    help: 'HTTP requests served, by method, route template and status',
    labelNames: ['method', 'route', 'status'],
  }),
  makeHistogramProvider({
    name: METRIC.httpDuration,
    help: 'HTTP request duration in seconds, by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  }),
  makeCounterProvider({ name: METRIC.messages, help: 'Messages stored' }),
  makeGaugeProvider({ name: METRIC.socketsActive, help: 'Socket.IO connections open on this instance' }),
  makeCounterProvider({
    name: METRIC.socketEvents,
    help: 'Socket.IO events received, by event name',
    labelNames: ['event'],
  }),
  makeHistogramProvider({
    name: METRIC.deliveryLag,
    help: 'Seconds from a change committing to its emit towards sockets',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  }),
  makeCounterProvider({
    name: METRIC.socketStreamGaps,
    help:
      'Times this instance dropped its connections to resync, because broadcasts to it may have been lost: ' +
      'reason "trimmed" (it fell behind the Socket.IO stream past its retention), "reset" (the stream was lost, ' +
      'e.g. Redis came back without its data) or "lost-publish" (another instance could not publish some)',
    labelNames: ['reason'],
  }),
  makeCounterProvider({
    name: METRIC.socketSlowConsumers,
    help:
      'Connections closed because their client stopped reading: more than SOCKET_MAX_BUFFERED_BYTES waited to be ' +
      'sent to it and it was not draining',
    labelNames: ['transport'],
  }),
  makeCounterProvider({ name: METRIC.notificationsSent, help: 'Notification emails sent' }),
  makeCounterProvider({
    name: METRIC.notificationsSkipped,
    help: 'Notification jobs that sent nothing, by reason (online, already_read, opted_out, ...)',
    labelNames: ['reason'],
  }),
  HttpMetrics,
  QueueMetrics,
];

/** Every Prometheus metric Parley exports is declared here, so names stay in one place. */
@Global()
@Module({
  imports: [PrometheusModule.register({ controller: MetricsController, defaultMetrics: { enabled: true } })],
  providers,
  exports: providers,
})
export class MetricsModule {}
