import { Inject, Logger } from '@nestjs/common';
import { Process, Processor } from '@nestjs/bull';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import { MAINTENANCE_QUEUE, PURGE_SESSIONS_JOB } from './maintenance.constants';
import { SessionPurgeRepository } from './session-purge.repository';

/** Works the maintenance jobs on whichever instance picks them up (one at a time across the cluster). */
@Processor(MAINTENANCE_QUEUE)
export class MaintenanceProcessor {
  private readonly logger = new Logger('Maintenance');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: SessionPurgeRepository,
  ) {}

  @Process(PURGE_SESSIONS_JOB)
  async purgeSessions(): Promise<{ sessions: number }> {
    const sessions = await this.sessions.purgeEnded({
      retentionSeconds: this.config.maintenance.sessionRetentionSeconds,
      idleTtlSeconds: this.config.sessions.idleTtlSeconds,
    });
    if (sessions > 0) this.logger.log({ sessions }, 'Purged ended sessions');
    return { sessions };
  }
}
