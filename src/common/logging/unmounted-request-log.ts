import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { PinoLogger } from 'nestjs-pino';
import { isQuietPath } from './logger.module';

/**
 * Writes the request log line for requests the request-logging middleware never saw. Nest mounts middleware only
 * under the global prefix (and on routes excluded from it), so /docs, /docs-json and unknown paths outside
 * /api/v1 went unlogged. The line has the middleware's shape: the same root logger and serializers, the request
 * id, `req`, `res`, `responseTime` and the same message.
 */
export function logRequestsOutsideMiddleware(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    // pino-http keeps its loggers in `allLogs` on every request it handles, ignored paths included. (Not `log`:
    // middie sets that to Fastify's logger on any request it runs middleware for.)
    const raw: IncomingMessage & { allLogs?: unknown } = request.raw;
    if (raw.allLogs === undefined && !isQuietPath(raw.url ?? '')) {
      const statusCode = reply.statusCode;
      PinoLogger.root
        .child({ requestId: request.id })
        .info(
          { req: raw, res: reply.raw, responseTime: Math.round(reply.elapsedTime) },
          statusCode >= 500 ? 'request errored' : 'request completed',
        );
    }
    done();
  });
}
