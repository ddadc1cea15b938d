import type { IncomingMessage } from 'node:http';
import type { Socket as TcpSocket } from 'node:net';
import { field, webSocketOf } from './engine-internals';

/** The parts of an engine.io server this reads: the `flush` event it emits before a socket's buffer goes out. */
export interface FlushingEngine {
  on(event: 'flush', listener: (socket: unknown, packets: readonly unknown[]) => void): unknown;
}

type Corkable = Pick<TcpSocket, 'cork' | 'uncork'>;

/**
 * Sends the packets engine.io flushes together in one TCP write instead of one write per WebSocket frame.
 *
 * engine.io keeps one write in flight per socket and buffers what arrives meanwhile (the message a sender gets right
 * after their own ack, a burst of messages in one room), then flushes that buffer as one frame per packet, and the
 * WebSocket library writes each frame on its own: ~30 % of the frames in the latency benchmark went out in such
 * flushes, each its own syscall. Corking the TCP socket for the flush turns them into one `writev`; it is uncorked
 * on the next tick, after the flush's synchronous writes, so nothing waits longer than the current tick.
 */
export function coalesceFlushedFrames(engine: FlushingEngine): void {
  engine.on('flush', (socket, packets) => {
    if (packets.length < 2) return;
    const tcp = tcpSocketOf(socket);
    if (!tcp) return;
    tcp.cork();
    process.nextTick(uncork, tcp);
  });
}

/** The part of an engine.io server `coalesceUpgradeResponse` uses. */
export interface UpgradingEngine {
  on(event: 'initial_headers', listener: (headers: unknown, req: IncomingMessage) => void): unknown;
}

/**
 * Sends a new WebSocket connection's `101 Switching Protocols` response and engine.io's `open` packet in one TCP
 * write instead of two: one syscall less for every connection.
 *
 * `initial_headers` comes right before the 101 is written, after every check that could still refuse the upgrade
 * (a refusal writes its 400 and destroys the socket at once, which would discard corked bytes). engine.io gets
 * there in a chain of microtasks (its middlewares run in a promise chain) and sends the `open` packet in a later
 * one, all drained before Node turns to its next-tick queue; so the socket is uncorked on the next tick, when both
 * are written. Should the handshake ever wait longer (a slower id generator), the 101 simply goes out alone.
 */
export function coalesceUpgradeResponse(engine: UpgradingEngine): void {
  engine.on('initial_headers', (_headers, req) => {
    // A long-polling handshake's response is one write already.
    if (req.headers.upgrade === undefined) return;
    const tcp: unknown = req.socket;
    if (!isCorkable(tcp)) return;
    tcp.cork();
    process.nextTick(uncork, tcp);
  });
}

function uncork(tcp: Corkable): void {
  tcp.uncork();
}

/**
 * The TCP socket under an engine.io socket on the WebSocket transport (`transport.socket` is the `ws` WebSocket,
 * whose `_socket` is the connection); undefined on HTTP long-polling, whose writes are whole HTTP responses.
 */
export function tcpSocketOf(socket: unknown): Corkable | undefined {
  const tcp = field(webSocketOf(socket), '_socket');
  return isCorkable(tcp) ? tcp : undefined;
}

function isCorkable(value: unknown): value is Corkable {
  return typeof field(value, 'cork') === 'function' && typeof field(value, 'uncork') === 'function';
}
