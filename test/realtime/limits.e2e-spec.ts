import { randomUUID } from 'node:crypto';
import { Http } from '../support/http';
import {
  closeAll,
  connectSocket,
  createGroup,
  delay,
  disconnected,
  emitAck,
  registerUser,
  startRealtimeApp,
  type RegisteredUser,
  type Socket,
  type TestApp,
} from './helpers';

describe('Socket.IO limits', () => {
  let app: TestApp;
  let alice: RegisteredUser;
  let roomId: string;
  const opened: Socket[] = [];

  beforeAll(async () => {
    app = await startRealtimeApp({ SOCKET_EVENTS_PER_SECOND: '5', SOCKET_MAX_FRAME_BYTES: '4096' });
    alice = await registerUser(app);
    roomId = await createGroup(app, alice, []);
  });

  afterAll(async () => {
    closeAll(opened);
    await app.stop();
  });

  async function connect(): Promise<Socket> {
    const socket = await connectSocket(app, alice.accessToken);
    opened.push(socket);
    return socket;
  }

  it('answers a flood with RATE_LIMITED acks, per socket, and recovers', async () => {
    const flooder = await connect();
    const calm = await connect();
    const acks = await Promise.all(
      Array.from({ length: 40 }, () => emitAck(flooder, 'typing:stop', { roomId })),
    );
    const limited = acks.filter((ack) => !ack.ok);
    expect(acks.filter((ack) => ack.ok).length).toBeGreaterThanOrEqual(5);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0].error).toEqual({
      code: 'RATE_LIMITED',
      message: expect.any(String),
      retryAfterMs: expect.any(Number),
    });

    // Another socket has its own budget, and the process is fine.
    expect(await emitAck(calm, 'typing:stop', { roomId })).toEqual({ ok: true, data: {} });
    expect((await Http.for(app).get('/health')).status).toBe(200);

    await delay((limited[limited.length - 1].error as any).retryAfterMs + 50);
    expect(await emitAck(flooder, 'typing:stop', { roomId })).toEqual({ ok: true, data: {} });
  });

  it('drops a socket that sends an oversize frame; the process and other sockets carry on', async () => {
    const offender = await connect();
    const bystander = await connect();
    const dropped = disconnected(offender);
    offender.emit('message:send', { roomId, clientMessageId: randomUUID(), content: 'x'.repeat(10_000) });
    expect(await dropped).toBe('transport close');

    expect((await Http.for(app).get('/health')).status).toBe(200);
    const ack = await emitAck(bystander, 'message:send', {
      roomId,
      clientMessageId: randomUUID(),
      content: 'still here',
    });
    expect(ack).toEqual({ ok: true, data: expect.objectContaining({ content: 'still here' }) });
  });
});
