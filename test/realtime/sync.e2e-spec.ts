import { randomUUID } from 'node:crypto';
import { Http } from '../support/http';
import {
  closeAll,
  connectSocket,
  createGroup,
  disconnected,
  emitAck,
  nextEvent,
  registerUser,
  sendOverRest,
  startRealtimeApp,
  type RegisteredUser,
  type Socket,
  type TestApp,
} from './helpers';

describe('Socket.IO sync', () => {
  let app: TestApp;
  let http: Http;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;
  const opened: Socket[] = [];

  beforeAll(async () => {
    app = await startRealtimeApp();
    http = Http.for(app);
    [alice, bob] = await Promise.all([registerUser(app), registerUser(app)]);
    roomId = await createGroup(app, alice, [bob]);
  });

  afterAll(async () => {
    closeAll(opened);
    await app.stop();
  });

  async function connect(user: RegisteredUser): Promise<Socket> {
    const socket = await connectSocket(app, user.accessToken);
    opened.push(socket);
    return socket;
  }

  it('returns the messages, edits and deletions missed while offline', async () => {
    const online = await connect(alice);
    const seenFirst = nextEvent(online, 'message:created', (message) => message.content === 'first');
    const first = await sendOverRest(app, bob, roomId, 'first');
    const seenSecond = nextEvent(online, 'message:created', (message) => message.content === 'second');
    const second = await sendOverRest(app, bob, roomId, 'second');
    await seenFirst;
    const lastSeenRev: number = (await seenSecond).rev;

    const gone = disconnected(online);
    online.close();
    await gone;

    const third = await sendOverRest(app, bob, roomId, 'third');
    expect(
      (
        await http.patch(
          `/api/v1/messages/${first.id}`,
          { content: 'first, edited' },
          { token: bob.accessToken },
        )
      ).status,
    ).toBe(200);
    expect(
      (await http.delete(`/api/v1/messages/${second.id}`, undefined, { token: bob.accessToken })).status,
    ).toBe(204);
    expect(
      (
        await http.put(`/api/v1/messages/${third.id}/reactions/${encodeURIComponent('🎉')}`, undefined, {
          token: alice.accessToken,
        })
      ).status,
    ).toBe(204);

    const back = await connect(alice);
    const ack = await emitAck(back, 'sync', { rooms: { [roomId]: lastSeenRev } });
    expect(ack.ok).toBe(true);
    const changes = ack.data.rooms[roomId];
    const room = await http.get(`/api/v1/rooms/${roomId}`, { token: alice.accessToken });
    expect(changes).toEqual({ messages: expect.any(Array), rev: room.body.rev, hasMore: false });
    expect(ack.data.unavailable).toEqual([]);

    const byId = new Map<string, any>(changes.messages.map((message: any) => [message.id, message]));
    expect(byId.get(first.id)).toEqual(
      expect.objectContaining({ content: 'first, edited', editedAt: expect.any(String) }),
    );
    expect(byId.get(second.id)).toEqual(
      expect.objectContaining({ content: null, deletedAt: expect.any(String) }),
    );
    expect(byId.get(third.id)).toEqual(
      expect.objectContaining({ content: 'third', reactions: [{ emoji: '🎉', count: 1, me: true }] }),
    );
    const revs = changes.messages.map((message: any) => message.rev);
    expect(revs).toEqual([...revs].sort((a, b) => a - b));
    expect(revs.every((rev: number) => rev > lastSeenRev)).toBe(true);

    // Caught up: asking again from the returned rev yields nothing.
    const again = await emitAck(back, 'sync', { rooms: { [roomId]: changes.rev } });
    expect(again.data.rooms[roomId]).toEqual({ messages: [], rev: changes.rev, hasMore: false });
  });

  it('pages a long absence with hasMore', async () => {
    const socket = await connect(alice);
    const start = (await http.get(`/api/v1/rooms/${roomId}`, { token: alice.accessToken })).body
      .rev as number;
    for (let batch = 0; batch < 11; batch++) {
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => sendOverRest(app, bob, roomId, `bulk ${batch}.${i}`)),
      );
    }
    const page1 = await emitAck(socket, 'sync', { rooms: { [roomId]: start } });
    expect(page1.data.rooms[roomId]).toEqual(expect.objectContaining({ hasMore: true }));
    expect(page1.data.rooms[roomId].messages).toHaveLength(100);
    const page2 = await emitAck(socket, 'sync', { rooms: { [roomId]: page1.data.rooms[roomId].rev } });
    expect(page2.data.rooms[roomId]).toEqual(expect.objectContaining({ hasMore: false }));
    expect(page2.data.rooms[roomId].messages).toHaveLength(10);
  });

  it('leaves out rooms the caller cannot see and lists them as unavailable', async () => {
    const eve = await registerUser(app);
    const eveRoom = await createGroup(app, eve, []);
    const unknown = randomUUID();
    const socket = await connect(alice);
    const ack = await emitAck(socket, 'sync', { rooms: { [roomId]: 0, [eveRoom]: 0, [unknown]: 0 } });
    expect(ack.ok).toBe(true);
    expect(Object.keys(ack.data.rooms)).toEqual([roomId]);
    expect(ack.data.unavailable.sort()).toEqual([eveRoom, unknown].sort());
  });

  it('answers many rooms in one call, each with its own changes and reactions as the caller sees them', async () => {
    // More rooms than one database statement reads (50), so the answer is assembled from several.
    const rooms = await Promise.all(Array.from({ length: 55 }, () => createGroup(app, bob, [alice])));
    const sent = await Promise.all(
      rooms.map((id, index) => sendOverRest(app, bob, id, `room ${index} says hi`)),
    );
    const reacted = sent[53];
    const put = await http.put(
      `/api/v1/messages/${reacted.id}/reactions/${encodeURIComponent('👍')}`,
      undefined,
      { token: alice.accessToken },
    );
    expect(put.status).toBe(204);
    const gone = randomUUID();

    const socket = await connect(alice);
    const ack = await emitAck(socket, 'sync', {
      rooms: { ...Object.fromEntries(rooms.map((id) => [id, 0])), [gone]: 0 },
    });
    expect(ack.ok).toBe(true);
    expect(ack.data.unavailable).toEqual([gone]);
    expect(Object.keys(ack.data.rooms).sort()).toEqual([...rooms].sort());
    rooms.forEach((id, index) => {
      const changes = ack.data.rooms[id];
      expect(changes.hasMore).toBe(false);
      expect(changes.messages.map((message: { content: string }) => message.content)).toEqual([
        `room ${index} says hi`,
      ]);
      expect(changes.rev).toBe(index === 53 ? reacted.rev + 1 : reacted.rev);
    });
    expect(ack.data.rooms[rooms[53]].messages[0].reactions).toEqual([{ emoji: '👍', count: 1, me: true }]);
    expect(ack.data.rooms[rooms[52]].messages[0].reactions).toEqual([]);
  });

  it('validates the request', async () => {
    const socket = await connect(alice);
    for (const rooms of [undefined, [], { 'not-a-uuid': 0 }, { [roomId]: -1 }, { [roomId]: '3' }]) {
      const ack = await emitAck(socket, 'sync', { rooms });
      expect(ack).toEqual({ ok: false, error: expect.objectContaining({ code: 'VALIDATION_FAILED' }) });
    }
    const tooMany = Object.fromEntries(Array.from({ length: 501 }, () => [randomUUID(), 0]));
    const ack = await emitAck(socket, 'sync', { rooms: tooMany });
    expect(ack.error?.code).toBe('VALIDATION_FAILED');
  });
});
