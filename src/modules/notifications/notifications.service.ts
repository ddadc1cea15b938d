import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { JobOptions, Queue } from 'bull';
import { DomainEvents } from '../../common/events/domain-events';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import type { MessageDto } from '../messages/messages.dto';
import '../messages/messages.events';
import { smtpHost } from './mailer';
import { EMAIL_DIGEST_JOB, NOTIFICATIONS_QUEUE, type EmailDigestJob } from './notifications.constants';
import { NotificationsRepository, type RoomAudience } from './notifications.repository';
import { selectRecipients } from './recipients';

// A room's type and a direct room's two members never change, so they are remembered (bounded) instead of
// being read again for every message.
const AUDIENCE_CACHE_SIZE = 10_000;

// SMTP outages last minutes, not seconds: six tries spread over about five minutes.
const RETRY: JobOptions = { attempts: 6, backoff: { type: 'exponential', delay: 10_000 } };

/**
 * Producer side: turns every stored message into delayed email jobs for the people it concerns. Whether an
 * email is still needed (online, read meanwhile, opted out...) is decided when the job runs, not here.
 */
@Injectable()
export class NotificationsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Notifications');
  private readonly audiences = new Map<string, RoomAudience>();
  private unsubscribe?: () => void;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: DomainEvents,
    private readonly repository: NotificationsRepository,
    @InjectQueue(NOTIFICATIONS_QUEUE) private readonly queue: Queue<EmailDigestJob>,
  ) {}

  onModuleInit(): void {
    const { smtpUrl, delaySeconds } = this.config.notifications;
    if (!smtpUrl) {
      this.logger.log('Email notifications are off (SMTP_URL is empty)');
      return;
    }
    this.logger.log(`Email notifications on: SMTP ${smtpHost(smtpUrl)}, ${delaySeconds} s after a message`);
    this.unsubscribe = this.events.subscribe('message.created', ({ message }) => this.enqueueFor(message));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** One job per recipient; the job id makes a repeated enqueue of the same (message, recipient) a no-op. */
  async enqueueFor(message: MessageDto): Promise<void> {
    const room = await this.audienceOf(message.roomId);
    if (!room) return;
    const recipients = selectRecipients(message, { type: room.type, memberIds: room.directMemberIds });
    const delay = this.config.notifications.delaySeconds * 1000;
    await Promise.all(
      recipients.map((recipientId) =>
        this.queue.add(
          EMAIL_DIGEST_JOB,
          { messageId: message.id, roomId: message.roomId, seq: message.seq, recipientId },
          { ...RETRY, jobId: `${message.id}:${recipientId}`, delay },
        ),
      ),
    );
  }

  private async audienceOf(roomId: string): Promise<RoomAudience | null> {
    const cached = this.audiences.get(roomId);
    if (cached) return cached;
    const audience = await this.repository.findRoomAudience(roomId);
    if (!audience) return null;
    if (this.audiences.size >= AUDIENCE_CACHE_SIZE) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = this.audiences.keys().next();
      if (!oldest.done) this.audiences.delete(oldest.value);
    }
    this.audiences.set(roomId, audience);
    return audience;
  }
}
