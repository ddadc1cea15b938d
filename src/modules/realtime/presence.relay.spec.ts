import type { RoomsService } from '../rooms/rooms.service';
import type { PresenceStore } from '../users/presence.store';
import type { UsersService } from '../users/users.service';
import { PresenceRelay } from './presence.relay';
import type { PresenceEvent } from './realtime.events';
import type { SocketPublisher } from './socket.publisher';

/** An in-memory PresenceStore with the same answers: first connection in, last connection out. */
class FakeStore {
  readonly live = new Map<string, Set<string>>();
  async connect(userId: string, connectionId: string): Promise<boolean> {
    const set = this.live.get(userId) ?? new Set<string>();
    this.live.set(userId, set);
    const first = set.size === 0;
    set.add(connectionId);
    return first;
  }
  async refresh(): Promise<void> {}
  async disconnect(userId: string, connectionId: string): Promise<boolean> {
    const set = this.live.get(userId);
    const removed = set?.delete(connectionId) ?? false;
    return removed && set!.size === 0;
  }
}

describe('PresenceRelay', () => {
  let store: FakeStore;
  let sent: Array<{ roomIds: readonly string[]; event: PresenceEvent }>;
  let touched: Array<[string, Date]>;
  let relay: PresenceRelay;

  beforeEach(() => {
    store = new FakeStore();
    sent = [];
    touched = [];
    const users = { touchLastSeen: async (id: string, at: Date) => void touched.push([id, at]) };
    const rooms = { roomIdsForUser: async () => ['r1', 'r2'] };
    const publisher = {
      presence: (roomIds: readonly string[], event: PresenceEvent) => sent.push({ roomIds, event }),
    };
    relay = new PresenceRelay(
      store as unknown as PresenceStore,
      users as unknown as UsersService,
      rooms as unknown as RoomsService,
      publisher as unknown as SocketPublisher,
    );
  });

  afterEach(() => relay.onModuleDestroy());

  it('announces online for the first socket only, to the rooms it is in', async () => {
    await relay.connected('u1', 's1', ['r1']);
    await relay.connected('u1', 's2', ['r1']);
    expect(sent).toEqual([
      { roomIds: ['r1'], event: expect.objectContaining({ userId: 'u1', status: 'online' }) },
    ]);
  });

  it('announces offline and records lastSeenAt when the last socket goes', async () => {
    await relay.connected('u1', 's1', ['r1']);
    await relay.connected('u1', 's2', ['r1']);
    await relay.disconnected('u1', 's1');
    expect(sent.map((entry) => entry.event.status)).toEqual(['online']);
    await relay.disconnected('u1', 's2');
    expect(sent.map((entry) => entry.event.status)).toEqual(['online', 'offline']);
    const offline = sent[1];
    expect(offline.roomIds).toEqual(['r1', 'r2']);
    expect(touched).toEqual([['u1', new Date(offline.event.lastSeenAt)]]);
  });

  it('ignores a disconnect it never saw connect, and a second disconnect', async () => {
    await relay.disconnected('u1', 'unknown');
    await relay.connected('u1', 's1', []);
    await relay.disconnected('u1', 's1');
    await relay.disconnected('u1', 's1');
    expect(touched).toHaveLength(1);
  });

  it('does not announce online for a socket that left while its lease was being written', async () => {
    const connecting = relay.connected('u1', 's1', ['r1']);
    const leaving = relay.disconnected('u1', 's1');
    await Promise.all([connecting, leaving]);
    expect(sent.filter((entry) => entry.event.status === 'online')).toEqual([]);
  });

  it('releases every local socket at shutdown', async () => {
    await relay.connected('u1', 's1', []);
    await relay.connected('u2', 's2', []);
    await relay.releaseAll();
    expect(touched.map(([id]) => id).sort()).toEqual(['u1', 'u2']);
    await relay.disconnected('u1', 's1');
    expect(touched).toHaveLength(2);
  });
});
