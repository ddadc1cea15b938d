/** Metric names are part of the public contract (API.md, Operations); dashboards query them by these names. */
export const METRIC = {
  httpRequests: 'http_requests_total',
  httpDuration: 'http_request_duration_seconds',
  messages: 'messages_total',
  socketsActive: 'websocket_connections_active',
  socketEvents: 'websocket_events_total',
  deliveryLag: 'message_delivery_lag_seconds',
  socketStreamGaps: 'websocket_stream_gaps_total',
  socketSlowConsumers: 'websocket_slow_consumers_dropped_total',
  queueJobs: 'queue_jobs',
  notificationsSent: 'notifications_sent_total',
  notificationsSkipped: 'notifications_skipped_total',
} as const;
