import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import type { TestApp } from '../support/app';
import { connectSocket, emitAck } from '../support/socket';
import { registerUser } from '../support/users';
import { jsonLogs } from '../foundation/helpers';
import { createGroup, startRealtimeApp } from './helpers';

/**
 * Every client → server event of API.md, sent with malformed payloads: each must be acknowledged with
 * `{ ok: false, error: { code, message } }` (or succeed, where the value happens to be valid), never with an
 * internal error, and the connection must stay up and keep working. Frames over SOCKET_MAX_FRAME_BYTES close the
 * connection by design (limits.e2e-spec.ts), so every payload here stays under it.
 */

/** Values for one field: wrong types, extremes, strings of the wrong kind. */
const FIELD_VALUES: unknown[] = [
  undefined,
  null,
  0,
  -1,
  1.5,
  2 ** 31,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  ' ',
  'x'.repeat(5000),
  '\u0000',
  '😀',
  true,
  [],
  [null],
  {},
  { a: 1 },
  '00000000-0000-0000-0000-000000000000',
];

/** Whole payloads that are not the object every event takes. */
const PAYLOADS: unknown[] = [undefined, null, 0, 'x', true, [], [{}]];

describe('malformed Socket.IO events', () => {
  let app: TestApp;
  let socket: Socket;
  let roomId: string;

  beforeAll(async () => {
    app = await startRealtimeApp({ SOCKET_EVENTS_PER_SECOND: '100000' });
    const [alice, bob] = [await registerUser(app), await registerUser(app)];
    roomId = await createGroup(app, alice, [bob]);
    socket = await connectSocket(app, alice.accessToken);
  });
  afterAll(async () => {
    socket?.close();
    await app.stop();
  });

  it('refuses text with an unpaired surrogate, which PostgreSQL would store altered', async () => {
    // 'k\uD800' and 'k\uDBFF' are different client message ids that both became 'k\uFFFD' in the database: the
    // second send was answered with the first message, and its own content was lost.
    for (const payload of [
      { clientMessageId: 'k\uD800', content: 'first' },
      { clientMessageId: 'k\uDBFF', content: 'second' },
      { clientMessageId: randomUUID(), content: 'a\uDC00b' },
    ]) {
      const ack = await emitAck(socket, 'message:send', { roomId, ...payload });
      expect(ack).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    }
    const paired = await emitAck(socket, 'message:send', {
      roomId,
      clientMessageId: 'k\uD83D\uDE00',
      content: 'a \uD83D\uDE00 b',
    });
    expect(paired).toMatchObject({ ok: true, data: { content: 'a 😀 b', clientMessageId: 'k😀' } });
  });

  it('acknowledges every bad payload with an error in the contract shape, and the connection keeps working', async () => {
    const valid: Record<string, Record<string, unknown>> = {
      'message:send': { roomId, clientMessageId: 'c', content: 'hello' },
      'room:delivered': { roomId, seq: 1 },
      'room:read': { roomId, seq: 1 },
      'typing:start': { roomId },
      'typing:stop': { roomId },
      sync: { rooms: { [roomId]: 0 } },
    };
    const optional: Record<string, string[]> = { 'message:send': ['parentId', 'attachmentIds'] };
    const problems: string[] = [];
    let sent = 0;
    const probe = async (event: string, payload: unknown): Promise<void> => {
      sent += 1;
      const ack = await emitAck(socket, event, payload);
      const shaped =
        ack.ok === true ||
        (ack.ok === false &&
          typeof ack.error?.code === 'string' &&
          typeof ack.error.message === 'string' &&
          ack.error.code !== 'INTERNAL_ERROR');
      if (!shaped)
        problems.push(`${event} ${JSON.stringify(payload)?.slice(0, 80)} -> ${JSON.stringify(ack)}`);
    };

    for (const [event, good] of Object.entries(valid)) {
      for (const payload of PAYLOADS) await probe(event, payload);
      for (const field of [...Object.keys(good), ...(optional[event] ?? []), 'unknownField']) {
        for (const value of FIELD_VALUES) {
          // A fresh clientMessageId each time, so a bad field is never answered from an earlier send.
          await probe(event, { ...good, clientMessageId: randomUUID(), [field]: value });
        }
      }
    }
    for (const value of FIELD_VALUES) {
      await probe('sync', { rooms: { [roomId]: value } });
      await probe('sync', { rooms: { 'not-a-room-id': value } });
    }

    // An unknown event and events sent without an acknowledgement callback are ignored, not fatal.
    socket.emit('no:such-event', {});
    socket.emit('message:send', { roomId });
    socket.emit('typing:start');
    const after = await emitAck(socket, 'message:send', {
      roomId,
      clientMessageId: randomUUID(),
      content: 'still here',
    });

    expect(problems).toEqual([]);
    expect(sent).toBeGreaterThan(400);
    expect(after).toEqual(expect.objectContaining({ ok: true }));
    expect(socket.connected).toBe(true);
    expect(jsonLogs(app).filter((line) => Number(line.level) >= 50)).toEqual([]);
  });
});
