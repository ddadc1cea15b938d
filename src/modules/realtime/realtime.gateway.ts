import { BeforeApplicationShutdown, Inject, Logger } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  SubscribeMessage,
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
import { RoomEventDto, RoomPositionEventDto, SendMessageEventDto, SyncEventDto } from './realtime.dto';
import {
  CLIENT_EVENTS,
  type AppServer,
  type AppSocket,
  type ClientEventName,
  type SyncResult,
} from './realtime.events';
import { Ack, ackFail, ackOk, toAckError } from './socket-ack';
import { handshakeToken, tokenExpiresAt } from './socket-handshake';
import { conversationIdsOf, conversationRoom, sessionRoom, userRoom } from './socket-rooms';
import { validatePayload } from './socket-validation';
import { SocketPublisher } from './socket.publisher';
import { TokenBucket } from './token-bucket';
import { TypingTracker } from './typing-tracker';
import { SyncService } from './sync.service';

/** "is typing" holds this long without a refresh; clients refresh every few seconds while typing. */
export const TYPING_TTL_MS = 6_000;

/** setTimeout's ceiling (about 24.8 days); tokens live far shorter, this only guards the arithmetic. */
const MAX_TIMER_MS = 2_147_483_647;

type Empty = Record<string, never>;
const EMPTY: Empty = {};

/**
 * The Socket.IO edge: authenticates the handshake, puts the socket into its rooms, validates each event and hands it
 * to the same services REST uses. Broadcasts of stored changes do not start here: services publish domain events
 * after commit and SocketPublisher fans them out, so REST and socket writes look the same to every client.
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
  private readonly expiryTimers = new Map<string, NodeJS.Timeout>();
  private readonly knownEvents = new Set<string>(CLIENT_EVENTS);

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
  }

  afterInit(server: AppServer): void {
    this.publisher.attach(server);
    server.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (error: unknown) => next(this.handshakeError(error)),
      );
    });
  }

  handleConnection(socket: AppSocket): void {
    this.socketsActive.inc();
    const { user, expiresAt } = socket.data;
    if (expiresAt !== undefined) {
      // Access tokens are short-lived; a socket must not outlive the token that opened it. The client reconnects
      // with a fresh token (and `sync`s what it missed).
      const delay = Math.min(Math.max(0, expiresAt - Date.now()), MAX_TIMER_MS);
      const timer = setTimeout(() => socket.disconnect(true), delay);
      timer.unref();
      this.expiryTimers.set(socket.id, timer);
    }
    const roomIds = conversationIdsOf(socket.rooms);
    this.presence.connected(user.id, socket.id, roomIds).catch((error: unknown) => {
      this.logger.warn({ err: error, userId: user.id }, 'Could not record presence on connect');
    });
  }

  handleDisconnect(socket: AppSocket): void {
    this.socketsActive.dec();
    const timer = this.expiryTimers.get(socket.id);
    if (timer) clearTimeout(timer);
    this.expiryTimers.delete(socket.id);
    for (const stopped of this.typing.dropSocket(socket.id)) {
      this.publisher.typing({ ...stopped, isTyping: false });
    }
    const user = socket.data.user;
    if (!user) return;
    this.presence.disconnected(user.id, socket.id).catch((error: unknown) => {
      this.logger.warn({ err: error, userId: user.id }, 'Could not record presence on disconnect');
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.typing.clear();
    for (const timer of this.expiryTimers.values()) clearTimeout(timer);
    this.expiryTimers.clear();
    await this.presence.releaseAll().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'Could not release presence at shutdown');
    });
  }

  @SubscribeMessage('message:send')
  sendMessage(
    @ConnectedSocket() socket: AppSocket,
    @MessageBody() payload: unknown,
  ): Promise<Ack<MessageDto>> {
    return this.respond(socket, 'message:send', async () => {
      const { roomId, ...dto } = await validatePayload(SendMessageEventDto, payload);
      const { message } = await this.messages.send(socket.data.user.id, roomId, dto);
      return message;
    });
  }

  @SubscribeMessage('room:delivered')
  markDelivered(@ConnectedSocket() socket: AppSocket, @MessageBody() payload: unknown): Promise<Ack<Empty>> {
    return this.respond(socket, 'room:delivered', async () => {
      const { roomId, seq } = await validatePayload(RoomPositionEventDto, payload);
      await this.rooms.markDelivered(socket.data.user.id, roomId, seq);
      return EMPTY;
    });
  }

  @SubscribeMessage('room:read')
  markRead(@ConnectedSocket() socket: AppSocket, @MessageBody() payload: unknown): Promise<Ack<Empty>> {
    return this.respond(socket, 'room:read', async () => {
      const { roomId, seq } = await validatePayload(RoomPositionEventDto, payload);
      await this.rooms.markRead(socket.data.user.id, roomId, seq);
      return EMPTY;
    });
  }

  @SubscribeMessage('typing:start')
  startTyping(@ConnectedSocket() socket: AppSocket, @MessageBody() payload: unknown): Promise<Ack<Empty>> {
    return this.respond(socket, 'typing:start', async () => {
      const { roomId } = await validatePayload(RoomEventDto, payload);
      const userId = socket.data.user.id;
      // Checked when typing starts, not on every refresh: members only, and nobody "types" across a block.
      if (!this.typing.isTyping(roomId, userId)) await this.rooms.assertCanWrite(userId, roomId);
      if (this.typing.start(roomId, userId, socket.id)) {
        this.publisher.typing({ roomId, userId, isTyping: true });
      }
      return EMPTY;
    });
  }

  @SubscribeMessage('typing:stop')
  stopTyping(@ConnectedSocket() socket: AppSocket, @MessageBody() payload: unknown): Promise<Ack<Empty>> {
    return this.respond(socket, 'typing:stop', async () => {
      const { roomId } = await validatePayload(RoomEventDto, payload);
      const userId = socket.data.user.id;
      if (this.typing.stop(roomId, userId)) this.publisher.typing({ roomId, userId, isTyping: false });
      return EMPTY;
    });
  }

  @SubscribeMessage('sync')
  syncRooms(@ConnectedSocket() socket: AppSocket, @MessageBody() payload: unknown): Promise<Ack<SyncResult>> {
    return this.respond(socket, 'sync', async () => {
      const { rooms } = await validatePayload(SyncEventDto, payload);
      return this.sync.changesSince(socket.data.user.id, rooms);
    });
  }

  /** Verifies the token and joins the socket's rooms before `connection`, so no event can arrive before them. */
  private async authenticate(socket: AppSocket): Promise<void> {
    const token = handshakeToken(socket.handshake.auth);
    if (!token) throw AppException.unauthorized();
    const user = await this.tokens.verifyAccessToken(token);
    socket.data.user = user;
    socket.data.expiresAt = tokenExpiresAt(token);
    // The user room first: a membership change published from now on reaches this socket through it.
    await socket.join([userRoom(user.id), sessionRoom(user.sessionId)]);
    const roomIds = await this.rooms.roomIdsForUser(user.id);
    if (roomIds.length > 0) await socket.join(roomIds.map(conversationRoom));
    const bucket = new TokenBucket(this.config.socket.eventsPerSecond, this.config.socket.eventsPerSecond);
    socket.use(([event, ...args], next) => {
      const ack = args.at(-1);
      const reply = typeof ack === 'function' ? (ack as (response: Ack<never>) => void) : undefined;
      const known = typeof event === 'string' && this.knownEvents.has(event);
      this.socketEvents.inc({ event: known ? event : 'unknown' });
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
      if (!known) {
        reply?.(ackFail({ code: ErrorCode.BAD_REQUEST, message: `Unknown event "${String(event)}"` }));
        return;
      }
      next();
    });
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
