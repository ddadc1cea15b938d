import multipart from '@fastify/multipart';
import { ConsoleLogger, HttpStatus, RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import { getToken } from '@willsoto/nestjs-prometheus';
import { Logger } from 'nestjs-pino';
import type { Counter } from 'prom-client';
import { AppModule } from './app.module';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { prettyLogs } from './common/logging/logger.module';
import { AppException } from './common/errors/app-exception';
import { ErrorCode } from './common/errors/error-codes';
import { handleClientError } from './common/http/client-error';
import { refuseUnsafeInput } from './common/http/input-guard';
import { refuseMultipartOutsideUploads } from './common/http/multipart';
import { toErrorResponse } from './common/errors/error-response';
import { logRequestsOutsideMiddleware } from './common/logging/unmounted-request-log';
import { buildOpenApiDocument } from './common/http/openapi';
import { generateRequestId, REQUEST_ID_HEADER } from './common/http/request-id';
import { createValidationPipe } from './common/http/validation';
import { AppConfig } from './config/config';
import { HttpMetrics } from './modules/metrics/http-metrics';
import { METRIC } from './modules/metrics/metrics.constants';
import { RedisStreamsIoAdapter, type SocketCounters } from './modules/realtime/redis-streams-io.adapter';
import { RedisFactory } from './redis/redis.factory';

export const API_PREFIX = 'api/v1';

/**
 * Notes when shutdown starts (Nest calls beforeClose before any shutdown hook): server.close() only reaps
 * connections idle at that moment, so a request still in flight would leave its keep-alive socket open and
 * stall the drain; responses sent from then on close their connection instead.
 */
class DrainingFastifyAdapter extends FastifyAdapter {
  draining = false;

  override beforeClose(): void {
    this.draining = true;
    super.beforeClose();
  }
}

/** Builds the fully configured application (HTTP hardening, validation, errors, docs) without listening. */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new DrainingFastifyAdapter({
    // A number of proxies as Fastify itself reads one (the adapter's type leaves numbers out): trust that many hops.
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (_address: string, hop: number) => hop < (config.trustProxy as number)
        : config.trustProxy,
    bodyLimit: config.bodyLimitBytes,
    genReqId: generateRequestId,
    // Idle keep-alive sockets are closed on shutdown so in-flight requests are all that is waited for.
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 200 },
    // Requests Node's HTTP parser rejects before Fastify sees them, in the contract's shape too.
    clientErrorHandler: handleClientError,
    // Errors Fastify answers before routing (a malformed URL, an over-long path parameter), in the contract's shape.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const { body, headers } = toErrorResponse(error, String(request.id));
      void reply
        .status(body.statusCode)
        .headers({ ...headers, [REQUEST_ID_HEADER]: String(request.id) })
        .send(body);
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bufferLogs: true,
    // What logs before pino takes over, and what Nest prints if the boot fails before it does (a database that
    // cannot be reached, say): JSON lines, as pino's, unless a person is reading (it printed coloured text).
    logger: prettyLogs(config) ? undefined : new ConsoleLogger({ json: true, colors: false }),
    // JSON only (Fastify's own parser, within BODY_LIMIT_BYTES): Nest's default would also accept form bodies.
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  // Socket.IO across instances (Redis Streams), with the frame size limit, Origin check and buffer limit from config.
  const counters: SocketCounters = {
    streamGaps: app.get<Counter<'reason'>>(getToken(METRIC.socketStreamGaps)),
    slowConsumers: app.get<Counter<'transport'>>(getToken(METRIC.socketSlowConsumers)),
  };
  app.useWebSocketAdapter(new RedisStreamsIoAdapter(app, config, app.get(RedisFactory), counters));
  const fastify = app.getHttpAdapter().getInstance();
  // A JSON API: text/plain (which Fastify parses by default) answers 415 like any other non-JSON body.
  fastify.removeContentTypeParser('text/plain');

  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  // Bodies are read as sent. A compressed one would reach the JSON parser as bytes it cannot read and answer 400
  // MALFORMED_JSON, blaming the JSON: say what is wrong instead (RFC 9110, 15.5.16).
  fastify.addHook('onRequest', (request, reply, done) => {
    const encoding = request.headers['content-encoding'];
    if (encoding === undefined || encoding.trim().toLowerCase() === 'identity') {
      done();
      return;
    }
    done(
      new AppException(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        `Content-Encoding "${encoding.slice(0, 40)}" is not supported: send the body uncompressed`,
        undefined,
        { 'accept-encoding': 'identity' },
      ),
    );
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    // Again here: replies sent from earlier onRequest hooks (CORS preflights) skip the hook above.
    void reply.header(REQUEST_ID_HEADER, request.id);
    if (adapter.draining) void reply.header('connection', 'close');
    done(null, payload);
  });
  refuseUnsafeInput(fastify);
  refuseMultipartOutsideUploads(fastify);
  app.get(HttpMetrics).register(fastify);
  logRequestsOutsideMiddleware(fastify);

  // Security headers on every answer (errors and CORS preflights included), from one helmet middleware built at
  // boot: @fastify/helmet rebuilt it, re-parsing the CSP, on every request (~3 % of a history page's CPU).
  const securityHeaders = helmet({
    // Swagger UI needs inline styles and data: images; everything else stays same-origin.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
        scriptSrc: ["'self'"],
        connectSrc: ["'self'"],
        // Off: on plain HTTP (a LAN install without TLS) it rewrote Swagger UI's assets to https and blanked /docs.
        upgradeInsecureRequests: null,
      },
    },
  });
  // On send rather than on request: CORS preflights are answered from an onRequest hook that runs first.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    securityHeaders(request.raw, reply.raw, (error?: unknown) =>
      error === undefined
        ? done(null, payload)
        : done(error instanceof Error ? error : new Error(String(error))),
    );
  });
  // Uploads stream through @fastify/multipart: one file per request, capped at MEDIA_MAX_BYTES while reading.
  await app.register(multipart, {
    limits: { fileSize: config.media.maxBytes, files: 1, fields: 4, parts: 5, fieldSize: 1024 },
  });
  app.enableCors({
    origin: config.corsOrigins,
    credentials: true,
    // @fastify/cors allows only GET, HEAD and POST by default; the API also edits and deletes.
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: [REQUEST_ID_HEADER, 'Retry-After'],
    // A bare OPTIONS (no Origin) is not a failed preflight; answering it 400 text/plain broke the error shape.
    strictPreflight: false,
  });

  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
    ],
  });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());

  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    customSiteTitle: 'Parley API',
  });
  return app;
}
