import { randomUUID } from 'node:crypto';
import { Http } from '../support/http';
import {
  closeAll,
  connectSocket,
  decodeClaims,
  emitAck,
  forgeAccessToken,
  registerUser,
  startRealtimeApp,
  type RegisteredUser,
  type Socket,
  type TestApp,
} from './helpers';

describe('Socket.IO handshake', () => {
  let app: TestApp;
  let alice: RegisteredUser;
  const opened: Socket[] = [];

  beforeAll(async () => {
    app = await startRealtimeApp({ CORS_ORIGINS: 'https://chat.example.test' });
    alice = await registerUser(app);
  });

  afterAll(async () => {
    closeAll(opened);
    await app.stop();
  });

  async function refused(token: string | undefined, headers?: Record<string, string>): Promise<Error> {
    try {
      opened.push(await connectSocket(app, token, { headers }));
    } catch (error) {
      return error as Error;
    }
    throw new Error('the connection was accepted');
  }

  it('accepts a valid access token', async () => {
    const socket = await connectSocket(app, alice.accessToken);
    opened.push(socket);
    expect(socket.connected).toBe(true);
  });

  it('refuses a connection without a token with UNAUTHORIZED', async () => {
    expect((await refused(undefined)).message).toBe('UNAUTHORIZED');
  });

  it('refuses a malformed or wrongly signed token with UNAUTHORIZED', async () => {
    expect((await refused('not-a-jwt')).message).toBe('UNAUTHORIZED');
    const claims = decodeClaims(alice.accessToken);
    const wrongKey = forgeAccessToken(claims, 'some-other-secret-that-is-long-enough-0123456789');
    expect((await refused(wrongKey)).message).toBe('UNAUTHORIZED');
  });

  it('refuses an expired token with UNAUTHORIZED', async () => {
    const claims = decodeClaims(alice.accessToken);
    const now = Math.floor(Date.now() / 1000);
    const expired = forgeAccessToken({ ...claims, iat: now - 120, exp: now - 60 });
    expect((await refused(expired)).message).toBe('UNAUTHORIZED');
  });

  it('refuses a token of an unknown session with UNAUTHORIZED', async () => {
    const claims = decodeClaims(alice.accessToken);
    const forged = forgeAccessToken({ ...claims, sid: randomUUID() });
    expect((await refused(forged)).message).toBe('UNAUTHORIZED');
  });

  it('refuses a browser from a foreign Origin, on both transports', async () => {
    const headers = { origin: 'https://evil.example' };
    await expect(connectSocket(app, alice.accessToken, { headers })).rejects.toThrow();
    await expect(
      connectSocket(app, alice.accessToken, { headers, transports: ['polling'] }),
    ).rejects.toThrow();
  });

  it('accepts a browser from an allowed Origin', async () => {
    const socket = await connectSocket(app, alice.accessToken, {
      headers: { origin: 'https://chat.example.test' },
      transports: ['polling'],
    });
    opened.push(socket);
    expect(socket.connected).toBe(true);
  });

  it('connects with the client defaults: long-polling first, then upgraded to WebSocket', async () => {
    const socket = await connectSocket(app, alice.accessToken, { transports: ['polling', 'websocket'] });
    opened.push(socket);
    const engine = socket.io.engine;
    if (engine.transport.name !== 'websocket')
      await new Promise((resolve) => engine.once('upgrade', resolve));
    expect(engine.transport.name).toBe('websocket');
    const synced = await emitAck(socket, 'sync', { rooms: {} });
    expect(synced).toEqual({ ok: true, data: { rooms: {}, unavailable: [] } });
  });

  it('counts open connections in websocket_connections_active', async () => {
    const res = await Http.for(app).get('/metrics');
    const line = res.text.split('\n').find((row) => row.startsWith('websocket_connections_active '));
    expect(Number(line?.split(' ')[1])).toBeGreaterThanOrEqual(2);
  });
});
