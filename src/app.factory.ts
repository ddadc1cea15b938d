import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import { RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { buildOpenApiDocument } from './common/http/openapi';
import { generateRequestId, REQUEST_ID_HEADER } from './common/http/request-id';
import { createValidationPipe } from './common/http/validation';
import { AppConfig } from './config/config';
import { HttpMetrics } from './modules/metrics/http-metrics';

export const API_PREFIX = 'api/v1';

/** Builds the fully configured application (HTTP hardening, validation, errors, docs) without listening. */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimitBytes,
    genReqId: generateRequestId,
    // Idle keep-alive sockets are closed on shutdown so in-flight requests are all that is waited for.
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 200 },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  const fastify = app.getHttpAdapter().getInstance();

  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  app.get(HttpMetrics).register(fastify);

  await app.register(helmet, {
    // Swagger UI needs inline styles and data: images; everything else stays same-origin.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
        scriptSrc: ["'self'"],
        connectSrc: ["'self'"],
      },
    },
  });
  // Uploads stream through @fastify/multipart: one file per request, capped at MEDIA_MAX_BYTES while reading.
  await app.register(multipart, {
    limits: { fileSize: config.media.maxBytes, files: 1, fields: 4, parts: 5, fieldSize: 1024 },
  });
  app.enableCors({
    origin: config.corsOrigins,
    credentials: true,
    exposedHeaders: [REQUEST_ID_HEADER, 'Retry-After'],
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
