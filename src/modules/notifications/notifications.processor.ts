import { OnQueueFailed, Process, Processor } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import type { Job } from 'bull';
import type { DeliveryOutcome, EmailDigestService } from './email-digest.service';
import { EMAIL_DIGEST_JOB, NOTIFICATIONS_QUEUE, type EmailDigestJob } from './notifications.constants';

/**
 * The worker, on whichever instance picks the job up. It exists only where email is on (see the module): an
 * instance without SMTP_URL must not take jobs that other instances queued and then drop them.
 */
@Processor(NOTIFICATIONS_QUEUE)
export class NotificationsProcessor {
  private readonly logger = new Logger('Notifications');

  constructor(private readonly digests: EmailDigestService) {}

  @Process(EMAIL_DIGEST_JOB)
  deliver(job: Job<EmailDigestJob>): Promise<DeliveryOutcome> {
    return this.digests.deliver(job.data);
  }

  /**
   * A send that failed (the SMTP server refused or was unreachable): a warning while it will be retried, an error
   * once it is given up. Only the error's message is logged: it names the server's reply or its host, never the
   * credentials in SMTP_URL. (Failures were visible only in Redis before.)
   */
  @OnQueueFailed()
  reportFailure(job: Job<EmailDigestJob>, error: Error): void {
    const attempts = job.opts.attempts ?? 1;
    const details = {
      jobId: job.id,
      roomId: job.data.roomId,
      recipientId: job.data.recipientId,
      attempt: job.attemptsMade,
      attempts,
      reason: error.message,
    };
    if (job.attemptsMade >= attempts) this.logger.error(details, 'Notification email not sent; giving up');
    else this.logger.warn(details, 'Notification email not sent; it will be retried');
  }
}
