import Fastify, { type FastifyInstance } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import pino from 'pino';
import { Writable } from 'node:stream';
import { logRequestsOutsideMiddleware } from './unmounted-request-log';

describe('logRequestsOutsideMiddleware', () => {
  let lines: Record<string, unknown>[];
  let fastify: FastifyInstance;

  beforeEach(async () => {
    lines = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        callback();
      },
    });
    const root = pino(
      {
        serializers: {
          req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
          res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        },
      },
      sink,
    );
    jest.replaceProperty(PinoLogger, 'root', root);
    fastify = Fastify({ genReqId: () => 'req-1' });
    logRequestsOutsideMiddleware(fastify);
    fastify.get('/docs-json', () => ({ openapi: '3.0.0' }));
    fastify.get('/broken', async (_request, reply) => reply.status(503).send({ down: true }));
    fastify.get('/health', () => ({ status: 'ok' }));
    fastify.get('/api/v1/thing', (request) => {
      // What pino-http leaves on a request it logs itself.
      Object.assign(request.raw, { allLogs: [] });
      return {};
    });
    await fastify.ready();
  });
  afterEach(async () => {
    await fastify.close();
    jest.restoreAllMocks();
  });

  it('logs a request the middleware did not see, in its shape', async () => {
    await fastify.inject({ method: 'GET', url: '/docs-json' });
    expect(lines).toEqual([
      expect.objectContaining({
        requestId: 'req-1',
        req: { method: 'GET', url: '/docs-json' },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
        msg: 'request completed',
      }),
    ]);
  });

  it('says a 5xx answer errored', async () => {
    await fastify.inject({ method: 'GET', url: '/broken' });
    expect(lines).toEqual([expect.objectContaining({ res: { statusCode: 503 }, msg: 'request errored' })]);
  });

  it('leaves a request the middleware logged, and health probes, alone', async () => {
    await fastify.inject({ method: 'GET', url: '/api/v1/thing' });
    await fastify.inject({ method: 'GET', url: '/health' });
    expect(lines).toEqual([]);
  });
});
