import { Injectable, Logger } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Counter } from 'prom-client';
import { METRIC } from '../metrics/metrics.constants';
import { PresenceStore } from '../users/presence.store';
import { skipReason, type SkipReason } from './delivery-rules';
import { buildDigest } from './email-digest';
import { Mailer } from './mailer';
import { DIGEST_MAX_ITEMS, type EmailDigestJob } from './notifications.constants';
import { NotificationsRepository } from './notifications.repository';
import { NotifiedMarkers } from './notified-markers';

export type DeliveryOutcome = { sent: true; upToSeq: number } | { sent: false; reason: SkipReason };

/**
 * Runs one notification job: decides, at send time, whether the recipient still needs to hear about the
 * message, and if so mails one digest of everything unread in that room that concerns them.
 */
@Injectable()
export class EmailDigestService {
  private readonly logger = new Logger('EmailDigests');

  constructor(
    private readonly repository: NotificationsRepository,
    private readonly presence: PresenceStore,
    private readonly markers: NotifiedMarkers,
    private readonly mailer: Mailer,
    @InjectMetric(METRIC.notificationsSent) private readonly sent: Counter,
    @InjectMetric(METRIC.notificationsSkipped) private readonly skipped: Counter<'reason'>,
  ) {}

  async deliver(job: EmailDigestJob): Promise<DeliveryOutcome> {
    const outcome = await this.attempt(job);
    if (outcome.sent) this.sent.inc();
    else this.skipped.inc({ reason: outcome.reason });
    return outcome;
  }

  private async attempt(job: EmailDigestJob): Promise<DeliveryOutcome> {
    const { recipientId, roomId, seq } = job;
    // Cheapest check first: most jobs of a burst were covered by the burst's first email.
    const notifiedUpTo = await this.markers.notifiedUpTo(recipientId, roomId);
    if (notifiedUpTo >= seq) return skip('already_notified');

    const context = await this.repository.findRecipientContext(recipientId, roomId, job.messageId);
    if (!context) return skip('recipient_deleted');
    const reason = skipReason(context, seq);
    if (reason || context.email === null) return skip(reason ?? 'recipient_deleted');
    if (await this.presence.isOnline(recipientId)) return skip('online');

    const unread = await this.repository.findUnreadConcerning(
      roomId,
      recipientId,
      context.lastReadSeq ?? 0,
      context.roomType === 'direct',
      DIGEST_MAX_ITEMS,
    );
    // E.g. the mention was edited away: only messages an earlier email covered are left, so stay quiet.
    if (!unread.messages.some((message) => message.seq > notifiedUpTo)) return skip('nothing_unread');
    const digest = buildDigest({
      recipient: { username: context.username, displayName: context.displayName },
      room: { type: context.roomType ?? 'group', name: context.roomName },
      messages: unread.messages,
      unreadCount: unread.total,
    });

    // The job's own seq is covered too, so a second run of it is turned away whatever the digest listed.
    const claim = await this.markers.claim(recipientId, roomId, seq, Math.max(seq, digest.upToSeq));
    if (!claim) return skip('already_notified');
    try {
      await this.mailer.send({
        to: { name: context.displayName || context.username, address: context.email },
        subject: digest.subject,
        text: digest.text,
        html: digest.html,
      });
    } catch (error) {
      // Give the seqs back so Bull's retry can send; the error fails the job and schedules that retry.
      await this.markers.release(recipientId, roomId, claim).catch((releaseError: unknown) => {
        this.logger.warn(
          { err: releaseError, recipientId, roomId },
          'Could not release a notification claim',
        );
      });
      throw error;
    }
    this.logger.log(
      { recipientId, roomId, seq, upToSeq: digest.upToSeq, listed: unread.messages.length },
      'Notification email sent',
    );
    return { sent: true, upToSeq: digest.upToSeq };
  }
}

function skip(reason: SkipReason): DeliveryOutcome {
  return { sent: false, reason };
}
