import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { MAINTENANCE_QUEUE } from './maintenance.constants';
import { MaintenanceProcessor } from './maintenance.processor';
import { MaintenanceScheduler } from './maintenance.scheduler';
import { SessionPurgeRepository } from './session-purge.repository';

/** Housekeeping that keeps tables from growing without bound, as repeating Bull jobs any instance can run. */
@Module({
  imports: [BullModule.registerQueue({ name: MAINTENANCE_QUEUE })],
  providers: [SessionPurgeRepository, MaintenanceProcessor, MaintenanceScheduler],
  exports: [BullModule],
})
export class MaintenanceModule {}
