import { BeforeApplicationShutdown, Inject, Logger } from '@nestjs/common';
import {
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  WebSocketGateway,
} from '@nestjs/websockets';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Counter, Gauge } from 'prom-client';
import { AppException } from '../../common/errors/app-exception';
import { ErrorCode } from '../../common/errors/error-codes';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import { TokenService } from '../auth/token.service';
import type { MessageDto } from '../messages/messages.dto';
import { MessagesService } from '../messages/messages.service';
import { METRIC } from '../metrics/metrics.constants';
import { RoomsService } from '../rooms/rooms.service';
import { PresenceRelay } from './presence.relay';
import { type AppServer, type AppSocket, type ClientEventName, type SyncResult } from './realtime.events';
import { Ack, ackFail, ackOk, toAckError } from './socket-ack';
import { handshakeToken, tokenExpiresAt } from './socket-handshake';
import { conversationIdsOf, conversationRoom, sessionRoom, userRoom } from './socket-rooms';
import {
  validateRoomEvent,
  validateRoomPosition,
  validateSendMessage,
  validateSync,
} from './socket-validation';
import { SocketPublisher } from './socket.publisher';
import { TokenBucket } from './token-bucket';
import { TypingTracker } from './typing-tracker';
import { SyncService } from './sync.service';

/** "is typing" holds this long without a refresh; clients refresh every few seconds while typing. */
export const TYPING_TTL_MS = 6_000;

/** How often sockets whose access token has expired are looked for (one sweep instead of a timer per socket). */
export const EXPIRY_SWEEP_MS = 1_000;

type Empty = Record<string, never>;
const EMPTY: Empty = {};

type EventHandler = (socket: AppSocket, payload: unknown) => Promise<unknown>;
type Reply = (response: Ack<unknown>) => void;

/**
 * The Socket.IO edge: authenticates the handshake, puts the socket into its rooms, validates each event and hands it
 * to the same services REST uses. Broadcasts of stored changes do not start here: services publish domain events
 * after commit and SocketPublisher fans them out, so REST and socket writes look the same to every client.
 *
 * Client events do not go through @SubscribeMessage: Nest would register a listener closure per event and socket
 * and run each event through its context pipeline and RxJS. One middleware per socket (registered at the handshake)
 * rate-limits, refuses unknown events and calls the handler from the table below; it never passes an event on.
 */
@WebSocketGateway()
export class RealtimeGateway
  implements
    OnGatewayInit<AppServer>,
    OnGatewayConnection<AppSocket>,
    OnGatewayDisconnect<AppSocket>,
    BeforeApplicationShutdown
{
  private readonly logger = new Logger('Realtime');
  private readonly typing: TypingTracker;
  private readonly handlers: ReadonlyMap<string, EventHandler>;
  /** One listener for every socket (`this` is the socket): presence needs the rooms, which are gone at `disconnect`. */
  private readonly onDisconnecting: (this: AppSocket) => void;
  private server?: AppServer;
  private expirySweep?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tokens: TokenService,
    private readonly messages: MessagesService,
    private readonly rooms: RoomsService,
    private readonly sync: SyncService,
    private readonly presence: PresenceRelay,
    private readonly publisher: SocketPublisher,
    @InjectMetric(METRIC.socketsActive) private readonly socketsActive: Gauge,
    @InjectMetric(METRIC.socketEvents) private readonly socketEvents: Counter<'event'>,
  ) {
    this.typing = new TypingTracker(TYPING_TTL_MS, ({ roomId, userId }) =>
      this.publisher.typing({ roomId, userId, isTyping: false }),
    );
    const handlers: Record<ClientEventName, EventHandler> = {
      'message:send': (socket, payload) => this.sendMessage(socket, payload),
      'room:delivered': (socket, payload) => this.markDelivered(socket, payload),
      'room:read': (socket, payload) => this.markRead(socket, payload),
      'typing:start': (socket, payload) => this.startTyping(socket, payload),
      'typing:stop': (socket, payload) => this.stopTyping(socket, payload),
      sync: (socket, payload) => this.syncRooms(socket, payload),
    };
    this.handlers = new Map(Object.entries(handlers));
    const relay = this.presence;
    const logger = this.logger;
    this.onDisconnecting = function (this: AppSocket) {
      const user = this.data.user;
      relay.disconnected(user.id, this.id, conversationIdsOf(this.rooms)).catch((error: unknown) => {
        logger.warn({ err: error, userId: user.id }, 'Could not record presence on disconnect');
      });
    };
  }

  afterInit(server: AppServer): void {
    this.server = server;
    this.publisher.attach(server);
    server.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (error: unknown) => next(this.handshakeError(error)),
      );
    });
    this.expirySweep = setInterval(() => this.closeExpired(), EXPIRY_SWEEP_MS);
    this.expirySweep.unref();
  }

  handleConnection(socket: AppSocket): void {
    this.socketsActive.inc();
    // A revocation announced while the handshake ran (after its token check) missed this socket: disconnectSockets
    // only reaches connected sockets. Checked again now that it is reachable: a later revocation finds it, an
    // earlier one has already written the tombstone this reads.
    this.tokens.isSessionActive(socket.data.user).then(
      (active) => {
        if (!active) socket.disconnect(true);
      },
      (error: unknown) => {
        this.logger.warn(
          { err: error, userId: socket.data.user.id },
          'Could not recheck a new socket session',
        );
      },
    );
    this.presence
      .connected(socket.data.user.id, socket.id, conversationIdsOf(socket.rooms))
      .catch((error: unknown) => {
        this.logger.warn({ err: error, userId: socket.data.user.id }, 'Could not record presence on connect');
      });
  }

  handleDisconnect(socket: AppSocket): void {
    this.socketsActive.dec();
    for (const stopped of this.typing.dropSocket(socket.id)) {
      this.publisher.typing({ ...stopped, isTyping: false });
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.typing.clear();
    if (this.expirySweep) clearInterval(this.expirySweep);
    await this.presence.releaseAll().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'Could not release presence at shutdown');
    });
  }

  private sendMessage(socket: AppSocket, payload: unknown): Promise<MessageDto> {
    const { roomId, ...dto } = validateSendMessage(payload);
    return this.messages.send(socket.data.user.id, roomId, dto).then(({ message }) => message);
  }

  private async markDelivered(socket: AppSocket, payload: unknown): Promise<Empty> {
    const { roomId, seq } = validateRoomPosition(payload);
    await this.rooms.markDelivered(socket.data.user.id, roomId, seq);
    return EMPTY;
  }

  private async markRead(socket: AppSocket, payload: unknown): Promise<Empty> {
    const { roomId, seq } = validateRoomPosition(payload);
    await this.rooms.markRead(socket.data.user.id, roomId, seq);
    return EMPTY;
  }

  private async startTyping(socket: AppSocket, payload: unknown): Promise<Empty> {
    const { roomId } = validateRoomEvent(payload);
    const userId = socket.data.user.id;
    // Members only, and nobody "types" across a block: checked on every refresh too, so typing removed from the
    // room or blocked by the direct peer mid-sentence stops there (the room hears isTyping false) instead of
    // staying up for as long as the client keeps refreshing.
    try {
      await this.rooms.assertCanWrite(userId, roomId);
    } catch (error) {
      if (this.typing.stop(roomId, userId)) this.publisher.typing({ roomId, userId, isTyping: false });
      throw error;
    }
    if (this.typing.start(roomId, userId, socket.id)) {
      this.publisher.typing({ roomId, userId, isTyping: true });
    }
    return EMPTY;
  }

  private async stopTyping(socket: AppSocket, payload: unknown): Promise<Empty> {
    const { roomId } = validateRoomEvent(payload);
    const userId = socket.data.user.id;
    if (this.typing.stop(roomId, userId)) this.publisher.typing({ roomId, userId, isTyping: false });
    // Stopping what was never started is answered like any other event about a room: ROOM_NOT_FOUND unless a
    // member (typing that did start was a member's, and stopping it is always allowed).
    else await this.rooms.assertMember(userId, roomId);
    return EMPTY;
  }

  private syncRooms(socket: AppSocket, payload: unknown): Promise<SyncResult> {
    const { rooms } = validateSync(payload);
    return this.sync.changesSince(socket.data.user.id, rooms);
  }

  /** Verifies the token and joins the socket's rooms before `connection`, so no event can arrive before them. */
  private async authenticate(socket: AppSocket): Promise<void> {
    const token = handshakeToken(socket.handshake.auth);
    if (!token) throw AppException.unauthorized();
    const user = await this.tokens.verifyAccessToken(token);
    // In a reconnect storm, clients give up on handshakes the server has not reached yet. Socket.IO drops a socket
    // whose connection closed during the middleware (the same check), so skip its database read and joins.
    if (socket.conn.readyState !== 'open') return;
    socket.data.user = user;
    socket.data.expiresAt = tokenExpiresAt(token);
    // The user room first: a membership change published from now on reaches this socket through it.
    await socket.join([userRoom(user.id), sessionRoom(user.sessionId)]);
    const roomIds = await this.rooms.roomIdsForUser(user.id);
    if (roomIds.length > 0) await socket.join(roomIds.map(conversationRoom));
    const bucket = new TokenBucket(this.config.socket.eventsPerSecond, this.config.socket.eventsPerSecond);
    socket.use((packet) => this.dispatch(socket, bucket, packet));
    socket.on('disconnecting', this.onDisconnecting);
  }

  /**
   * Every client event: counted, rate-limited, then answered by its handler. The handler's result (or error, in
   * the contract's shape) goes to the acknowledgement callback when the client sent one; without one the event is
   * processed the same way and its result dropped.
   */
  private dispatch(socket: AppSocket, bucket: TokenBucket, [event, ...args]: unknown[]): void {
    const last = args.at(-1);
    const reply = typeof last === 'function' ? (last as Reply) : undefined;
    if (reply) args.pop();
    const handler = typeof event === 'string' ? this.handlers.get(event) : undefined;
    this.socketEvents.inc({ event: handler ? (event as string) : 'unknown' });
    if (!bucket.tryTake()) {
      reply?.(
        ackFail({
          code: ErrorCode.RATE_LIMITED,
          message: 'Too many events, slow down',
          retryAfterMs: bucket.retryAfterMs(),
        }),
      );
      return;
    }
    if (!handler) {
      reply?.(ackFail({ code: ErrorCode.BAD_REQUEST, message: `Unknown event "${String(event)}"` }));
      return;
    }
    // One argument is the payload; several are refused like any payload that is not an object.
    const payload = args.length === 1 ? args[0] : args.length === 0 ? undefined : args;
    this.respond(socket, event as ClientEventName, () => handler(socket, payload))
      .then(reply)
      .catch((error: unknown) =>
        this.logger.error({ err: error, event }, 'Could not acknowledge a socket event'),
      );
  }

  /** Closes sockets whose access token has expired: a socket must not outlive the token that opened it. */
  private closeExpired(): void {
    if (!this.server) return;
    const now = Date.now();
    for (const socket of this.server.of('/').sockets.values()) {
      const expiresAt = socket.data.expiresAt;
      // The client reconnects with a fresh token (and `sync`s what it missed).
      if (expiresAt !== undefined && expiresAt <= now) socket.disconnect(true);
    }
  }

  /** connect_error `message` is the contract's code: UNAUTHORIZED for any token problem. */
  private handshakeError(error: unknown): Error {
    if (error instanceof AppException && error.status === 401) return new Error(ErrorCode.UNAUTHORIZED);
    const { ack, unexpected } = toAckError(error);
    if (unexpected) this.logger.error({ err: error }, 'Socket handshake failed');
    return new Error(ack.ok ? ErrorCode.INTERNAL_ERROR : ack.error.code);
  }

  private async respond<T>(
    socket: AppSocket,
    event: ClientEventName,
    work: () => Promise<T>,
  ): Promise<Ack<T>> {
    try {
      return ackOk(await work());
    } catch (error) {
      const { ack, unexpected } = toAckError(error);
      if (unexpected) {
        this.logger.error(
          { err: error, event, userId: socket.data.user.id, socketId: socket.id },
          `Socket event ${event} failed`,
        );
      }
      return ack;
    }
  }
}
