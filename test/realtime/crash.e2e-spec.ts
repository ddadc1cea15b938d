import { Http } from '../support/http';
import { record } from '../support/socket';
import {
  closeAll,
  connectSocket,
  createGroup,
  nextEvent,
  registerUser,
  startRealtimeApp,
  type RegisteredUser,
  type Socket,
  type TestApp,
} from './helpers';

/** An instance that dies without shutting down cannot announce its users offline; another instance does. */
describe('presence when an instance crashes', () => {
  // Short leases, so a dead instance is noticed within seconds (heartbeats and sweeps every second).
  const env = { PRESENCE_LEASE_SECONDS: '3' };
  let nodeA: TestApp;
  let nodeB: TestApp;
  let alice: RegisteredUser;
  let carol: RegisteredUser;
  let dave: RegisteredUser;
  const opened: Socket[] = [];

  beforeAll(async () => {
    [nodeA, nodeB] = await Promise.all([startRealtimeApp(env), startRealtimeApp(env)]);
    [alice, carol, dave] = await Promise.all([registerUser(nodeA), registerUser(nodeA), registerUser(nodeA)]);
    await createGroup(nodeA, alice, [carol, dave]);
  });

  afterAll(async () => {
    closeAll(opened);
    await Promise.all([nodeA?.stop(), nodeB?.stop()]);
  });

  it('announces offline the users whose only connections were on the crashed instance, and no one else', async () => {
    const aliceOnA = await connectSocket(nodeA, alice.accessToken);
    opened.push(aliceOnA);
    const seen = record<{ userId: string; status: string; lastSeenAt: string }>(aliceOnA, 'presence');
    const carolOnline = nextEvent(aliceOnA, 'presence', (event) => event.userId === carol.user.id);
    const daveOnline = nextEvent(aliceOnA, 'presence', (event) => event.userId === dave.user.id);
    // Carol is only on B; Dave is on B and on A.
    const [carolOnB, daveOnB, daveOnA] = await Promise.all([
      connectSocket(nodeB, carol.accessToken),
      connectSocket(nodeB, dave.accessToken),
      connectSocket(nodeA, dave.accessToken),
    ]);
    opened.push(carolOnB, daveOnB, daveOnA);
    await Promise.all([carolOnline, daveOnline]);

    const carolOffline = nextEvent(
      aliceOnA,
      'presence',
      (event) => event.userId === carol.user.id && event.status === 'offline',
    );
    nodeB.process.kill('SIGKILL');
    const event = await carolOffline;
    expect(event).toEqual({ userId: carol.user.id, status: 'offline', lastSeenAt: expect.any(String) });

    const carolNow = await Http.for(nodeA).get(`/api/v1/users/${carol.user.id}`, {
      token: alice.accessToken,
    });
    expect(carolNow.body).toEqual(
      expect.objectContaining({ presence: 'offline', lastSeenAt: event.lastSeenAt }),
    );
    const daveNow = await Http.for(nodeA).get(`/api/v1/users/${dave.user.id}`, { token: alice.accessToken });
    expect(daveNow.body).toEqual(expect.objectContaining({ presence: 'online' }));
    expect(seen.filter((presence) => presence.userId === dave.user.id).map((p) => p.status)).toEqual([
      'online',
    ]);
    expect(seen.filter((presence) => presence.userId === carol.user.id).map((p) => p.status)).toEqual([
      'online',
      'offline',
    ]);
  });
});
