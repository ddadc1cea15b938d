import type { RoomEventDto } from '../rooms/rooms.events';

/** `room:created` as one member receives it: the shared room plus, for a direct room, who the other person is. */
export type RoomCreatedView = RoomEventDto & { peerId: string | null };

/**
 * The room event carries no viewer-relative fields; a direct room is useless to a client without knowing its peer,
 * which follows from the member list. `myRole` is left out (GET /rooms/:id has it).
 */
export function roomCreatedFor(
  room: RoomEventDto,
  memberIds: readonly string[],
  viewerId: string,
): RoomCreatedView {
  const peerId = room.type === 'direct' ? (memberIds.find((id) => id !== viewerId) ?? null) : null;
  return { ...room, peerId };
}
