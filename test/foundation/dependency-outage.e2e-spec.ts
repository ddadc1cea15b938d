import { randomUUID } from 'node:crypto';
import { eventually } from '../conversations/helpers';
import { startApp, type TestApp } from '../support/app';
import { expectError, Http } from '../support/http';
import { CuttableProxy } from '../support/proxy';
import { runEnv } from '../support/run-env';
import { connectSocket, emitAck } from '../support/socket';
import { registerUser, type RegisteredUser } from '../support/users';

/**
 * PostgreSQL or Redis going away while the server runs: requests that need it are answered 503
 * SERVICE_UNAVAILABLE with Retry-After (API.md: "503 a dependency is down"; they were 500 INTERNAL_ERROR), and
 * the server recovers by itself when the dependency is back. Each spec reaches the service through a proxy it
 * can cut, so the services other runs share keep running.
 */
describe('a dependency going away', () => {
  async function setUp(app: TestApp): Promise<{ alice: RegisteredUser; roomId: string }> {
    const [alice, bob] = [await registerUser(app), await registerUser(app)];
    const room = await Http.for(app).post(
      '/api/v1/rooms',
      { type: 'group', name: 'Outage', memberIds: [bob.user.id] },
      { token: alice.accessToken },
    );
    if (room.status !== 201) throw new Error(`createRoom: ${room.status} ${room.text}`);
    return { alice, roomId: room.body.id as string };
  }

  const send = (app: TestApp, user: RegisteredUser, roomId: string) =>
    Http.for(app).post(
      `/api/v1/rooms/${roomId}/messages`,
      { clientMessageId: randomUUID(), content: 'are you there?' },
      { token: user.accessToken },
    );

  it('answers 503 over REST and Socket.IO while PostgreSQL is unreachable, and recovers by itself', async () => {
    const proxy = new CuttableProxy(Number(new URL(runEnv().databaseUrl).port || 5432));
    await proxy.open();
    const databaseUrl = new URL(runEnv().databaseUrl);
    databaseUrl.port = String(proxy.port);
    const app = await startApp({ DATABASE_URL: databaseUrl.toString() });
    try {
      const { alice, roomId } = await setUp(app);
      const socket = await connectSocket(app, alice.accessToken);
      try {
        await proxy.cut();
        const refused = await send(app, alice, roomId);
        expectError(refused, 503, 'SERVICE_UNAVAILABLE');
        expect(refused.headers.get('retry-after')).toBe('1');
        const ack = await emitAck(socket, 'message:send', {
          roomId,
          clientMessageId: randomUUID(),
          content: 'over the socket',
        });
        expect(ack).toEqual({
          ok: false,
          error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String) },
        });
        expectError(await Http.for(app).get('/health/ready'), 503, 'SERVICE_UNAVAILABLE');

        await proxy.open();
        await eventually(
          async () => ((await send(app, alice, roomId)).status === 201 ? true : undefined),
          'sending to work again',
        );
        const again = await emitAck(socket, 'message:send', {
          roomId,
          clientMessageId: randomUUID(),
          content: 'back',
        });
        expect(again.ok).toBe(true);
      } finally {
        socket.close();
      }
    } finally {
      await app.stop();
      await proxy.cut();
    }
  });

  it('answers 503 while Redis is unreachable, and recovers by itself', async () => {
    const proxy = new CuttableProxy(Number(new URL(runEnv().redisUrl).port || 6379));
    await proxy.open();
    const app = await startApp({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
    try {
      const { alice, roomId } = await setUp(app);
      await proxy.cut();
      const refused = await send(app, alice, roomId);
      expectError(refused, 503, 'SERVICE_UNAVAILABLE');
      expect(refused.headers.get('retry-after')).toBe('1');

      await proxy.open();
      await eventually(
        async () => ((await send(app, alice, roomId)).status === 201 ? true : undefined),
        'sending to work again',
      );
    } finally {
      await app.stop();
      await proxy.cut();
    }
  });
});
