import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const IS_PUBLIC = 'parley:isPublic';
/** OpenAPI marker read by buildOpenApiDocument to drop the bearer requirement from public operations. */
export const PUBLIC_EXTENSION = 'x-parley-public';

/** Marks a route (or controller) as reachable without a bearer token. */
export const Public = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(PUBLIC_EXTENSION, true));
