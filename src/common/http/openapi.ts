import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorBodyDto, ErrorDetailDto } from '../errors/error-body.dto';
import { PUBLIC_EXTENSION } from './public.decorator';

const ERROR_REF = { $ref: '#/components/schemas/ErrorBodyDto' };
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;

const ERROR_DESCRIPTIONS: Record<string, string> = {
  '400': 'Validation failed or malformed request (`VALIDATION_FAILED` lists each bad field)',
  '401': 'Missing, invalid or expired access token',
  '403': 'Authenticated but not allowed',
  '404': 'Not found, or not visible to the caller',
  '429': 'Rate limited; see `Retry-After`',
  '500': 'Unexpected error (a bug); quote the `requestId`',
};

type Responses = Record<string, { description?: string; content?: Record<string, { schema: unknown }> }>;

/**
 * Builds the OpenAPI document. Operation ids are the controller method names (`createRoom`), so generated SDKs
 * read well; every operation's error responses point at the one shared error schema.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Parley API')
    .setDescription(
      'Self-hosted messaging backend: REST API v1. Real-time events are documented in the README.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addSecurityRequirements('bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
    extraModels: [ErrorBodyDto, ErrorDetailDto],
  });
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method] as (Record<string, unknown> & { responses: Responses }) | undefined;
      if (!operation) continue;
      const isPublic = operation[PUBLIC_EXTENSION] === true;
      delete operation[PUBLIC_EXTENSION];
      if (isPublic) operation.security = [];
      const codes = ['400', '429', '500'];
      if (!isPublic) codes.push('401', '403');
      if (path.includes('{')) codes.push('404');
      for (const code of codes) operation.responses[code] ??= { description: ERROR_DESCRIPTIONS[code] };
      for (const [code, response] of Object.entries(operation.responses)) {
        if (/^[45]/.test(code)) response.content = { 'application/json': { schema: ERROR_REF } };
      }
    }
  }
  return document;
}
