export const NOTIFICATIONS_QUEUE = 'notifications';

/** Job name on the notifications queue: one email digest for one recipient in one room. */
export const EMAIL_DIGEST_JOB = 'email-digest';

/** Most messages listed in one email; the rest are only counted. */
export const DIGEST_MAX_ITEMS = 20;

/** Characters of each message shown in an email. */
export const EXCERPT_MAX_CHARS = 280;

/**
 * How long the "notified up to seq" marker of a (recipient, room) lives. Longer than any retry or delay, so a
 * duplicate job cannot outlive it; after it expires an unread backlog can be mailed again, which is the point.
 */
export const NOTIFIED_MARKER_TTL_SECONDS = 7 * 86_400;

/** Payload of an EMAIL_DIGEST_JOB. */
export interface EmailDigestJob {
  messageId: string;
  roomId: string;
  seq: number;
  recipientId: string;
}
