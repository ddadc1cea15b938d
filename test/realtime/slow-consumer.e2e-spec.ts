import type { WebSocket } from 'ws';
import { Http } from '../support/http';
import { record } from '../support/socket';
import {
  closeAll,
  connectSocket,
  createGroup,
  disconnected,
  emitAck,
  registerUser,
  sendOverRest,
  settle,
  startRealtimeApp,
  type RegisteredUser,
  type Socket,
  type TestApp,
} from './helpers';

/** The longest message, ~12 KB as UTF-8: some hundreds fill the kernel's buffers for a client that stopped reading. */
const CONTENT = '€'.repeat(4000);
/** Sends between looks at /metrics. */
const BATCH = 16;
/** ~48 MB: more than the kernel may buffer on loopback (net.ipv4.tcp_rmem and tcp_wmem allow 36 MB here). */
const MAX_SENDS = 4000;

/**
 * Socket.IO buffers without bound for a client that stops reading (engine.io queues every packet behind the write in
 * flight). Past SOCKET_MAX_BUFFERED_BYTES, and not draining, the connection is closed: the memory is freed and the
 * client, once it reads again, sees `transport close`, reconnects and syncs what it missed.
 */
describe('a client that stops reading', () => {
  let app: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let roomId: string;
  const opened: Socket[] = [];

  beforeAll(async () => {
    app = await startRealtimeApp({ SOCKET_MAX_BUFFERED_BYTES: String(128 * 1024) });
    [alice, bob, carol] = await Promise.all([registerUser(app), registerUser(app), registerUser(app)]);
    roomId = await createGroup(app, alice, [bob, carol]);
  });

  afterAll(async () => {
    closeAll(opened);
    await app?.stop();
  });

  it('has its connection closed, and catches up with sync after reconnecting', async () => {
    const [aliceSocket, bobSocket, carolSocket] = await Promise.all(
      [alice, bob, carol].map((user) => connectSocket(app, user.accessToken)),
    );
    opened.push(aliceSocket, bobSocket, carolSocket);
    const revBefore = (await sendOverRest(app, alice, roomId, 'before Bob stops reading')).rev as number;
    await settle([bobSocket, carolSocket], aliceSocket, roomId);
    const seenByBob = record<{ id: string }>(bobSocket, 'message:created');
    const seenByCarol = record<{ id: string }>(carolSocket, 'message:created');

    // Bob's client stops reading its connection; Carol's keeps up.
    const bobWire = webSocketOf(bobSocket);
    bobWire.pause();
    const sent: string[] = [];
    while (!(await droppedSlowConsumers())) {
      if (sent.length >= MAX_SENDS) throw new Error(`no connection closed after ${sent.length} messages`);
      const batch = await Promise.all(
        Array.from({ length: BATCH }, () => sendOverRest(app, alice, roomId, CONTENT)),
      );
      sent.push(...batch.map((message) => message.id as string));
    }

    // Bob's client reads again: what reached it before the close, then the close itself.
    const dropped = disconnected(bobSocket, 20_000);
    bobWire.resume();
    expect(await dropped).toBe('transport close');

    // Only Bob was dropped: Carol, reading all along, is still connected and got every message.
    await settle([carolSocket], aliceSocket, roomId);
    expect(carolSocket.connected).toBe(true);
    expect(seenByCarol.map((message) => message.id)).toEqual(expect.arrayContaining(sent));
    expect(seenByBob.length).toBeLessThan(sent.length);

    // Bob reconnects and catches up: every message sent while he was not reading is there.
    const again = await connectSocket(app, bob.accessToken);
    opened.push(again);
    const caughtUp = await syncAll(again, revBefore);
    expect(caughtUp).toEqual(expect.arrayContaining(sent));

    const metrics = await Http.for(app).get('/metrics');
    expect(metrics.text).toMatch(/^websocket_slow_consumers_dropped_total\{transport="websocket"\} 1$/m);
  });

  /** Connections this instance closed for not reading, from its /metrics. */
  async function droppedSlowConsumers(): Promise<number> {
    const metrics = await Http.for(app).get('/metrics');
    return Number(/^websocket_slow_consumers_dropped_total\{[^}]*\} (\d+)$/m.exec(metrics.text)?.[1] ?? 0);
  }

  /** The ids of every message in the room after `sinceRev`, through `sync` pages as a client catches up. */
  async function syncAll(socket: Socket, sinceRev: number): Promise<string[]> {
    const ids: string[] = [];
    let rev = sinceRev;
    for (;;) {
      const synced = await emitAck(socket, 'sync', { rooms: { [roomId]: rev } });
      expect(synced.ok).toBe(true);
      const page = synced.data.rooms[roomId] as {
        messages: Array<{ id: string }>;
        rev: number;
        hasMore: boolean;
      };
      ids.push(...page.messages.map((message) => message.id));
      if (!page.hasMore) return ids;
      rev = page.rev;
    }
  }
});

/** The `ws` WebSocket under a Socket.IO client connected over the WebSocket transport. */
function webSocketOf(socket: Socket): WebSocket {
  const transport = socket.io.engine.transport as unknown as { name: string; ws?: WebSocket };
  if (transport.name !== 'websocket' || !transport.ws) throw new Error('not on the WebSocket transport');
  return transport.ws;
}
