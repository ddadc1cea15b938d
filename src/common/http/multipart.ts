import { HttpStatus } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { AppException } from '../errors/app-exception';
import { ErrorCode } from '../errors/error-codes';

interface MultipartRouteConfig {
  multipart?: boolean;
}

/** Marks a route that takes `multipart/form-data` (an upload). Every other route takes JSON only. */
export const TakesMultipart = (): MethodDecorator =>
  RouteConfig({ multipart: true } satisfies MultipartRouteConfig);

/**
 * Refuses a multipart body, 415 as for any other type a route does not take, on routes not marked with
 * TakesMultipart. @fastify/multipart parses multipart for every route, and a JSON route then saw no body at
 * all: `PATCH /users/me` with a form answered 200 and changed nothing.
 */
export function refuseMultipartOutsideUploads(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', (request, _reply, done) => {
    const config = request.routeOptions.config as MultipartRouteConfig;
    const refused = !request.is404 && config.multipart !== true && request.isMultipart();
    done(
      refused
        ? new AppException(
            HttpStatus.UNSUPPORTED_MEDIA_TYPE,
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            'Unsupported Content-Type; send application/json',
          )
        : undefined,
    );
  });
}
