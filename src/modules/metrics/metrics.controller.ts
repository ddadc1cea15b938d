import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { Public } from '../../common/http/public.decorator';

/**
 * Prometheus scrape endpoint. In the OpenAPI document like every route of the contract (API.md, Operations), outside
 * /api/v1. Public like the contract says: scrapers carry no token, so keep /metrics off the public network (the nginx
 * config denies it).
 */
@ApiTags('metrics')
@Public()
@Controller()
export class MetricsController extends PrometheusController {
  /** Prometheus text exposition: process metrics, HTTP, messages, Socket.IO and queue metrics. */
  @Get()
  // The inherited method name (`index`) would make a meaningless operation id.
  @ApiOperation({ operationId: 'getMetrics' })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Prometheus text format (`text/plain; version=0.0.4`)',
    schema: { type: 'string' },
  })
  override async index(@Res({ passthrough: true }) response: FastifyReply): Promise<string> {
    return super.index(response);
  }
}
