import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse } from './error-response';

/**
 * Every HTTP error, from guards, pipes, handlers or Fastify's own parsing, leaves through here in the
 * contract's shape. Unexpected errors are logged with the request id and answered as a bare 500.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (request.raw.socket?.destroyed) {
      // The client went away mid-request (e.g. it sent less body than its Content-Length said): nobody is there to
      // answer, and it is not a server fault, so it is not logged as one (the request log line records the abort).
      return;
    }
    const { body, headers, unexpected } = toErrorResponse(exception, String(request.id));
    if (unexpected) {
      this.logger.error(
        { err: exception, requestId: request.id, route: request.routeOptions?.url },
        'Unhandled error while serving request',
      );
    }
    if (reply.sent) return;
    void reply.status(body.statusCode).headers(headers).send(body);
  }
}
