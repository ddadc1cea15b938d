import '../../common/events/domain-events';
import type { RoomRole } from './room-member.entity';
import type { RoomDto } from './rooms.dto';

/** A room as every member sees it (no viewer-relative fields). */
export type RoomEventDto = Omit<RoomDto, 'myRole' | 'peerId'>;

declare module '../../common/events/domain-events' {
  interface DomainEventMap {
    /** A room was created; `memberIds` are all its members (the creator included). */
    'room.created': { room: RoomEventDto; memberIds: string[] };
    /** Name or description changed. */
    'room.updated': { room: RoomEventDto; memberIds: string[] };
    /** The room was deleted; `memberIds` are the members it had. */
    'room.deleted': { roomId: string; memberIds: string[] };
    /** `userIds` joined; `memberIds` are all members after the change. */
    'member.added': { roomId: string; userIds: string[]; memberIds: string[] };
    /** `userId` left or was removed (they lose access at once); `memberIds` are the remaining members. */
    'member.removed': { roomId: string; userId: string; memberIds: string[] };
    'member.updated': { roomId: string; userId: string; role: RoomRole };
    /** `userId`'s read position moved forward to `seq` (published only when it moved). */
    'room.read': { roomId: string; userId: string; seq: number };
    /** `userId`'s delivered position moved forward to `seq` (published only when it moved). */
    'room.delivered': { roomId: string; userId: string; seq: number };
  }
}
