import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import { UsersModule } from '../users/users.module';
import { EmailDigestService } from './email-digest.service';
import { Mailer } from './mailer';
import { NOTIFICATIONS_QUEUE } from './notifications.constants';
import { NotificationsProcessor } from './notifications.processor';
import { NotificationsRepository } from './notifications.repository';
import { NotificationsService } from './notifications.service';
import { NotifiedMarkers } from './notified-markers';

/**
 * Email notifications for offline users: NotificationsService turns `message.created` into queued jobs,
 * NotificationsProcessor works them. Reads users, rooms and messages; nothing depends on this module except
 * health and metrics, which use its queue.
 */
@Module({
  imports: [BullModule.registerQueue({ name: NOTIFICATIONS_QUEUE }), UsersModule],
  providers: [
    NotificationsService,
    NotificationsRepository,
    NotifiedMarkers,
    Mailer,
    EmailDigestService,
    {
      // A factory, so an instance with email off registers no worker at all (Bull's explorer finds a
      // factory-made processor through its instance, and skips a null one).
      provide: NotificationsProcessor,
      inject: [APP_CONFIG, EmailDigestService],
      useFactory: (config: AppConfig, digests: EmailDigestService) =>
        config.notifications.smtpUrl ? new NotificationsProcessor(digests) : null,
    },
  ],
  exports: [BullModule],
})
export class NotificationsModule {}
