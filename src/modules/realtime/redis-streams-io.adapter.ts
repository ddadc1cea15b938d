import { randomUUID } from 'node:crypto';
import { Logger, type INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type Redis from 'ioredis';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import type { Counter } from 'prom-client';
import type { Server, ServerOptions, Socket } from 'socket.io';
import type { AppConfig } from '../../config/config';
import { RedisFactory } from '../../redis/redis.factory';
import { releaseHandshakeRequests } from './engine-internals';
import { coalesceFlushedFrames, coalesceUpgradeResponse } from './frame-coalescing';
import { isOriginAllowed } from './socket-handshake';
import { dropSlowConsumers } from './slow-consumers';
import { installFence } from './socket-fence';
import { StreamProgress } from './stream-progress';
import { publishThroughStream, STREAM_READ_COUNT, watchStreamReads, type StreamGap } from './stream-reads';

/** How long shutdown waits for queued broadcasts to reach Redis. */
const FLUSH_TIMEOUT_MS = 2_000;

/** What the adapter counts for `/metrics`. */
export interface SocketCounters {
  /** The times this instance fell so far behind the stream that it dropped its connections. */
  streamGaps: Counter<'reason'>;
  /** Connections closed because their client stopped reading. */
  slowConsumers: Counter<'transport'>;
}

/** The parts of the streams adapter that publish to the stream and read entries back from it. */
interface StreamAdapterInternals {
  uid: string;
  onRawMessage(raw: { uid?: string }, offset: string): void;
  publishAndReturnOffset(message: unknown): Promise<string>;
}

/**
 * Every instance reads every stream entry back, its own included, and the adapter decodes each one (a JSON.parse
 * of the whole broadcast packet) before noticing it came from itself and dropping it. This drops those by their
 * uid field first, undecoded; entries from other instances are handled exactly as before. It also tells
 * `progress` what was read and what was published (for fences, see StreamProgress).
 */
function followStream<A extends object>(adapter: A, progress: StreamProgress): A {
  const internals = adapter as unknown as StreamAdapterInternals;
  const handle = internals.onRawMessage.bind(internals);
  internals.onRawMessage = (raw, offset) => {
    if (raw.uid !== internals.uid) handle(raw, offset);
    progress.passed(offset);
  };
  const publish = internals.publishAndReturnOffset.bind(internals);
  internals.publishAndReturnOffset = (message) => progress.track(publish(message));
  return adapter;
}

/**
 * Closes the connections of this instance's sockets without a Socket.IO disconnect packet, so clients see
 * `transport close` and reconnect by themselves (to this instance or another), then `sync`. A server-side
 * disconnect (`io server disconnect`) would leave them offline until the app calls `connect()` again.
 */
function dropConnections(server: Server): number {
  const sockets = [...server.of('/').sockets.values()];
  for (const socket of sockets) socket.conn.close(true);
  return sockets.length;
}

/**
 * Socket.IO over the Redis Streams adapter, so a broadcast, a `socketsJoin` or a `disconnectSockets` on one
 * instance reaches sockets on every instance. Streams (rather than pub/sub) because a short Redis outage loses no
 * broadcast: each node resumes reading from its last offset.
 *
 * Also applies the transport limits that must hold for every gateway: the frame size limit, the Origin check
 * (Socket.IO's `cors` option only sets headers; `allowRequest` is what refuses a foreign Origin) and the limit on
 * what may wait for a client that stopped reading; sends the frames engine.io flushes together, and a new
 * connection's 101 response with its first packet, in one TCP write;
 * and lets each connection's handshake request go once it has served.
 */
export class RedisStreamsIoAdapter extends IoAdapter {
  private readonly clients: Redis[] = [];
  /** The client broadcasts are published through (auto-pipelined). */
  private publisher?: Redis;
  private readonly handlerLogger = new Logger('SocketHandlers');
  private readonly streamLogger = new Logger('SocketStream');
  private readonly slowLogger = new Logger('SocketBuffers');
  private stopSlowConsumers?: () => void;
  private stopStreamUpkeep?: () => void;

  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly redisFactory: RedisFactory,
    private readonly counters: SocketCounters,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: Partial<ServerOptions>): Server {
    const origins = this.config.corsOrigins;
    const limits: Partial<ServerOptions> = {
      ...options,
      maxHttpBufferSize: this.config.socket.maxFrameBytes,
      cors: { origin: origins, credentials: true },
      allowRequest: (request, callback) => callback(null, isOriginAllowed(request.headers.origin, origins)),
    };
    // Socket.IO accepts partial options; Nest's signature asks for the full type.
    const server = super.createIOServer(port, limits as ServerOptions);
    coalesceFlushedFrames(server.engine);
    coalesceUpgradeResponse(server.engine);
    releaseHandshakeRequests(server.engine);
    this.stopSlowConsumers = dropSlowConsumers({
      maxBufferedBytes: this.config.socket.maxBufferedBytes,
      sockets: () => server.of('/').sockets.values(),
      onDrop: ({ transport, ...consumer }) => {
        this.counters.slowConsumers.inc({ transport });
        this.slowLogger.warn(
          { ...consumer, transport, limit: this.config.socket.maxBufferedBytes },
          'Closed the connection of a client that stopped reading; it reconnects and syncs',
        );
      },
    }).stop;
    // ioredis' keyPrefix is not applied to pub/sub channels and the adapter duplicates this client for its
    // blocking XREADs, so the client is unprefixed and the prefix goes into the stream and channel names instead:
    // test runs and deployments sharing one Redis never read each other's broadcasts.
    const prefix = this.redisFactory.keyPrefix;
    // Broadcasts wait through about 20 s of Redis outage (reconnect attempts back off up to 2 s) and then go out
    // in order, rather than being dropped after the usual two retries; the adapter logs a publish that gives up.
    // Auto-pipelining: the broadcasts of one committed write batch are published in the same tick, and go to
    // Redis as one write instead of one XADD syscall each (6.7 % of the app's CPU at ~770 msg/s in a profile).
    const client = this.redisFactory.create(
      'socket.io',
      { maxRetriesPerRequest: 20, enableAutoPipelining: true },
      false,
    );
    this.clients.push(client);
    this.publisher = client;
    const retentionMs = this.config.socket.streamRetentionMs;
    const stream = `${prefix}socket.io`;
    const instanceId = randomUUID();
    this.stopStreamUpkeep = publishThroughStream(client, { stream, retentionMs, instanceId });
    // The adapter duplicates the client for its subscription and its blocking stream reads, and does not handle
    // their command failures: with a retry limit, a Redis outage at boot rejects SUBSCRIBE unhandled and kills the
    // process. Those readers wait for Redis as long as it takes instead.
    const readNow: Array<() => void> = [];
    const progress = new StreamProgress(() => readNow.forEach((wake) => wake()));
    client.duplicate = () => {
      const reader = this.redisFactory.create('socket.io-reader', { maxRetriesPerRequest: null }, false);
      readNow.push(
        watchStreamReads(reader, {
          retentionMs,
          instanceId,
          onGap: (gap) => this.resyncAfterGap(server, gap),
        }),
      );
      this.clients.push(reader);
      return reader;
    };
    const adapterFor = createAdapter(client, {
      streamName: stream,
      channelPrefix: `${prefix}socket.io`,
      readCount: STREAM_READ_COUNT,
    });
    // Socket.IO calls this with `new`: a function expression (not an arrow) that returns the adapter it built.
    server.adapter(function streamsAdapter(nsp: Parameters<typeof adapterFor>[0]) {
      return followStream(adapterFor(nsp), progress);
    } as typeof adapterFor);
    installFence(server, progress);
    return server;
  }

  /**
   * Broadcasts to this instance's sockets may be missing: this instance fell more than the stream's retention
   * behind and some were trimmed before it read them, the stream was lost (Redis came back without it), or another
   * instance could not publish some. Nothing tells
   * which, so every socket here reconnects and catches up with `sync`, as after any reconnect: a missed message is
   * fetched rather than silently absent.
   */
  private resyncAfterGap(server: Server, gap: StreamGap): void {
    this.counters.streamGaps.inc({ reason: gap.reason });
    const dropped = dropConnections(server);
    const detail =
      gap.reason === 'lost-publish'
        ? { publisher: gap.instanceId }
        : { behindMs: gap.behindMs, retentionMs: this.config.socket.streamRetentionMs };
    this.streamLogger.warn(
      { reason: gap.reason, ...detail, dropped },
      'Broadcasts to this instance may have been lost; dropped its connections so clients reconnect and sync',
    );
  }

  /**
   * Closes Socket.IO but leaves the HTTP server it shares with Fastify alone: Socket.IO's own close() would stop
   * that server before Fastify has drained the requests in flight.
   */
  override async close(server: Server): Promise<void> {
    this.stopSlowConsumers?.();
    this.stopStreamUpkeep?.();
    dropConnections(server);
    await server.of('/').adapter.close();
    server.engine.close();
    // Auto-pipelined broadcasts (e.g. the offline presence of this instance's users) leave on the next tick: a
    // PING queued behind them answers once they are written. Bounded, because Redis may be the thing that is down.
    if (this.publisher) {
      const flushed = this.publisher.ping().catch(() => undefined);
      await Promise.race([flushed, new Promise((resolve) => setTimeout(resolve, FLUSH_TIMEOUT_MS).unref())]);
    }
    // These clients wait long for Redis, so a QUIT would hold up shutdown while it is down: drop them instead.
    for (const client of this.clients.splice(0)) client.disconnect();
  }

  /** Nest's default wraps the callback in `once`; a socket disconnects once, and the wrapper costs memory per socket. */
  override bindClientDisconnect(client: Socket, callback: (reason: string) => void): void {
    client.on('disconnect', callback);
  }

  /**
   * One plain listener per event instead of Nest's per-socket RxJS pipelines (fromEvent + mergeMap + takeUntil
   * for every handler of every socket): those were ~20 KB of the ~41 KB heap an idle socket cost in the benchmark.
   * Same behaviour: the handler's result is awaited, null results send nothing, `{ event, data }` is emitted,
   * anything else answers the ack; a failing handler is logged and the listener stays.
   */
  override bindMessageHandlers(
    socket: Socket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    for (const { message, callback, isAckHandledManually } of handlers) {
      socket.on(message as string, (...args: unknown[]) => {
        // As Nest's fromEvent did: a single argument is the payload itself, several come as an array.
        const { data, ack } = this.mapPayload(args.length === 1 ? args[0] : args);
        let result$: Observable<unknown>;
        try {
          result$ = transform(callback(data, ack));
        } catch (error) {
          this.handlerLogger.error(error);
          return;
        }
        result$.subscribe({
          next: (response) => {
            if (response === null || response === undefined) return;
            const event = response as { event?: string; data?: unknown };
            if (event.event) {
              socket.emit(event.event, event.data);
              return;
            }
            if (!isAckHandledManually && typeof ack === 'function') ack(response);
          },
          error: (error: unknown) => this.handlerLogger.error(error),
        });
      });
    }
  }
}
