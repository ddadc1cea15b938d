import type { RoomType } from '../rooms/room.entity';

/**
 * Who may get an email about a new message: everyone it mentions and, in a direct room, the other member;
 * never the sender (mentioning yourself notifies nobody). Each id once, mentions first.
 */
export function selectRecipients(
  message: { senderId: string; mentions: readonly string[] },
  room: { type: RoomType; memberIds: readonly string[] },
): string[] {
  const candidates = room.type === 'direct' ? [...message.mentions, ...room.memberIds] : message.mentions;
  return [...new Set(candidates)].filter((id) => id !== message.senderId);
}
