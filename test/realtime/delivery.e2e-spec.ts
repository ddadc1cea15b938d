import { randomUUID } from 'node:crypto';
import { Http } from '../support/http';
import { record } from '../support/socket';
import {
  closeAll,
  connectSocket,
  createGroup,
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

const THUMBS = '👍';
const PARTY = '🎉';

describe('Socket.IO delivery', () => {
  let app: TestApp;
  let http: Http;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let carol: RegisteredUser;
  let eve: RegisteredUser;
  let roomId: string;
  let alice1: Socket;
  let alice2: Socket;
  let bob1: Socket;
  let carol1: Socket;
  let eve1: Socket;
  const opened: Socket[] = [];

  beforeAll(async () => {
    app = await startRealtimeApp();
    http = Http.for(app);
    [alice, bob, carol, eve] = await Promise.all([
      registerUser(app),
      registerUser(app),
      registerUser(app),
      registerUser(app),
    ]);
    roomId = await createGroup(app, alice, [bob, carol]);
    [alice1, alice2, bob1, carol1, eve1] = await Promise.all([
      connectSocket(app, alice.accessToken),
      connectSocket(app, alice.accessToken),
      connectSocket(app, bob.accessToken),
      connectSocket(app, carol.accessToken),
      connectSocket(app, eve.accessToken),
    ]);
    opened.push(alice1, alice2, bob1, carol1, eve1);
  });

  afterAll(async () => {
    closeAll(opened);
    await app.stop();
  });

  function countById(seen: Array<{ id: string }>, id: string): number {
    return seen.filter((message) => message.id === id).length;
  }

  it('stores a socket message before acking and delivers it, and REST messages, to every member socket exactly once', async () => {
    const members = [alice1, alice2, bob1, carol1];
    const seen = new Map(
      members.map((socket) => [socket, record<{ id: string }>(socket, 'message:created')]),
    );
    const eveSeen = record(eve1, 'message:created');

    const ack = await emitAck(alice1, 'message:send', {
      roomId,
      clientMessageId: randomUUID(),
      content: 'hi all',
    });
    expect(ack).toEqual({
      ok: true,
      data: expect.objectContaining({
        id: expect.any(String),
        roomId,
        senderId: alice.user.id,
        content: 'hi all',
      }),
    });
    // Committed before the ack: readable over REST at once.
    const stored = await http.get(`/api/v1/messages/${ack.data.id}`, { token: bob.accessToken });
    expect(stored.status).toBe(200);

    const viaRest = await sendOverRest(app, bob, roomId, 'hello from REST');
    await settle(members, carol1, roomId);

    for (const socket of members) {
      expect(countById(seen.get(socket)!, ack.data.id)).toBe(1);
      expect(countById(seen.get(socket)!, viaRest.id)).toBe(1);
    }
    expect(eveSeen).toEqual([]);
  });

  it('delivers a burst from several senders to every member socket whole, once, and in seq order', async () => {
    // Frames queued for a socket while its previous write is in flight go out together in one TCP write: each must
    // still arrive whole and once. Sends stored by concurrent batches commit in any order; one instance still
    // emits a room's messages in seq order.
    const members = [alice1, alice2, bob1, carol1];
    const seen = new Map(
      members.map((socket) => [socket, record<{ id: string; content: string }>(socket, 'message:created')]),
    );
    const senders = [alice1, alice2, bob1, carol1];
    const acks = await Promise.all(
      Array.from({ length: 60 }, (_, index) =>
        emitAck(senders[index % senders.length], 'message:send', {
          roomId,
          clientMessageId: randomUUID(),
          content: `burst ${index} ${'x'.repeat(index * 50)}`,
        }),
      ),
    );
    expect(acks.every((ack) => ack.ok)).toBe(true);
    await settle(members, carol1, roomId);

    const contentById = new Map(acks.map((ack) => [ack.data.id as string, ack.data.content as string]));
    const seqOrder = [...acks].sort((a, b) => a.data.seq - b.data.seq).map((ack) => ack.data.id as string);
    for (const socket of members) {
      const burst = seen.get(socket)!.filter((message) => contentById.has(message.id));
      for (const message of burst) expect(message.content).toBe(contentById.get(message.id));
      expect(burst.map((message) => message.id)).toEqual(seqOrder);
    }
  });

  it('answers a resend with the same clientMessageId with the stored message and broadcasts nothing new', async () => {
    const clientMessageId = randomUUID();
    const seen = record<{ id: string }>(bob1, 'message:created');
    const first = await emitAck(alice1, 'message:send', { roomId, clientMessageId, content: 'once' });
    const again = await emitAck(alice2, 'message:send', { roomId, clientMessageId, content: 'once' });
    expect(again).toEqual({
      ok: true,
      data: expect.objectContaining({ id: first.data.id, seq: first.data.seq }),
    });
    await settle([bob1], alice1, roomId);
    expect(countById(seen, first.data.id)).toBe(1);
  });

  it('processes an event sent without an acknowledgement callback the same way', async () => {
    const clientMessageId = randomUUID();
    const delivered = nextEvent(
      bob1,
      'message:created',
      (message: any) => message.clientMessageId === clientMessageId,
    );
    alice1.emit('message:send', { roomId, clientMessageId, content: 'no ack wanted' });
    expect(await delivered).toEqual(expect.objectContaining({ content: 'no ack wanted', roomId }));
  });

  it('validates payloads like REST bodies and answers errors in the ack', async () => {
    const missing = await emitAck(alice1, 'message:send', { roomId });
    expect(missing).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.any(String) }),
    });
    expect((missing.error as any).details).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'clientMessageId' })]),
    );

    const extra = await emitAck(alice1, 'message:send', {
      roomId,
      clientMessageId: randomUUID(),
      content: 'x',
      senderId: bob.user.id,
    });
    expect(extra.error).toEqual(expect.objectContaining({ code: 'VALIDATION_FAILED' }));

    const blank = await emitAck(alice1, 'message:send', {
      roomId,
      clientMessageId: randomUUID(),
      content: '   ',
    });
    expect(blank.error).toEqual(expect.objectContaining({ code: 'VALIDATION_FAILED' }));

    const notAnObject = await emitAck(alice1, 'room:read', 'nope');
    expect(notAnObject.error).toEqual(expect.objectContaining({ code: 'VALIDATION_FAILED' }));

    const unknown = await emitAck(alice1, 'message:shout', { roomId });
    expect(unknown).toEqual({ ok: false, error: expect.objectContaining({ code: 'BAD_REQUEST' }) });

    // Names an EventEmitter treats specially are just unknown events, and the socket carries on.
    const error = await emitAck(alice1, 'error', { roomId });
    expect(error).toEqual({ ok: false, error: expect.objectContaining({ code: 'BAD_REQUEST' }) });
    expect(await emitAck(alice1, 'typing:stop', { roomId })).toEqual({ ok: true, data: {} });
  });

  it('answers ROOM_NOT_FOUND to a non-member and delivers nothing', async () => {
    const seen = record(bob1, 'message:created');
    const ack = await emitAck(eve1, 'message:send', {
      roomId,
      clientMessageId: randomUUID(),
      content: 'let me in',
    });
    expect(ack).toEqual({ ok: false, error: { code: 'ROOM_NOT_FOUND', message: expect.any(String) } });
    const typing = await emitAck(eve1, 'typing:start', { roomId });
    expect(typing.error?.code).toBe('ROOM_NOT_FOUND');
    expect((await emitAck(eve1, 'typing:stop', { roomId })).error?.code).toBe('ROOM_NOT_FOUND');
    const read = await emitAck(eve1, 'room:read', { roomId, seq: 1 });
    expect(read.error?.code).toBe('ROOM_NOT_FOUND');
    const nowhere = await emitAck(alice1, 'message:send', {
      roomId: randomUUID(),
      clientMessageId: randomUUID(),
      content: 'void',
    });
    expect(nowhere.error?.code).toBe('ROOM_NOT_FOUND');
    await settle([bob1], alice1, roomId);
    expect(seen.filter((message: any) => message.content === 'let me in')).toEqual([]);
  });

  it('delivers edits, deletions and reactions made over REST live', async () => {
    const message = await sendOverSocket(bob1, roomId, 'tpyo');
    const updated = nextEvent(alice2, 'message:updated', (m) => m.id === message.id);
    const edit = await http.patch(
      `/api/v1/messages/${message.id}`,
      { content: 'typo' },
      { token: bob.accessToken },
    );
    expect(edit.status).toBe(200);
    expect(await updated).toEqual(
      expect.objectContaining({ id: message.id, content: 'typo', editedAt: expect.any(String) }),
    );

    const reacted = nextEvent(carol1, 'reaction:added', (event) => event.messageId === message.id);
    const put = await http.put(
      `/api/v1/messages/${message.id}/reactions/${encodeURIComponent('👍')}`,
      undefined,
      {
        token: alice.accessToken,
      },
    );
    expect(put.status).toBe(204);
    expect(await reacted).toEqual({
      messageId: message.id,
      roomId,
      rev: expect.any(Number),
      emoji: '👍',
      userId: alice.user.id,
    });

    const unreacted = nextEvent(bob1, 'reaction:removed', (event) => event.messageId === message.id);
    await http.delete(`/api/v1/messages/${message.id}/reactions/${encodeURIComponent('👍')}`, undefined, {
      token: alice.accessToken,
    });
    expect(await unreacted).toEqual(expect.objectContaining({ emoji: '👍', userId: alice.user.id }));

    const deleted = nextEvent(alice1, 'message:deleted', (event) => event.id === message.id);
    const del = await http.delete(`/api/v1/messages/${message.id}`, undefined, { token: bob.accessToken });
    expect(del.status).toBe(204);
    expect(await deleted).toEqual({ id: message.id, roomId, seq: message.seq, rev: expect.any(Number) });
  });

  it('moves read and delivered positions forward only, and tells the room', async () => {
    const message = await sendOverSocket(alice1, roomId, 'read me');
    const delivered = nextEvent(alice2, 'room:delivered', (event) => event.userId === bob.user.id);
    expect(await emitAck(bob1, 'room:delivered', { roomId, seq: message.seq })).toEqual({
      ok: true,
      data: {},
    });
    expect(await delivered).toEqual({ roomId, userId: bob.user.id, seq: message.seq });

    const read = nextEvent(alice1, 'room:read', (event) => event.userId === bob.user.id);
    expect(await emitAck(bob1, 'room:read', { roomId, seq: message.seq })).toEqual({ ok: true, data: {} });
    expect(await read).toEqual({ roomId, userId: bob.user.id, seq: message.seq });

    // Backwards is accepted and changes nothing.
    expect(await emitAck(bob1, 'room:read', { roomId, seq: 1 })).toEqual({ ok: true, data: {} });
    const members = await http.get(`/api/v1/rooms/${roomId}/members`, { token: bob.accessToken });
    const me = members.body.items.find((member: any) => member.userId === bob.user.id);
    expect(me).toEqual(expect.objectContaining({ lastReadSeq: message.seq, lastDeliveredSeq: message.seq }));

    const beyond = await emitAck(bob1, 'room:read', { roomId, seq: message.seq + 1000 });
    expect(beyond.error?.code).toBe('VALIDATION_FAILED');
    const huge = await emitAck(bob1, 'room:delivered', { roomId, seq: 3e9 });
    expect(huge.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'seq', message: 'seq must be an integer from 0 to 2147483647' }],
    });
  });

  it('relays typing to the other members only, never back to any socket of the typist', async () => {
    const aliceSeen1 = record(alice1, 'typing');
    const aliceSeen2 = record(alice2, 'typing');
    const bobStarts = nextEvent(bob1, 'typing', (event) => event.userId === alice.user.id && event.isTyping);
    const carolStarts = nextEvent(
      carol1,
      'typing',
      (event) => event.userId === alice.user.id && event.isTyping,
    );
    expect(await emitAck(alice1, 'typing:start', { roomId })).toEqual({ ok: true, data: {} });
    expect(await bobStarts).toEqual({ roomId, userId: alice.user.id, isTyping: true });
    await carolStarts;

    const bobStops = nextEvent(bob1, 'typing', (event) => event.userId === alice.user.id && !event.isTyping);
    expect(await emitAck(alice1, 'typing:stop', { roomId })).toEqual({ ok: true, data: {} });
    expect(await bobStops).toEqual({ roomId, userId: alice.user.id, isTyping: false });

    await settle([alice1, alice2], bob1, roomId);
    expect(aliceSeen1).toEqual([]);
    expect(aliceSeen2).toEqual([]);
  });

  it('ends "is typing" by itself when the typist stops refreshing', async () => {
    const started = nextEvent(carol1, 'typing', (event) => event.userId === bob.user.id && event.isTyping);
    await emitAck(bob1, 'typing:start', { roomId });
    await started;
    const expired = await nextEvent(carol1, 'typing', (event) => event.userId === bob.user.id, 15_000);
    expect(expired).toEqual({ roomId, userId: bob.user.id, isTyping: false });
  });

  it('ends "is typing" of a member removed, or blocked, mid-sentence at their next refresh', async () => {
    const [gina, hank] = await Promise.all([registerUser(app), registerUser(app)]);
    const [gina1, hank1] = await Promise.all([
      connectSocket(app, gina.accessToken),
      connectSocket(app, hank.accessToken),
    ]);
    opened.push(gina1, hank1);
    const typingOf = (socket: Socket, user: RegisteredUser, room: string, isTyping: boolean) =>
      nextEvent(
        socket,
        'typing',
        (event) => event.userId === user.user.id && event.roomId === room && event.isTyping === isTyping,
      );

    // Removed from a group while typing.
    const groupId = await createGroup(app, alice, [bob, gina]);
    const started = typingOf(bob1, gina, groupId, true);
    expect(await emitAck(gina1, 'typing:start', { roomId: groupId })).toEqual({ ok: true, data: {} });
    await started;
    const removed = nextEvent(gina1, 'member:removed', (event) => event.roomId === groupId);
    const remove = await http.delete(`/api/v1/rooms/${groupId}/members/${gina.user.id}`, undefined, {
      token: alice.accessToken,
    });
    expect(remove.status).toBe(204);
    await removed;
    const stopped = typingOf(bob1, gina, groupId, false);
    const refresh = await emitAck(gina1, 'typing:start', { roomId: groupId });
    expect(refresh).toEqual({ ok: false, error: expect.objectContaining({ code: 'ROOM_NOT_FOUND' }) });
    expect(await stopped).toEqual({ roomId: groupId, userId: gina.user.id, isTyping: false });

    // Blocked by the direct peer while typing.
    const direct = await http.post(
      '/api/v1/rooms',
      { type: 'direct', memberIds: [hank.user.id] },
      { token: alice.accessToken },
    );
    expect(direct.status).toBe(201);
    const directId = direct.body.id as string;
    const hankTypes = typingOf(alice1, hank, directId, true);
    expect(await emitAck(hank1, 'typing:start', { roomId: directId })).toEqual({ ok: true, data: {} });
    await hankTypes;
    const block = await http.post(`/api/v1/users/${hank.user.id}/block`, undefined, {
      token: alice.accessToken,
    });
    expect(block.status).toBe(204);
    const hankStops = typingOf(alice1, hank, directId, false);
    const blocked = await emitAck(hank1, 'typing:start', { roomId: directId });
    expect(blocked).toEqual({ ok: false, error: expect.objectContaining({ code: 'USER_BLOCKED' }) });
    expect(await hankStops).toEqual({ roomId: directId, userId: hank.user.id, isTyping: false });
  });

  it('puts sockets into rooms created or joined later, and takes them out when removed', async () => {
    const dave = await registerUser(app);
    const dave1 = await connectSocket(app, dave.accessToken);
    opened.push(dave1);

    const created = nextEvent(dave1, 'room:created');
    const newRoomId = await createGroup(app, alice, [dave]);
    expect(await created).toEqual(expect.objectContaining({ id: newRoomId, type: 'group' }));
    // Listening before sending: the event may arrive before the HTTP response does.
    const welcomed = nextEvent(dave1, 'message:created', (message) => message.content === 'welcome dave');
    const first = await sendOverRest(app, alice, newRoomId, 'welcome dave');
    expect((await welcomed).id).toBe(first.id);

    // Added to an existing room: the socket joins it without reconnecting.
    const added = nextEvent(dave1, 'member:added', (event) => event.roomId === roomId);
    const add = await http.post(
      `/api/v1/rooms/${roomId}/members`,
      { userIds: [dave.user.id] },
      { token: alice.accessToken },
    );
    expect(add.status).toBe(201);
    expect(await added).toEqual({ roomId, userIds: [dave.user.id] });
    const daveSeen = record<{ id: string; content: string }>(dave1, 'message:created');
    const hello = await sendOverSocket(carol1, roomId, 'hello dave');
    await settle([dave1], carol1, roomId);
    expect(countById(daveSeen, hello.id)).toBe(1);

    // Removed: told so, then nothing more from that room.
    const removed = nextEvent(dave1, 'member:removed', (event) => event.roomId === roomId);
    const remove = await http.delete(`/api/v1/rooms/${roomId}/members/${dave.user.id}`, undefined, {
      token: alice.accessToken,
    });
    expect(remove.status).toBe(204);
    expect(await removed).toEqual({ roomId, userId: dave.user.id });
    const secret = await sendOverSocket(carol1, roomId, 'dave is gone');
    await settle([alice1], carol1, roomId);
    // Dave's socket is still connected and in his other room: a sentinel there proves his stream is flushed.
    await settle([dave1], alice1, newRoomId);
    expect(countById(daveSeen, secret.id)).toBe(0);
  });

  it('tells the room about renames and role changes, and about a deleted room', async () => {
    const frank = await registerUser(app);
    const frank1 = await connectSocket(app, frank.accessToken);
    opened.push(frank1);
    const groupId = await createGroup(app, alice, [bob, frank]);

    const renamed = nextEvent(bob1, 'room:updated', (room) => room.id === groupId);
    const patch = await http.patch(
      `/api/v1/rooms/${groupId}`,
      { name: 'renamed' },
      { token: alice.accessToken },
    );
    expect(patch.status).toBe(200);
    expect(await renamed).toEqual(expect.objectContaining({ id: groupId, name: 'renamed' }));

    const promoted = nextEvent(frank1, 'member:updated', (event) => event.roomId === groupId);
    const role = await http.patch(
      `/api/v1/rooms/${groupId}/members/${bob.user.id}`,
      { role: 'admin' },
      { token: alice.accessToken },
    );
    expect(role.status).toBe(200);
    expect(await promoted).toEqual({ roomId: groupId, userId: bob.user.id, role: 'admin' });

    const deleted = nextEvent(frank1, 'room:deleted', (event) => event.roomId === groupId);
    const del = await http.delete(`/api/v1/rooms/${groupId}`, undefined, { token: alice.accessToken });
    expect(del.status).toBe(204);
    expect(await deleted).toEqual({ roomId: groupId });
    expect((await emitAck(frank1, 'typing:start', { roomId: groupId })).error?.code).toBe('ROOM_NOT_FOUND');
  });

  it('tells both people of a new direct room who their peer is', async () => {
    const grace = await registerUser(app);
    const grace1 = await connectSocket(app, grace.accessToken);
    opened.push(grace1);
    const forGrace = nextEvent(grace1, 'room:created', (room) => room.type === 'direct');
    const forCarol = nextEvent(carol1, 'room:created', (room) => room.type === 'direct');
    const res = await http.post(
      '/api/v1/rooms',
      { type: 'direct', memberIds: [grace.user.id] },
      { token: carol.accessToken },
    );
    expect(res.status).toBe(201);
    expect(await forGrace).toEqual(expect.objectContaining({ id: res.body.id, peerId: carol.user.id }));
    expect(await forCarol).toEqual(expect.objectContaining({ id: res.body.id, peerId: grace.user.id }));
  });

  it('lets nobody message or "type" across a block in a direct room', async () => {
    const henry = await registerUser(app);
    const direct = await http.post(
      '/api/v1/rooms',
      { type: 'direct', memberIds: [henry.user.id] },
      { token: carol.accessToken },
    );
    expect(direct.status).toBe(201);
    const block = await http.post(`/api/v1/users/${carol.user.id}/block`, undefined, {
      token: henry.accessToken,
    });
    expect(block.status).toBe(204);
    const typing = await emitAck(carol1, 'typing:start', { roomId: direct.body.id });
    expect(typing).toEqual({ ok: false, error: expect.objectContaining({ code: 'USER_BLOCKED' }) });
    const send = await emitAck(carol1, 'message:send', {
      roomId: direct.body.id,
      clientMessageId: randomUUID(),
      content: 'hello?',
    });
    expect(send.error?.code).toBe('USER_BLOCKED');
  });

  /** `message:updated` carries `reactions[].me` for the socket's own user, like a REST read by that user. */
  describe('message:updated as each reader sees it', () => {
    async function connect(user: RegisteredUser): Promise<Socket> {
      const socket = await connectSocket(app, user.accessToken);
      opened.push(socket);
      return socket;
    }

    async function react(user: RegisteredUser, messageId: string, emoji: string): Promise<void> {
      const res = await http.put(
        `/api/v1/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`,
        undefined,
        { token: user.accessToken },
      );
      expect(res.status).toBe(204);
    }

    async function readAs(user: RegisteredUser, messageId: string): Promise<Record<string, unknown>> {
      const res = await http.get(`/api/v1/messages/${messageId}`, { token: user.accessToken });
      expect(res.status).toBe(200);
      return res.body as Record<string, unknown>;
    }

    it('tells each reactor which emojis are theirs, everyone else none, and former members nothing', async () => {
      const [alice, bob, carol, dave, erin, eve] = await Promise.all(
        Array.from({ length: 6 }, () => registerUser(app)),
      );
      const roomId = await createGroup(app, alice, [bob, carol, dave, erin]);
      // erin stays reachable through a room she keeps, to know when everything sent before has arrived.
      const erinsOtherRoom = await createGroup(app, alice, [erin]);
      const [alice1, bob1, bob2, carol1, dave1, erin1, eve1] = await Promise.all(
        [alice, bob, bob, carol, dave, erin, eve].map(connect),
      );
      const message = await sendOverSocket(alice1, roomId, 'tpyo');
      await react(carol, message.id, THUMBS);
      await react(bob, message.id, PARTY);
      await react(bob, message.id, THUMBS);
      await react(alice, message.id, THUMBS);
      await react(erin, message.id, PARTY);
      await react(erin, message.id, THUMBS);
      const left = await http.delete(`/api/v1/rooms/${roomId}/members/${erin.user.id}`, undefined, {
        token: erin.accessToken,
      });
      expect(left.status).toBe(204);

      const members = [alice1, bob1, bob2, carol1, dave1];
      const seen = new Map(
        [...members, erin1, eve1].map((socket) => [socket, record(socket, 'message:updated')]),
      );
      const edit = await http.patch(
        `/api/v1/messages/${message.id}`,
        { content: 'typo' },
        { token: alice.accessToken },
      );
      expect(edit.status).toBe(200);
      await settle(members, alice1, roomId);
      const erinsMarker = nextEvent(erin1, 'message:created', (m) => m.roomId === erinsOtherRoom);
      await sendOverSocket(alice1, erinsOtherRoom, 'marker');
      await erinsMarker;

      // Counts include every reaction, erin's too (she reacted while a member); `me` is the reader's own.
      const reactions = (thumbs: boolean, party: boolean) => [
        { emoji: THUMBS, count: 4, me: thumbs },
        { emoji: PARTY, count: 2, me: party },
      ];
      const edited = { id: message.id, content: 'typo' };
      expect(edit.body).toEqual(expect.objectContaining({ ...edited, reactions: reactions(true, false) }));
      const expected: Array<[Socket, RegisteredUser, ReturnType<typeof reactions>]> = [
        [alice1, alice, reactions(true, false)],
        [bob1, bob, reactions(true, true)],
        [bob2, bob, reactions(true, true)],
        [carol1, carol, reactions(true, false)],
        [dave1, dave, reactions(false, false)],
      ];
      for (const [socket, user, mine] of expected) {
        // Exactly one event per socket, the message as a REST read by that user shows it.
        expect(seen.get(socket)).toEqual([expect.objectContaining({ ...edited, reactions: mine })]);
        expect(seen.get(socket)![0]).toEqual(await readAs(user, message.id));
      }
      expect(seen.get(erin1)).toEqual([]);
      expect(seen.get(eve1)).toEqual([]);
    });

    it('sends every member the plain view when nobody in the room reacted', async () => {
      const [alice, bob] = await Promise.all([registerUser(app), registerUser(app)]);
      const roomId = await createGroup(app, alice, [bob]);
      const [alice1, bob1] = await Promise.all([connect(alice), connect(bob)]);
      const message = await sendOverSocket(alice1, roomId, 'plain');
      const seen = [alice1, bob1].map((socket) => record(socket, 'message:updated'));
      const edit = await http.patch(
        `/api/v1/messages/${message.id}`,
        { content: 'still plain' },
        { token: alice.accessToken },
      );
      expect(edit.status).toBe(200);
      await settle([alice1, bob1], alice1, roomId);
      for (const events of seen) {
        expect(events).toEqual([edit.body]);
      }
    });
  });

  it('exports socket and delivery metrics', async () => {
    const res = await http.get('/metrics');
    expect(res.text).toMatch(/^websocket_events_total\{event="message:send"\} [1-9]/m);
    expect(res.text).toMatch(/^message_delivery_lag_seconds_count [1-9]/m);
    expect(res.text).toMatch(/^messages_total [1-9]/m);
  });
});
