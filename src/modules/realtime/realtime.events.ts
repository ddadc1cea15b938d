import type { Server, Socket } from 'socket.io';
import type { AuthUser } from '../auth/auth-user';
import type { MessageDto } from '../messages/messages.dto';
import type { RoomChangesDto } from '../rooms/rooms.dto';
import type { RoomEventDto } from '../rooms/rooms.events';
import type { RoomCreatedView } from './room-view';
import type { Ack } from './socket-ack';

/** `message:deleted`: the message is now a tombstone at the same `seq`. */
export interface MessageDeletedEvent {
  id: string;
  roomId: string;
  seq: number;
  rev: number;
}

/** `reaction:added` / `reaction:removed`. */
export interface ReactionEvent {
  messageId: string;
  roomId: string;
  rev: number;
  emoji: string;
  userId: string;
}

/** `room:delivered` / `room:read`: `userId` has received (read) everything up to `seq`. */
export interface RoomPositionEvent {
  roomId: string;
  userId: string;
  seq: number;
}

export interface TypingEvent {
  roomId: string;
  userId: string;
  isTyping: boolean;
}

export interface PresenceEvent {
  userId: string;
  status: 'online' | 'offline';
  /** ISO-8601: now for `online`, the moment the last connection closed for `offline`. */
  lastSeenAt: string;
}

export interface MemberAddedEvent {
  roomId: string;
  userIds: string[];
}

export interface MemberRemovedEvent {
  roomId: string;
  userId: string;
}

export interface MemberUpdatedEvent {
  roomId: string;
  userId: string;
  role: string;
}

export interface RoomDeletedEvent {
  roomId: string;
}

export interface SyncResult {
  /** Per requested room the changes after the given revision; rooms the caller cannot see are left out. */
  rooms: Record<string, RoomChangesDto>;
  /** Requested room ids left out of `rooms` because the caller is not (or no longer) a member, or they are gone. */
  unavailable: string[];
}

/** Server -> client events (API.md, Socket.IO). */
export interface ServerToClientEvents {
  'message:created': (message: MessageDto) => void;
  'message:updated': (message: MessageDto) => void;
  'message:deleted': (event: MessageDeletedEvent) => void;
  'reaction:added': (event: ReactionEvent) => void;
  'reaction:removed': (event: ReactionEvent) => void;
  'room:delivered': (event: RoomPositionEvent) => void;
  'room:read': (event: RoomPositionEvent) => void;
  'room:created': (room: RoomCreatedView) => void;
  'room:updated': (room: RoomEventDto) => void;
  'room:deleted': (event: RoomDeletedEvent) => void;
  'member:added': (event: MemberAddedEvent) => void;
  'member:removed': (event: MemberRemovedEvent) => void;
  'member:updated': (event: MemberUpdatedEvent) => void;
  typing: (event: TypingEvent) => void;
  presence: (event: PresenceEvent) => void;
}

type AckFn<T> = (ack: Ack<T>) => void;

/** Client -> server events; payloads arrive unvalidated (`unknown`) and are validated in the gateway. */
export interface ClientToServerEvents {
  'message:send': (payload: unknown, ack: AckFn<MessageDto>) => void;
  'room:delivered': (payload: unknown, ack: AckFn<Record<string, never>>) => void;
  'room:read': (payload: unknown, ack: AckFn<Record<string, never>>) => void;
  'typing:start': (payload: unknown, ack: AckFn<Record<string, never>>) => void;
  'typing:stop': (payload: unknown, ack: AckFn<Record<string, never>>) => void;
  sync: (payload: unknown, ack: AckFn<SyncResult>) => void;
}

export type ClientEventName = keyof ClientToServerEvents;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface InterServerEvents {}

/** What the handshake puts on every socket. */
export interface SocketData {
  user: AuthUser;
  /** Access token expiry (epoch ms): the socket is closed then (within RealtimeGateway's EXPIRY_SWEEP_MS). */
  expiresAt?: number;
}

export type AppServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
