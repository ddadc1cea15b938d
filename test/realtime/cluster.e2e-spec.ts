import { Http } from '../support/http';
import { record } from '../support/socket';
import {
  closeAll,
  connectSocket,
  createGroup,
  disconnected,
  emitAck,
  nextEvent,
  registerUser,
  sendOverRest,
  sendOverSocket,
  settle,
  startRealtimeApp,
  type RegisteredUser,
  type Socket,
  type TestApp,
} from './helpers';

/** Two instances of the server sharing PostgreSQL and Redis, as behind a load balancer. */
describe('Socket.IO across two instances', () => {
  let nodeA: TestApp;
  let nodeB: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let roomId: string;
  let aliceOnA: Socket;
  let bobOnB: Socket;
  let bobOnA: Socket;
  const opened: Socket[] = [];

  beforeAll(async () => {
    [nodeA, nodeB] = await Promise.all([startRealtimeApp(), startRealtimeApp()]);
    [alice, bob, carol] = await Promise.all([registerUser(nodeA), registerUser(nodeB), registerUser(nodeA)]);
    roomId = await createGroup(nodeA, alice, [bob, carol]);
    [aliceOnA, bobOnB, bobOnA] = await Promise.all([
      connectSocket(nodeA, alice.accessToken),
      connectSocket(nodeB, bob.accessToken),
      connectSocket(nodeA, bob.accessToken),
    ]);
    opened.push(aliceOnA, bobOnB, bobOnA);
  });

  afterAll(async () => {
    closeAll(opened);
    await Promise.all([nodeA?.stop(), nodeB?.stop()]);
  });

  function countById(seen: Array<{ id: string }>, id: string): number {
    return seen.filter((message) => message.id === id).length;
  }

  it('delivers a message sent on one instance to sockets on both, exactly once each', async () => {
    const sockets = [aliceOnA, bobOnB, bobOnA];
    const seen = new Map(
      sockets.map((socket) => [socket, record<{ id: string }>(socket, 'message:created')]),
    );
    const fromA = await sendOverSocket(aliceOnA, roomId, 'sent on A');
    const fromB = await sendOverSocket(bobOnB, roomId, 'sent on B');
    const restOnB = await sendOverRest(nodeB, carol, roomId, 'REST on B');
    await settle(sockets, bobOnB, roomId);
    await settle(sockets, aliceOnA, roomId);
    for (const socket of sockets) {
      for (const message of [fromA, fromB, restOnB]) expect(countById(seen.get(socket)!, message.id)).toBe(1);
    }
  });

  it('relays typing across instances, not to the typist', async () => {
    const bobOnASeen = record(bobOnA, 'typing');
    const bobOnBSeen = record(bobOnB, 'typing');
    const onA = nextEvent(aliceOnA, 'typing', (event) => event.userId === bob.user.id && event.isTyping);
    expect(await emitAck(bobOnB, 'typing:start', { roomId })).toEqual({ ok: true, data: {} });
    expect(await onA).toEqual({ roomId, userId: bob.user.id, isTyping: true });
    const stopped = nextEvent(aliceOnA, 'typing', (event) => event.userId === bob.user.id && !event.isTyping);
    await emitAck(bobOnB, 'typing:stop', { roomId });
    await stopped;
    await settle([bobOnA, bobOnB], aliceOnA, roomId);
    expect(bobOnASeen).toEqual([]);
    expect(bobOnBSeen).toEqual([]);
  });

  it('reports presence across instances', async () => {
    const online = nextEvent(aliceOnA, 'presence', (event) => event.userId === carol.user.id);
    const carolOnB = await connectSocket(nodeB, carol.accessToken);
    opened.push(carolOnB);
    expect(await online).toEqual({ userId: carol.user.id, status: 'online', lastSeenAt: expect.any(String) });
    const viaA = await Http.for(nodeA).get(`/api/v1/users/${carol.user.id}`, { token: alice.accessToken });
    expect(viaA.body.presence).toBe('online');

    const offline = nextEvent(aliceOnA, 'presence', (event) => event.userId === carol.user.id);
    carolOnB.close();
    expect(await offline).toEqual({
      userId: carol.user.id,
      status: 'offline',
      lastSeenAt: expect.any(String),
    });
  });

  it('joins sockets on the other instance to a room when members are added', async () => {
    const dave = await registerUser(nodeA);
    const daveOnB = await connectSocket(nodeB, dave.accessToken);
    opened.push(daveOnB);
    const added = nextEvent(daveOnB, 'member:added', (event) => event.roomId === roomId);
    const res = await Http.for(nodeA).post(
      `/api/v1/rooms/${roomId}/members`,
      { userIds: [dave.user.id] },
      { token: alice.accessToken },
    );
    expect(res.status).toBe(201);
    await added;
    const seen = record<{ id: string }>(daveOnB, 'message:created');
    const hello = await sendOverSocket(aliceOnA, roomId, 'hello dave on B');
    await settle([daveOnB], aliceOnA, roomId);
    expect(countById(seen, hello.id)).toBe(1);
  });

  it('applies a membership change on every instance before answering it, so later messages respect it', async () => {
    // Removal on A, the member's socket and the next send on B: B must have let the socket leave before the
    // removal is answered, or B writes its own next message straight to it (it did, a few times in 40).
    const dave = await registerUser(nodeA);
    const daveOnB = await connectSocket(nodeB, dave.accessToken);
    opened.push(daveOnB);
    const daveSeen = record<{ id: string; roomId: string }>(daveOnB, 'message:created');
    const rounds = 15;
    const afterRemoval: string[] = [];
    const afterJoin: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const roomOf = await createGroup(nodeA, alice, [bob]);
      const add = await Http.for(nodeA).post(
        `/api/v1/rooms/${roomOf}/members`,
        { userIds: [dave.user.id] },
        { token: alice.accessToken },
      );
      expect(add.status).toBe(201);
      afterJoin.push((await sendOverRest(nodeB, bob, roomOf, `welcome ${round}`)).id);
      const remove = await Http.for(nodeA).delete(
        `/api/v1/rooms/${roomOf}/members/${dave.user.id}`,
        undefined,
        {
          token: alice.accessToken,
        },
      );
      expect(remove.status).toBe(204);
      afterRemoval.push((await sendOverRest(nodeB, bob, roomOf, `gone ${round}`)).id);
    }
    // Dave's socket on B is flushed up to here: a sentinel in a room he is still in.
    await settle([daveOnB], aliceOnA, await createGroup(nodeA, alice, [dave]));
    const seen = new Set(daveSeen.map((message) => message.id));
    expect(afterJoin.filter((id) => !seen.has(id))).toEqual([]);
    expect(afterRemoval.filter((id) => seen.has(id))).toEqual([]);
  });

  it("sends each socket on either instance one edit with its own user's reactions, whichever instance edits", async () => {
    const sockets = [aliceOnA, bobOnB, bobOnA];
    const seen = new Map(sockets.map((socket) => [socket, record<any>(socket, 'message:updated')]));
    const message = await sendOverSocket(aliceOnA, roomId, 'edit me');
    const reacted = await Http.for(nodeB).put(
      `/api/v1/messages/${message.id}/reactions/${encodeURIComponent('👍')}`,
      undefined,
      { token: bob.accessToken },
    );
    expect(reacted.status).toBe(204);
    for (const [node, content] of [
      [nodeA, 'edited on A'],
      [nodeB, 'edited on B'],
    ] as const) {
      const res = await Http.for(node).patch(
        `/api/v1/messages/${message.id}`,
        { content },
        { token: alice.accessToken },
      );
      expect(res.status).toBe(200);
    }
    await settle(sockets, aliceOnA, roomId);
    await settle(sockets, bobOnB, roomId);
    const views = (socket: Socket) =>
      seen
        .get(socket)!
        .filter((event) => event.id === message.id)
        .map((event) => [event.content, event.reactions]);
    const reactions = (me: boolean) => [{ emoji: '👍', count: 1, me }];
    expect(views(aliceOnA)).toEqual([
      ['edited on A', reactions(false)],
      ['edited on B', reactions(false)],
    ]);
    for (const socket of [bobOnA, bobOnB]) {
      expect(views(socket)).toEqual([
        ['edited on A', reactions(true)],
        ['edited on B', reactions(true)],
      ]);
    }
  });

  it('disconnects sockets on every instance when the session is revoked on one', async () => {
    const erin = await registerUser(nodeA);
    const [erinOnA, erinOnB] = await Promise.all([
      connectSocket(nodeA, erin.accessToken),
      connectSocket(nodeB, erin.accessToken),
    ]);
    opened.push(erinOnA, erinOnB);
    const dropped = Promise.all([disconnected(erinOnA), disconnected(erinOnB)]);
    const res = await Http.for(nodeA).post('/api/v1/auth/logout-all', undefined, { token: erin.accessToken });
    expect(res.status).toBe(204);
    expect(await dropped).toEqual(['io server disconnect', 'io server disconnect']);
  });

  // Last: it stops instance B.
  it('announces the users of an instance that shuts down as offline on the other', async () => {
    const carolOnB = await connectSocket(nodeB, carol.accessToken);
    opened.push(carolOnB);
    const offline = nextEvent(
      aliceOnA,
      'presence',
      (event) => event.userId === carol.user.id && event.status === 'offline',
    );
    const dropped = disconnected(carolOnB);
    expect(await nodeB.stop()).toBe(0);
    await offline;
    // A transport close, after which Socket.IO clients reconnect by themselves (behind a load balancer, to an
    // instance that is up); a server disconnect would leave them offline.
    expect(await dropped).toBe('transport close');
    const viaA = await Http.for(nodeA).get(`/api/v1/users/${carol.user.id}`, { token: alice.accessToken });
    expect(viaA.body).toEqual(
      expect.objectContaining({ presence: 'offline', lastSeenAt: expect.any(String) }),
    );
  });
});
