/**
 * Names of the Socket.IO rooms (adapter rooms, not chat rooms) every socket is put in. Anything addressed to a
 * room name reaches the matching sockets on every instance through the Redis adapter.
 */

/** All sockets of one user, on any instance. */
export const userRoom = (userId: string): string => `user:${userId}`;

/** All sockets opened with one session's access tokens, so revoking a session can drop exactly those. */
export const sessionRoom = (sessionId: string): string => `session:${sessionId}`;

const CONVERSATION_PREFIX = 'room:';

/** All sockets of all members of one conversation. */
export const conversationRoom = (roomId: string): string => `${CONVERSATION_PREFIX}${roomId}`;

/** The conversation ids among a socket's rooms. */
export function conversationIdsOf(rooms: Iterable<string>): string[] {
  return [...rooms]
    .filter((room) => room.startsWith(CONVERSATION_PREFIX))
    .map((room) => room.slice(CONVERSATION_PREFIX.length));
}
