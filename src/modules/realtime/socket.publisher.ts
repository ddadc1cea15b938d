import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Histogram } from 'prom-client';
import { DomainEvents } from '../../common/events/domain-events';
import '../auth/auth.events';
import '../messages/messages.events';
import { METRIC } from '../metrics/metrics.constants';
import '../rooms/rooms.events';
import '../users/users.events';
import type { AppServer, PresenceEvent, ServerToClientEvents, TypingEvent } from './realtime.events';
import { roomCreatedFor } from './room-view';
import { fence } from './socket-fence';
import { conversationRoom, sessionRoom, userRoom } from './socket-rooms';

type EventName = keyof ServerToClientEvents;
type EventArgs<E extends EventName> = Parameters<ServerToClientEvents[E]>;

/**
 * The one place that turns stored changes into socket events. Services publish domain events after their
 * transaction commits, on the instance that committed; this emits each exactly once from there, addressed to
 * Socket.IO rooms, and the Redis adapter delivers to sockets on every instance. A member socket is in its
 * conversation room once, so a room-addressed event reaches it once; what is also sent per user (an edit's view
 * for its reactors) is excepted from the room-addressed emit. Membership changes move sockets between rooms and
 * resolve once every instance has done so (a fence): their services wait for that before they answer.
 */
@Injectable()
export class SocketPublisher implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('SocketPublisher');
  private server?: AppServer;
  private readonly unsubscribers: Array<() => void> = [];

  constructor(
    private readonly events: DomainEvents,
    @InjectMetric(METRIC.deliveryLag) private readonly deliveryLag: Histogram,
  ) {}

  /** Called by the gateway once Socket.IO is up; events before that have no sockets to reach. */
  attach(server: AppServer): void {
    this.server = server;
  }

  onModuleInit(): void {
    const on = this.events.subscribe.bind(this.events);
    this.unsubscribers.push(
      on('message.created', ({ message, committedAt }) => {
        this.toRooms([conversationRoom(message.roomId)], 'message:created', message);
        this.deliveryLag.observe(Math.max(0, Date.now() - committedAt) / 1000);
      }),
      on('message.updated', ({ message, reactors }) => {
        // `reactions[].me` differs per reader: the room gets the plain view except the reactors' sockets, and each
        // group of reactors its own. The adapter applies `except` on every instance: one event per socket.
        const reactorRooms = reactors.flatMap((group) => group.userIds.map(userRoom));
        this.server
          ?.to(conversationRoom(message.roomId))
          .except(reactorRooms)
          .emit('message:updated', message);
        for (const group of reactors) {
          this.toRooms(group.userIds.map(userRoom), 'message:updated', group.message);
        }
      }),
      on('message.deleted', (event) =>
        this.toRooms([conversationRoom(event.roomId)], 'message:deleted', event),
      ),
      on('reaction.added', (event) =>
        this.toRooms([conversationRoom(event.roomId)], 'reaction:added', event),
      ),
      on('reaction.removed', (event) =>
        this.toRooms([conversationRoom(event.roomId)], 'reaction:removed', event),
      ),
      on('room.delivered', (event) =>
        this.toRooms([conversationRoom(event.roomId)], 'room:delivered', event),
      ),
      on('room.read', (event) => this.toRooms([conversationRoom(event.roomId)], 'room:read', event)),
      on('room.created', ({ room, memberIds }) => {
        this.join(memberIds, room.id);
        if (room.type !== 'direct') {
          this.toRooms(memberIds.map(userRoom), 'room:created', roomCreatedFor(room, memberIds, ''));
        } else {
          // Each person of a direct room is told who the other one is.
          for (const memberId of memberIds) {
            this.toRooms([userRoom(memberId)], 'room:created', roomCreatedFor(room, memberIds, memberId));
          }
        }
        return fence(this.server);
      }),
      on('room.updated', ({ room }) => this.toRooms([conversationRoom(room.id)], 'room:updated', room)),
      on('room.deleted', ({ roomId, memberIds }) => {
        this.toRooms([conversationRoom(roomId), ...memberIds.map(userRoom)], 'room:deleted', { roomId });
        this.server?.in(conversationRoom(roomId)).socketsLeave(conversationRoom(roomId));
        return fence(this.server);
      }),
      on('member.added', ({ roomId, userIds }) => {
        // Join first: the adapter applies operations in order on every instance, so the new members' sockets
        // are in the room before this event and any later message reaches them.
        this.join(userIds, roomId);
        this.toRooms([conversationRoom(roomId)], 'member:added', { roomId, userIds });
        return fence(this.server);
      }),
      on('member.removed', ({ roomId, userId }) => {
        // The removed user hears it too (through their user room), then their sockets leave.
        this.toRooms([conversationRoom(roomId), userRoom(userId)], 'member:removed', { roomId, userId });
        this.server?.in(userRoom(userId)).socketsLeave(conversationRoom(roomId));
        return fence(this.server);
      }),
      on('member.updated', (event) =>
        this.toRooms([conversationRoom(event.roomId)], 'member:updated', event),
      ),
      // Revocation: access tokens of these sessions already fail; drop their live sockets on every instance.
      on('session.revoked', ({ sessionIds }) => {
        if (sessionIds.length > 0) this.server?.in(sessionIds.map(sessionRoom)).disconnectSockets(true);
      }),
      on('user.disabled', ({ userId }) => this.server?.in(userRoom(userId)).disconnectSockets(true)),
    );
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }

  /** `typing` to the room's other members: not to any socket of the typist (their other devices included). */
  typing(event: TypingEvent): void {
    this.server?.to(conversationRoom(event.roomId)).except(userRoom(event.userId)).emit('typing', event);
  }

  /**
   * `presence` to everyone who shares a room with the user. One emit to all those rooms: Socket.IO unions them, so a
   * user sharing several rooms gets it once per socket.
   */
  presence(roomIds: readonly string[], event: PresenceEvent): void {
    if (roomIds.length === 0) return;
    this.server?.to(roomIds.map(conversationRoom)).except(userRoom(event.userId)).emit('presence', event);
  }

  private join(userIds: readonly string[], roomId: string): void {
    if (userIds.length > 0) this.server?.in(userIds.map(userRoom)).socketsJoin(conversationRoom(roomId));
  }

  /** Never called with an empty list: `to([])` would mean "everyone". */
  private toRooms<E extends EventName>(rooms: string[], event: E, ...args: EventArgs<E>): void {
    if (!this.server || rooms.length === 0) return;
    this.server.to(rooms).emit(event, ...args);
  }
}
