import { ServerResponse, type IncomingMessage } from 'node:http';

/**
 * Reads engine.io internals its types keep private (a connection's write buffer, the `ws` socket under its
 * transport). Read defensively: a minor version may move them, and then the feature relying on one stands down.
 */
export function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** The `ws` WebSocket under an engine.io connection on the WebSocket transport; undefined on HTTP long-polling. */
export function webSocketOf(conn: unknown): unknown {
  const transport = field(conn, 'transport');
  return field(transport, 'name') === 'websocket' ? field(transport, 'socket') : undefined;
}

/** The parts of an engine.io server `releaseHandshakeRequests` uses. */
export interface HandshakingEngine {
  use(middleware: (req: IncomingMessage, res: ServerResponse, next: () => void) => void): void;
  on(event: 'connection', listener: (conn: { request: unknown }) => void): unknown;
}

/**
 * Lets go of the HTTP request that opened each connection once it has served the handshake.
 *
 * engine.io keeps that request for the connection's lifetime (`conn.request`) and, on WebSocket, again through the
 * stand-in response it gives an upgrade's middlewares (held by a `close` listener on the TCP socket): the headers,
 * raw headers and parser state, ~1.1 KB of the ~11.8 KB heap an idle socket cost in the benchmark. Socket.IO's
 * memory-usage guide drops the first reference; the second needs a middleware, the one place the stand-in is
 * reachable (engine.io reads the request itself, not the stand-in, for the rest of the upgrade). Socket.IO then
 * builds `socket.handshake` without `headers`, `url` or `query`; Parley reads only `handshake.auth` (the remote
 * address stays: engine.io keeps it on the connection).
 */
export function releaseHandshakeRequests(engine: HandshakingEngine): void {
  engine.use((_req, res, next) => {
    // Only an upgrade's stand-in; a polling request's real response lets go of its request when it finishes.
    if (!(res instanceof ServerResponse)) (res as unknown as { req: unknown }).req = null;
    next();
  });
  engine.on('connection', (conn) => {
    conn.request = null;
  });
}
