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
