import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import type { DeliveryOutcome, EmailDigestService } from './email-digest.service';
import { EMAIL_DIGEST_JOB, NOTIFICATIONS_QUEUE, type EmailDigestJob } from './notifications.constants';

/**
 * The worker, on whichever instance picks the job up. It exists only where email is on (see the module): an
 * instance without SMTP_URL must not take jobs that other instances queued and then drop them.
 */
@Processor(NOTIFICATIONS_QUEUE)
export class NotificationsProcessor {
  constructor(private readonly digests: EmailDigestService) {}

  @Process(EMAIL_DIGEST_JOB)
  deliver(job: Job<EmailDigestJob>): Promise<DeliveryOutcome> {
    return this.digests.deliver(job.data);
  }
}
