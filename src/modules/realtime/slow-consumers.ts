import { field, webSocketOf } from './engine-internals';

/** How often buffers are checked: a stalled client is dropped within two checks of its buffer passing the limit. */
export const SLOW_CONSUMER_CHECK_MS = 1000;

/** The parts of a Socket.IO socket this reads: its connection, and who it is for the log. */
export interface ConsumerSocket {
  readonly id: string;
  readonly conn: unknown;
  readonly data: unknown;
}

export interface SlowConsumer {
  socketId: string;
  userId?: string;
  transport: string;
  bufferedBytes: number;
}

export interface SlowConsumerOptions {
  maxBufferedBytes: number;
  /** The connected sockets, read on every check (Socket.IO's namespace map). */
  sockets: () => Iterable<ConsumerSocket>;
  onDrop: (consumer: SlowConsumer) => void;
}

/**
 * Closes the connections of clients that stopped reading: more than `maxBufferedBytes` waiting to be sent to one at
 * two checks in a row, and no less at the second than at the first.
 *
 * Socket.IO puts no bound on what it holds for a client: engine.io keeps one write in flight per connection and
 * buffers every packet that arrives meanwhile, so a client that stops reading (a frozen tab, a half-dead mobile link)
 * costs the server memory until the heartbeat gives up on it, ~45 s of its rooms' traffic. Closing the connection
 * frees that memory now; the client sees `transport close`, reconnects and `sync`s what it missed, as after any drop.
 * A client that is still draining a large buffer (a big `sync` answer over a slow link) is left alone: dropping it
 * would only make it ask for the same answer again. A WebSocket is terminated rather than closed: a close
 * handshake would keep the buffer until the peer answers.
 */
export function dropSlowConsumers(options: SlowConsumerOptions): { stop(): void } {
  // The connections over the limit at the last check, with what they had buffered then.
  let over = new Map<unknown, number>();
  const check = (): void => {
    const now = new Map<unknown, number>();
    for (const socket of options.sockets()) {
      const bytes = bufferedBytes(socket.conn);
      if (bytes <= options.maxBufferedBytes) continue;
      const before = over.get(socket.conn);
      if (before === undefined || bytes < before) {
        now.set(socket.conn, bytes);
        continue;
      }
      const transport = transportName(socket.conn);
      closeNow(socket.conn);
      options.onDrop({ socketId: socket.id, userId: userIdOf(socket.data), transport, bufferedBytes: bytes });
    }
    over = now;
  };
  const timer = setInterval(check, SLOW_CONSUMER_CHECK_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * How many bytes wait to go out on an engine.io connection: the packets engine.io buffers while a write is in flight
 * (as UTF-8), plus, on WebSocket, what the `ws` socket has not yet handed to the kernel. Only connections with a
 * write in flight have packets to count, so the pass over every socket stays cheap.
 */
export function bufferedBytes(conn: unknown): number {
  let bytes = 0;
  const buffer = field(conn, 'writeBuffer');
  if (Array.isArray(buffer)) {
    for (const packet of buffer as unknown[]) bytes += sizeOf(field(packet, 'data'));
  }
  const amount = field(webSocketOf(conn), 'bufferedAmount');
  if (typeof amount === 'number') bytes += amount;
  return bytes;
}

function closeNow(conn: unknown): void {
  const ws = webSocketOf(conn);
  if (typeof field(ws, 'terminate') === 'function') {
    (ws as { terminate(): void }).terminate();
    return;
  }
  if (typeof field(conn, 'close') === 'function') (conn as { close(discard: boolean): void }).close(true);
}

function sizeOf(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

function transportName(conn: unknown): string {
  const name = field(field(conn, 'transport'), 'name');
  return typeof name === 'string' ? name : 'unknown';
}

function userIdOf(data: unknown): string | undefined {
  const id = field(field(data, 'user'), 'id');
  return typeof id === 'string' ? id : undefined;
}
