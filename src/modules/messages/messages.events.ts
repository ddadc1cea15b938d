import '../../common/events/domain-events';
import type { MessageDto } from './messages.dto';

declare module '../../common/events/domain-events' {
  interface DomainEventMap {
    /**
     * A message was stored (never for an idempotent resend). `reactions` is empty and viewer-free (`me` false);
     * `committedAt` is Date.now() right after the commit, for delivery-lag metrics.
     */
    'message.created': { message: MessageDto; committedAt: number };
    /**
     * A message was edited. `message` is what members who did not react see (every `reactions[].me` false);
     * `reactors` holds the current members who reacted, one entry per distinct set of emojis, with the message as
     * they see it. Reactors who left the room are in neither.
     */
    'message.updated': { message: MessageDto; reactors: Array<{ userIds: string[]; message: MessageDto }> };
    /** A message became a tombstone; `rev` is the revision of that change. */
    'message.deleted': { id: string; roomId: string; seq: number; rev: number };
    'reaction.added': { messageId: string; roomId: string; rev: number; emoji: string; userId: string };
    'reaction.removed': { messageId: string; roomId: string; rev: number; emoji: string; userId: string };
  }
}
