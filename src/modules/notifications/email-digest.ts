import type { RoomType } from '../rooms/room.entity';
import { DIGEST_MAX_ITEMS, EXCERPT_MAX_CHARS } from './notifications.constants';

/** One unread message that concerns the recipient. */
export interface DigestMessage {
  seq: number;
  senderUsername: string;
  senderDisplayName: string | null;
  content: string;
  createdAt: Date;
}

export interface DigestInput {
  recipient: { username: string; displayName: string | null };
  room: { type: RoomType; name: string | null };
  /** Any order; only the newest DIGEST_MAX_ITEMS are listed. */
  messages: readonly DigestMessage[];
  /** How many unread messages concern the recipient in all (at least `messages.length`). */
  unreadCount: number;
}

export interface Digest {
  subject: string;
  text: string;
  html: string;
  /** The highest seq the email covers: the "notified up to" marker. */
  upToSeq: number;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

/** The first `max` characters (code points, so emoji are never cut in half), with an ellipsis when cut. */
export function excerpt(content: string, max = EXCERPT_MAX_CHARS): string {
  const chars = Array.from(content.trim());
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max).join('').trimEnd()}…`;
}

/** Header-safe: user-chosen names must not smuggle line breaks (or anything else invisible) into a header. */
function oneLine(value: string, max = 120): string {
  const flat = value
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return excerpt(flat, max);
}

// Names are flattened everywhere in the email, body included: a line break in someone's display name or a room
// name would otherwise start a line of its own in another user's email ("Bcc: ..." under their name).
function senderName(message: DigestMessage): string {
  return message.senderDisplayName
    ? `${oneLine(message.senderDisplayName, 64)} (@${message.senderUsername})`
    : `@${message.senderUsername}`;
}

function shortSenderName(message: DigestMessage): string {
  return oneLine(message.senderDisplayName || message.senderUsername, 64);
}

/** `2026-05-01 14:03 UTC`: the recipient's time zone is unknown, so say which one it is. */
function formatTime(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * The email for one recipient and one room: subject, plain text and HTML (every user-supplied string escaped).
 * Lists the newest DIGEST_MAX_ITEMS messages oldest first, each cut to EXCERPT_MAX_CHARS, and counts the rest.
 */
export function buildDigest(input: DigestInput): Digest {
  if (input.messages.length === 0) throw new Error('A digest needs at least one message');
  const sorted = [...input.messages].sort((a, b) => a.seq - b.seq);
  const listed = sorted.slice(-DIGEST_MAX_ITEMS);
  const newest = listed[listed.length - 1];
  const total = Math.max(input.unreadCount, sorted.length);
  const direct = input.room.type === 'direct';
  const roomLabel = direct ? 'direct message' : oneLine(input.room.name ?? 'a group', 100);
  const greeting = oneLine(input.recipient.displayName || input.recipient.username, 64);

  const subject = oneLine(
    direct
      ? total === 1
        ? `${shortSenderName(newest)} sent you a message`
        : `${shortSenderName(newest)} sent you ${total} messages`
      : total === 1
        ? `${shortSenderName(newest)} mentioned you in ${roomLabel}`
        : `${total} new mentions in ${roomLabel}`,
    150,
  );
  const intro = direct
    ? `You have ${plural(total, 'unread message', 'unread messages')} in a direct message from ${shortSenderName(newest)}.`
    : `You were mentioned in ${plural(total, 'unread message', 'unread messages')} in ${roomLabel}.`;
  const more =
    total > listed.length
      ? `Showing the latest ${listed.length} of ${total}; the rest are waiting in Parley.`
      : null;
  const footer =
    'You get this email because you were offline. To stop these emails, set notifications.email to false in your Parley settings.';

  const text = [
    `Hi ${greeting},`,
    '',
    intro,
    '',
    ...listed.flatMap((message) => [
      `${senderName(message)} in ${roomLabel}, ${formatTime(message.createdAt)}:`,
      excerpt(message.content),
      '',
    ]),
    ...(more ? [more, ''] : []),
    footer,
    '',
  ].join('\n');

  const items = listed
    .map(
      (message) =>
        `<li style="margin:0 0 12px"><strong>${escapeHtml(senderName(message))}</strong>` +
        ` <span style="color:#666">in ${escapeHtml(roomLabel)}, ${formatTime(message.createdAt)}</span>` +
        `<div style="white-space:pre-wrap">${escapeHtml(excerpt(message.content))}</div></li>`,
    )
    .join('\n');
  const html = [
    '<!doctype html>',
    '<html><body style="font-family:sans-serif;line-height:1.4">',
    `<p>Hi ${escapeHtml(greeting)},</p>`,
    `<p>${escapeHtml(intro)}</p>`,
    `<ul style="list-style:none;padding:0">\n${items}\n</ul>`,
    ...(more ? [`<p>${escapeHtml(more)}</p>`] : []),
    `<p style="color:#666;font-size:small">${escapeHtml(footer)}</p>`,
    '</body></html>',
    '',
  ].join('\n');

  return { subject, text, html, upToSeq: newest.seq };
}
