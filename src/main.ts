import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { prettyLogs } from './common/logging/logger.module';
import type { AppConfig } from './config/config';
import { cliConfig } from './scripts/cli-config';

/**
 * Connections the kernel queues before the app accepts them: as many as it allows (Linux silently caps this at
 * net.core.somaxconn, 4096 by default; Node's own default is 511). After a restart or a network blip every client
 * reconnects within about a second, while the event loop is busy with the handshakes already accepted; when the
 * queue is full the kernel drops new connection attempts, which then wait for TCP's retransmits (1 s, 3 s, 7 s...).
 * In the benchmark's reconnect scenario (10k sockets) a 4096 queue overflowed 35k times; raising
 * net.core.somaxconn lets this take effect (README, "Scaling out").
 */
const LISTEN_BACKLOG = 65_535;

async function bootstrap(config: AppConfig): Promise<void> {
  const app = await createApp(config);
  const logger = new Logger('Bootstrap');

  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    logger.log(`${signal} received: draining requests and closing connections`);
    // Bounded: whatever still hangs after the timeout is cut off rather than blocking a deploy.
    const timer = setTimeout(() => {
      logger.error(`Shutdown took longer than ${config.shutdownTimeoutMs} ms; exiting anyway`);
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    app
      .close()
      .then(() => {
        logger.log('Shutdown complete');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error(`Shutdown failed: ${String(error)}`);
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.log(`Parley listening on http://${config.host}:${port} (docs at /docs)`);
}

// A bad variable stops the process with one line naming it, before anything else starts.
const config = cliConfig();
bootstrap(config).catch((error: unknown) => {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  // A JSON line for log collectors, like every other line; plain text for a person at a terminal.
  const line = prettyLogs(config)
    ? `Parley failed to start: ${detail}`
    : JSON.stringify({
        level: 60,
        time: Date.now(),
        pid: process.pid,
        context: 'Bootstrap',
        msg: 'Parley failed to start',
        err: detail,
      });
  process.stderr.write(`${line}\n`);
  process.exit(1);
});
