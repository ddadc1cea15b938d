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
  sendOverSocket,
  settle,
  startRealtimeApp,
  type RegisteredUser,
  type Socket,
  type TestApp,
} from '../realtime/helpers';

/**
 * Ids are UUIDs, and UUIDs are case-insensitive: an id written in upper case names the same room, user or upload
 * as the lower-case id the API hands out, over REST and Socket.IO alike. (The database matched either case while
 * Socket.IO room names and in-memory comparisons did not: a member added under an upper-case room id heard
 * nothing, and one removed under it kept receiving the room's messages.)
 */
describe('ids in upper case', () => {
  let app: TestApp;
  let http: Http;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;
  let alice1: Socket;
  let bob1: Socket;
  const opened: Socket[] = [];
  const upper = (id: string): string => id.toUpperCase();

  beforeAll(async () => {
    app = await startRealtimeApp();
    http = Http.for(app);
    [alice, bob] = await Promise.all([registerUser(app), registerUser(app)]);
    roomId = await createGroup(app, alice, [bob]);
    [alice1, bob1] = await Promise.all([
      connectSocket(app, alice.accessToken),
      connectSocket(app, bob.accessToken),
    ]);
    opened.push(alice1, bob1);
  });

  afterAll(async () => {
    closeAll(opened);
    await app.stop();
  });

  it('sends over REST with upper-case room, parent and attachment ids, answering with lower-case ones', async () => {
    const form = new FormData();
    form.append('file', new Blob(['notes']), 'notes.txt');
    const uploaded = await fetch(`${app.url}/api/v1/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.accessToken}` },
      body: form,
    });
    expect(uploaded.status).toBe(201);
    const media = (await uploaded.json()) as { id: string };

    const parent = await sendOverSocket(alice1, roomId, 'thread start');
    const res = await http.post(
      `/api/v1/rooms/${upper(roomId)}/messages`,
      {
        clientMessageId: randomUUID(),
        content: 'with a file',
        parentId: upper(parent.id),
        attachmentIds: [upper(media.id)],
      },
      { token: alice.accessToken },
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      roomId,
      parentId: parent.id,
      attachments: [expect.objectContaining({ id: media.id })],
    });

    // The same upload named twice, once in each case, is a duplicate.
    const twice = await http.post(
      `/api/v1/rooms/${roomId}/messages`,
      { clientMessageId: randomUUID(), content: 'twice', attachmentIds: [media.id, upper(media.id)] },
      { token: alice.accessToken },
    );
    expect(twice.status).toBe(400);
    expect(twice.body.code).toBe('VALIDATION_FAILED');
  });

  it('creates rooms with upper-case member ids, and knows the caller and duplicates in any case', async () => {
    const carol = await registerUser(app);
    const direct = await http.post(
      '/api/v1/rooms',
      { type: 'direct', memberIds: [upper(carol.user.id)] },
      { token: alice.accessToken },
    );
    expect(direct.status).toBe(201);
    const members = await http.get(`/api/v1/rooms/${direct.body.id}/members`, { token: carol.accessToken });
    expect(members.body.items.map((member: { userId: string }) => member.userId).sort()).toEqual(
      [alice.user.id, carol.user.id].sort(),
    );

    const withSelf = await http.post(
      '/api/v1/rooms',
      { type: 'direct', memberIds: [upper(alice.user.id)] },
      { token: alice.accessToken },
    );
    expect(withSelf.status).toBe(400);

    const duplicated = await http.post(
      '/api/v1/rooms',
      { type: 'group', name: 'dup', memberIds: [carol.user.id, upper(carol.user.id)] },
      { token: alice.accessToken },
    );
    expect(duplicated.status).toBe(400);
    expect(duplicated.body.code).toBe('VALIDATION_FAILED');
  });

  it('delivers to a member added under an upper-case room id, and stops when removed under one', async () => {
    const dave = await registerUser(app);
    const dave1 = await connectSocket(app, dave.accessToken);
    opened.push(dave1);
    const otherRoomId = await createGroup(app, alice, [dave]);

    const added = nextEvent(dave1, 'member:added', (event) => event.roomId === roomId);
    const add = await http.post(
      `/api/v1/rooms/${upper(roomId)}/members`,
      { userIds: [upper(dave.user.id)] },
      { token: alice.accessToken },
    );
    expect(add.status).toBe(201);
    expect(await added).toEqual({ roomId, userIds: [dave.user.id] });
    const daveSeen = record<{ id: string }>(dave1, 'message:created');
    const hello = await sendOverSocket(bob1, roomId, 'hello dave');
    await settle([dave1], bob1, roomId);
    expect(daveSeen.filter((message) => message.id === hello.id)).toHaveLength(1);

    const removed = nextEvent(bob1, 'member:removed', (event) => event.roomId === roomId);
    const remove = await http.delete(
      `/api/v1/rooms/${upper(roomId)}/members/${upper(dave.user.id)}`,
      undefined,
      { token: alice.accessToken },
    );
    expect(remove.status).toBe(204);
    expect(await removed).toEqual({ roomId, userId: dave.user.id });
    const secret = await sendOverSocket(bob1, roomId, 'dave is gone');
    await settle([alice1], bob1, roomId);
    // Dave's socket is still in his other room: a sentinel there proves his stream is flushed.
    await settle([dave1], alice1, otherRoomId);
    expect(daveSeen.filter((message) => message.id === secret.id)).toEqual([]);
  });

  it('relays socket events about an upper-case room id to the room', async () => {
    const message = await sendOverSocket(bob1, roomId, 'read me');
    const read = nextEvent(bob1, 'room:read', (event) => event.userId === alice.user.id);
    expect(await emitAck(alice1, 'room:read', { roomId: upper(roomId), seq: message.seq })).toEqual({
      ok: true,
      data: {},
    });
    expect(await read).toMatchObject({ roomId, userId: alice.user.id, seq: message.seq });

    const typing = nextEvent(bob1, 'typing', (event) => event.userId === alice.user.id && event.isTyping);
    expect(await emitAck(alice1, 'typing:start', { roomId: upper(roomId) })).toEqual({ ok: true, data: {} });
    expect(await typing).toEqual({ roomId, userId: alice.user.id, isTyping: true });
    const stopped = nextEvent(bob1, 'typing', (event) => event.userId === alice.user.id && !event.isTyping);
    expect(await emitAck(alice1, 'typing:stop', { roomId })).toEqual({ ok: true, data: {} });
    await stopped;

    const sent = await emitAck(alice1, 'message:send', {
      roomId: upper(roomId),
      clientMessageId: randomUUID(),
      content: 'sent under upper case',
    });
    expect(sent).toMatchObject({ ok: true, data: { roomId } });

    const synced = await emitAck(alice1, 'sync', { rooms: { [upper(roomId)]: message.rev } });
    expect(synced.ok).toBe(true);
    expect(synced.data.rooms[roomId].messages.map((item: { content: string }) => item.content)).toContain(
      'sent under upper case',
    );
  });
});
