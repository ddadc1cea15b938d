import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { Public } from '../../common/http/public.decorator';

/**
 * Prometheus scrape endpoint; kept out of the OpenAPI document (it is not part of the SDK surface). Public like
 * the contract says: scrapers carry no token, so keep /metrics off the public network (the nginx config denies it).
 */
@ApiExcludeController()
@Public()
@Controller()
export class MetricsController extends PrometheusController {
  @Get()
  override async index(@Res({ passthrough: true }) response: FastifyReply): Promise<string> {
    return super.index(response);
  }
}
