/** Why a notification job sent nothing; the `reason` label of notifications_skipped_total. */
export type SkipReason =
  | 'recipient_deleted'
  | 'recipient_disabled'
  | 'opted_out'
  | 'left_room'
  | 'message_deleted'
  | 'sender_blocked'
  | 'already_read'
  | 'already_notified'
  | 'online'
  | 'nothing_unread';

/** What the database says about a recipient, the room and the message when the job runs. */
export interface DeliveryContext {
  /** null once the account is deleted. */
  email: string | null;
  deleted: boolean;
  disabled: boolean;
  /** `settings.notifications.email` from PATCH /users/me, whatever JSON the client stored there. */
  emailSetting: unknown;
  /** False when the room was deleted. */
  roomLive: boolean;
  /** null when the recipient is no longer a member. */
  lastReadSeq: number | null;
  /** True also when the message does not exist (any more). */
  messageDeleted: boolean;
  /** The recipient has blocked the message's sender. */
  senderBlocked: boolean;
}

/** Email is on unless the user explicitly stored `false`; anything else (missing, malformed) keeps the default. */
export function emailOptedOut(setting: unknown): boolean {
  return setting === false;
}

/** The first reason, from the database's view, not to mail the recipient about message `seq`; null to go on. */
export function skipReason(context: DeliveryContext, seq: number): SkipReason | null {
  if (context.deleted || context.email === null) return 'recipient_deleted';
  if (context.disabled) return 'recipient_disabled';
  if (emailOptedOut(context.emailSetting)) return 'opted_out';
  if (!context.roomLive || context.lastReadSeq === null) return 'left_room';
  if (context.messageDeleted) return 'message_deleted';
  if (context.senderBlocked) return 'sender_blocked';
  if (context.lastReadSeq >= seq) return 'already_read';
  return null;
}
