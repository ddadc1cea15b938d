import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { cliConfig } from './scripts/cli-config';

/**
 * Connections the kernel queues before the app accepts them (Node's default is 511; Linux caps it at
 * net.core.somaxconn, 4096 by default). After a restart or a network blip every client reconnects within about a
 * second, while the event loop is busy with the handshakes already accepted: with 511, the queue overflowed and
 * the kernel dropped connections, which then waited for TCP's retransmits (1 s, 3 s, 7 s, 15 s...).
 */
const LISTEN_BACKLOG = 4096;

async function bootstrap(): Promise<void> {
  // A bad variable stops the process with one line naming it, before anything else starts.
  const config = cliConfig();
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

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `Parley failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
