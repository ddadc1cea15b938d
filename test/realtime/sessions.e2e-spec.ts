import { Client } from 'pg';
import { io } from 'socket.io-client';
import { runScript } from '../support/app';
import { runEnv } from '../support/run-env';
import { Http } from '../support/http';
import { record } from '../support/socket';
import {
  closeAll,
  connectSocket,
  createGroup,
  delay,
  disconnected,
  emitAck,
  nextEvent,
  registerUser,
  settle,
  startRealtimeApp,
  type RegisteredUser,
  type Socket,
  type TestApp,
} from './helpers';

describe('Socket.IO sessions and presence', () => {
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

  it('tells room mates when a user comes online and goes offline, and records lastSeenAt', async () => {
    const alice1 = await connectSocket(app, alice.accessToken);
    opened.push(alice1);

    const presenceSeen = record<{ userId: string; status: string }>(alice1, 'presence');
    const online = nextEvent(alice1, 'presence', (event) => event.userId === bob.user.id);
    const bob1 = await connectSocket(app, bob.accessToken);
    expect(await online).toEqual({ userId: bob.user.id, status: 'online', lastSeenAt: expect.any(String) });
    const profile = await http.get(`/api/v1/users/${bob.user.id}`, { token: alice.accessToken });
    expect(profile.body.presence).toBe('online');

    // A second device does not announce again, and closing one of two keeps the user online.
    const bob2 = await connectSocket(app, bob.accessToken);
    bob2.close();
    const offline = nextEvent(alice1, 'presence', (event) => event.userId === bob.user.id);
    bob1.close();
    const event = await offline;
    expect(event).toEqual({ userId: bob.user.id, status: 'offline', lastSeenAt: expect.any(String) });

    const after = await http.get(`/api/v1/users/${bob.user.id}`, { token: alice.accessToken });
    expect(after.body).toEqual(
      expect.objectContaining({ presence: 'offline', lastSeenAt: event.lastSeenAt }),
    );
    // Exactly one transition each way, whatever order the two devices' disconnects were processed in.
    await settle([alice1], alice1, roomId);
    const bobTransitions = presenceSeen.filter((presence) => presence.userId === bob.user.id);
    expect(bobTransitions.map((presence) => presence.status)).toEqual(['online', 'offline']);
  });

  it('records lastSeenAt for each of several users who go offline together', async () => {
    const [carol, dave] = await Promise.all([registerUser(app), registerUser(app)]);
    // Presence goes to room mates: Alice shares a room with both.
    await createGroup(app, alice, [carol, dave]);
    const watcher = await connectSocket(app, alice.accessToken);
    opened.push(watcher);
    const [carolSocket, daveSocket] = await Promise.all([
      connectSocket(app, carol.accessToken),
      connectSocket(app, dave.accessToken),
    ]);
    const offline = (userId: string) =>
      nextEvent<{ userId: string; status: string; lastSeenAt: string }>(
        watcher,
        'presence',
        (event) => event.userId === userId && event.status === 'offline',
      );
    const carolGone = offline(carol.user.id);
    const daveGone = offline(dave.user.id);
    carolSocket.close();
    daveSocket.close();
    const events = await Promise.all([carolGone, daveGone]);

    for (const [user, event] of [
      [carol, events[0]],
      [dave, events[1]],
    ] as const) {
      const profile = await http.get(`/api/v1/users/${user.user.id}`, { token: alice.accessToken });
      expect(profile.body).toEqual(
        expect.objectContaining({ presence: 'offline', lastSeenAt: event.lastSeenAt }),
      );
    }
  });

  it('disconnects every live socket of the user on POST /auth/logout-all', async () => {
    const carol = await registerUser(app);
    const [phone, laptop] = await Promise.all([
      connectSocket(app, carol.accessToken),
      connectSocket(app, carol.accessToken),
    ]);
    opened.push(phone, laptop);
    const bystander = await connectSocket(app, alice.accessToken);
    opened.push(bystander);

    const dropped = Promise.all([disconnected(phone), disconnected(laptop)]);
    const res = await http.post('/api/v1/auth/logout-all', undefined, { token: carol.accessToken });
    expect(res.status).toBe(204);
    expect(await dropped).toEqual(['io server disconnect', 'io server disconnect']);

    // The token is dead for new connections too; other users are unaffected.
    await expect(connectSocket(app, carol.accessToken)).rejects.toThrow('UNAUTHORIZED');
    expect(bystander.connected).toBe(true);
    expect(await emitAck(bystander, 'typing:stop', { roomId })).toEqual({ ok: true, data: {} });
  });

  it('disconnects every live socket of a user an admin disables', async () => {
    const admin = await registerUser(app);
    const promoted = await runScript('promote-user', [admin.user.username]);
    expect(promoted.code).toBe(0);
    const frank = await registerUser(app);
    const [phone, laptop] = await Promise.all([
      connectSocket(app, frank.accessToken),
      connectSocket(app, frank.accessToken),
    ]);
    opened.push(phone, laptop);

    const dropped = Promise.all([disconnected(phone), disconnected(laptop)]);
    const res = await http.patch(
      `/api/v1/admin/users/${frank.user.id}`,
      { disabled: true },
      { token: admin.accessToken },
    );
    expect(res.status).toBe(200);
    expect(await dropped).toEqual(['io server disconnect', 'io server disconnect']);
    await expect(connectSocket(app, frank.accessToken)).rejects.toThrow('UNAUTHORIZED');
  });

  it('disconnects only the sockets of a session that is logged out', async () => {
    const dave = await registerUser(app);
    const login = await http.post('/api/v1/auth/login', {
      login: dave.user.username,
      password: dave.password,
    });
    expect(login.status).toBe(200);
    const first = await connectSocket(app, dave.accessToken);
    const second = await connectSocket(app, login.body.accessToken);
    opened.push(first, second);

    const dropped = disconnected(second);
    const res = await http.post(
      '/api/v1/auth/logout',
      { refreshToken: login.body.refreshToken },
      {
        token: login.body.accessToken,
      },
    );
    expect(res.status).toBe(204);
    expect(await dropped).toBe('io server disconnect');
    expect(first.connected).toBe(true);
  });

  it('disconnects a socket whose session is logged out while its handshake is still running', async () => {
    const erin = await registerUser(app);
    // Hold the handshake after its token check: its room-list read waits for this lock.
    const pg = new Client({ connectionString: runEnv().databaseUrl });
    await pg.connect();
    try {
      await pg.query('BEGIN');
      await pg.query('LOCK TABLE room_members IN ACCESS EXCLUSIVE MODE');
      const socket = io(app.url, {
        auth: { token: erin.accessToken },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      opened.push(socket);
      const outcome = new Promise<string>((resolve) => {
        // A bound on failure only: a socket that survives its revocation stays until its token expires.
        socket.once('connect', () => setTimeout(() => resolve('still connected'), 10_000).unref());
        socket.once('disconnect', (reason) => resolve(`disconnect: ${reason}`));
        socket.once('connect_error', (error) => resolve(`connect_error: ${error.message}`));
      });
      await waitForLockWaiter(pg, 'room_members');

      const res = await http.post('/api/v1/auth/logout-all', undefined, { token: erin.accessToken });
      expect(res.status).toBe(204);
      await pg.query('COMMIT');

      expect(await outcome).toBe('disconnect: io server disconnect');
      expect(socket.connected).toBe(false);
      await expect(connectSocket(app, erin.accessToken)).rejects.toThrow('UNAUTHORIZED');
    } finally {
      await pg.query('ROLLBACK').catch(() => undefined);
      await pg.end();
    }
  });
});

/** Waits until another backend is waiting for a lock on `table` (the handshake's read behind our lock). */
async function waitForLockWaiter(pg: Client, table: string): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const { rows } = await pg.query<{ waiting: number }>(
      `SELECT count(*)::int AS waiting FROM pg_locks
        WHERE NOT granted AND relation = $1::regclass`,
      [table],
    );
    if (rows[0].waiting > 0) return;
    await delay(20);
  }
  throw new Error(`nobody waited for a lock on ${table}`);
}

describe('Socket.IO access token expiry', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startRealtimeApp({ JWT_ACCESS_TTL_SECONDS: '5' });
  });

  afterAll(async () => {
    await app.stop();
  });

  it('closes a socket when the access token that opened it expires', async () => {
    const user = await registerUser(app);
    const socket = await connectSocket(app, user.accessToken);
    try {
      expect(await disconnected(socket, 15_000)).toBe('io server disconnect');
      await expect(connectSocket(app, user.accessToken)).rejects.toThrow('UNAUTHORIZED');
    } finally {
      socket.close();
    }
  });
});
