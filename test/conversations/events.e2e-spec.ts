import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { TestApp } from '../support/app';
import { Http } from '../support/http';
import { connectSocket, emitAck, nextEvent, record } from '../support/socket';
import { Api, registerUsers, startConversationsApp } from './helpers';

/**
 * What the conversations services publish, observed where users see it: a member's socket. Every check ends
 * with a marker message; events reach a socket in order, so anything extra would have arrived before it.
 */
describe('conversation events as a member sees them', () => {
  let app: TestApp;
  let http: Http;
  let api: Api;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    app = await startConversationsApp();
    http = Http.for(app);
    api = new Api(app);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await app.stop();
  });

  async function setup() {
    const [alice, bob] = await registerUsers(app, 2);
    const room = await api.createGroup(alice, [bob]);
    const socket = await connectSocket(app, bob.accessToken);
    sockets.push(socket);
    const seen: Array<[string, any]> = [];
    for (const event of [
      'message:created',
      'message:updated',
      'message:deleted',
      'reaction:added',
      'reaction:removed',
      'room:delivered',
      'room:read',
    ]) {
      socket.on(event, (payload: any) => seen.push([event, payload]));
    }
    const marker = async (): Promise<void> => {
      const sent = api.send(alice, room.id, `marker ${randomUUID()}`);
      const message = await sent;
      await nextEvent(socket, 'message:created', (payload: any) => payload.id === message.id);
      // Drop the marker itself from what the test inspects.
      const index = seen.findIndex(
        ([name, payload]) => name === 'message:created' && payload.id === message.id,
      );
      seen.splice(index, 1);
    };
    return { alice, bob, room, socket, seen, marker };
  }

  it('announces each stored message exactly once, never a resend', async () => {
    const { alice, room, seen, marker } = await setup();
    const body = { clientMessageId: randomUUID(), content: 'only once' };
    const results = await Promise.all(Array.from({ length: 5 }, () => api.sendRaw(alice, room.id, body)));
    await api.sendRaw(alice, room.id, body);
    await marker();
    const created = seen.filter(([name]) => name === 'message:created').map(([, payload]) => payload);
    expect(created).toEqual([results.find((r) => r.status === 201)!.body]);
  });

  it("announces edits (with the member's own reactions), deletions and real reaction changes only", async () => {
    const { alice, bob, room, seen, marker } = await setup();
    const message = await api.send(alice, room.id, 'to be changed');
    await http.put(`/api/v1/messages/${message.id}/reactions/ok`, undefined, { token: alice.accessToken });
    await http.put(`/api/v1/messages/${message.id}/reactions/ok`, undefined, { token: alice.accessToken });
    await http.delete(`/api/v1/messages/${message.id}/reactions/ok`, undefined, { token: alice.accessToken });
    await http.delete(`/api/v1/messages/${message.id}/reactions/ok`, undefined, { token: alice.accessToken });
    await http.put(`/api/v1/messages/${message.id}/reactions/ok`, undefined, { token: bob.accessToken });
    await http.patch(`/api/v1/messages/${message.id}`, { content: 'changed' }, { token: alice.accessToken });
    await http.delete(`/api/v1/messages/${message.id}`, undefined, { token: alice.accessToken });
    await http.delete(`/api/v1/messages/${message.id}`, undefined, { token: alice.accessToken });
    await marker();

    const reaction = { messageId: message.id, roomId: room.id, emoji: 'ok' };
    expect(seen.map(([name]) => name)).toEqual([
      'message:created',
      'reaction:added',
      'reaction:removed',
      'reaction:added',
      'message:updated',
      'message:deleted',
    ]);
    expect(seen[1][1]).toEqual({ ...reaction, userId: alice.user.id, rev: message.rev + 1 });
    expect(seen[2][1]).toEqual({ ...reaction, userId: alice.user.id, rev: message.rev + 2 });
    expect(seen[3][1]).toEqual({ ...reaction, userId: bob.user.id, rev: message.rev + 3 });
    expect(seen[4][1]).toMatchObject({
      id: message.id,
      content: 'changed',
      rev: message.rev + 4,
      // bob, whose socket this is, reacted with 'ok'.
      reactions: [{ emoji: 'ok', count: 1, me: true }],
    });
    expect(seen[5][1]).toEqual({ id: message.id, roomId: room.id, seq: message.seq, rev: message.rev + 5 });
  });

  it('announces read positions only when they move, and the delivered position a read moves', async () => {
    const { alice, room, seen, marker } = await setup();
    for (let i = 0; i < 4; i += 1) await api.send(alice, room.id, `m${i}`);
    const token = { token: alice.accessToken };
    for (const seq of [2, 1, 2]) await http.post(`/api/v1/rooms/${room.id}/read`, { seq }, token);
    // Alice's client has received up to 3: reading 3 moves only the read position, reading 4 both.
    const aliceSocket = await connectSocket(app, alice.accessToken);
    sockets.push(aliceSocket);
    expect(await emitAck(aliceSocket, 'room:delivered', { roomId: room.id, seq: 3 })).toEqual({
      ok: true,
      data: {},
    });
    for (const seq of [3, 4]) await http.post(`/api/v1/rooms/${room.id}/read`, { seq }, token);
    await marker();
    const positions = seen
      .filter(([name]) => name === 'room:read' || name === 'room:delivered')
      .map(([name, payload]) => [name, payload.seq]);
    // Reading implies delivery: a read that moves delivered with it announces that first.
    expect(positions).toEqual([
      ['room:delivered', 2],
      ['room:read', 2],
      ['room:delivered', 3],
      ['room:read', 3],
      ['room:delivered', 4],
      ['room:read', 4],
    ]);
    expect(seen.find(([name]) => name === 'room:delivered')?.[1]).toEqual({
      roomId: room.id,
      userId: alice.user.id,
      seq: 2,
    });
  });

  it('keeps a removed member from hearing the room', async () => {
    const { alice, bob, room, socket } = await setup();
    const removed = nextEvent(socket, 'member:removed');
    await http.delete(`/api/v1/rooms/${room.id}/members/${bob.user.id}`, undefined, {
      token: alice.accessToken,
    });
    expect(await removed).toEqual({ roomId: room.id, userId: bob.user.id });
    const heard = record(socket, 'message:created');
    // A room bob is still in, as the marker that everything before it has arrived.
    const joined = nextEvent(socket, 'room:created');
    const other = await api.createGroup(alice, [bob]);
    await joined;
    await api.send(alice, room.id, 'not for bob');
    const last = await api.send(alice, other.id, 'for bob');
    await nextEvent(socket, 'message:created', (payload: any) => payload.id === last.id);
    expect(heard.map((payload) => payload.roomId)).toEqual([other.id]);
  });
});
