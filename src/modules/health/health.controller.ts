import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AppException } from '../../common/errors/app-exception';
import { ApiErrors } from '../../common/http/api-errors';
import { Public } from '../../common/http/public.decorator';
import { LivenessDto, ReadinessDto } from './health.dto';
import { HealthService } from './health.service';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** Liveness: answers while the process runs, whatever its dependencies do. */
  @Get()
  getLiveness(): LivenessDto {
    return { status: 'ok' };
  }

  /** Readiness: 200 when PostgreSQL, Redis and the queues answer; 503 naming each failing part otherwise. */
  @Get('ready')
  @ApiErrors({ 503: { SERVICE_UNAVAILABLE: 'A dependency is down; `details` names each failing part' } })
  async getReadiness(): Promise<ReadinessDto> {
    const results = await this.health.check();
    const failing = results.filter((result) => !result.up);
    if (failing.length > 0) {
      throw new AppException(
        503,
        'SERVICE_UNAVAILABLE',
        `Not ready: ${failing.map((result) => result.name).join(', ')} unavailable`,
        failing.map((result) => ({ field: result.name, message: result.error ?? 'down' })),
      );
    }
    return {
      status: 'ok',
      checks: Object.fromEntries(results.map((result) => [result.name, 'up' as const])),
    };
  }
}
