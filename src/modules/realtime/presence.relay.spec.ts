import type { RoomsService } from '../rooms/rooms.service';
import type { PresenceStore } from '../users/presence.store';
import type { UsersService } from '../users/users.service';
import { buildConfig } from '../../config/config';
import { Limiter, PRESENCE_HEARTBEAT_MS, PRESENCE_MAX_ROOM_MEMBERS, PresenceRelay } from './presence.relay';
import type { PresenceEvent } from './realtime.events';
import type { SocketPublisher } from './socket.publisher';

/** The default PRESENCE_OFFLINE_DELAY_SECONDS. */
const DELAY_MS = 15_000;

/** An in-memory PresenceStore with the same answers: first connection in, last connection out. */
class FakeStore {
  readonly live = new Map<string, Set<string>>();
  readonly calls: string[] = [];
  async connect(userId: string, connectionId: string): Promise<boolean> {
    this.calls.push(`connect ${userId}`);
    const set = this.live.get(userId) ?? new Set<string>();
    this.live.set(userId, set);
    const first = set.size === 0;
    set.add(connectionId);
    return first;
  }
  async refreshMany(userIds: readonly string[]): Promise<void> {
    for (const userId of userIds) this.calls.push(`refresh ${userId}`);
  }
  async retire(): Promise<void> {
    this.calls.push('retire');
  }
  dead: Array<{ lastSeenAt: Date; offlineUserIds: string[] }> = [];
  async claimDeadHolders(): Promise<Array<{ lastSeenAt: Date; offlineUserIds: string[] }>> {
    return this.dead.splice(0);
  }
  async disconnect(userId: string, connectionId: string): Promise<boolean> {
    this.calls.push(`disconnect ${userId}`);
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
  let memberCounts: Record<string, number>;
  let countLookups: string[];
  let roomIdLookups: number;

  /** A relay over the fakes above, configured by `env`; `users` replaces the lastSeenAt recorder. */
  function makeRelay(
    env: Record<string, string>,
    users: Pick<UsersService, 'touchLastSeen'> = {
      touchLastSeen: async (id: string, at: Date) => void touched.push([id, at]),
    },
  ): PresenceRelay {
    const rooms = {
      roomIdsForUser: async () => {
        roomIdLookups++;
        return ['r1', 'r2'];
      },
      get: async (_userId: string, roomId: string) => {
        countLookups.push(roomId);
        return { id: roomId, memberCount: memberCounts[roomId] ?? 2 };
      },
    };
    const publisher = {
      presence: (roomIds: readonly string[], event: PresenceEvent) => sent.push({ roomIds, event }),
    };
    return new PresenceRelay(
      store as unknown as PresenceStore,
      users as unknown as UsersService,
      rooms as unknown as RoomsService,
      publisher as unknown as SocketPublisher,
      buildConfig({ NODE_ENV: 'test', ...env }),
    );
  }

  beforeEach(() => {
    store = new FakeStore();
    sent = [];
    touched = [];
    memberCounts = {};
    countLookups = [];
    roomIdLookups = 0;
    // Most cases are about what happens once the user is offline; the delay before that has its own tests.
    relay = makeRelay({ PRESENCE_OFFLINE_DELAY_SECONDS: '0' });
  });

  afterEach(() => {
    relay.onModuleDestroy();
    jest.useRealTimers();
  });

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
  it('announces offline to the rooms the last socket was in, without asking the database', async () => {
    await relay.connected('u1', 's1', ['r1']);
    await relay.disconnected('u1', 's1', ['r1', 'r3']);
    expect(sent[1]).toEqual({
      roomIds: ['r1', 'r3'],
      event: expect.objectContaining({ userId: 'u1', status: 'offline' }),
    });
    expect(roomIdLookups).toBe(0);
  });

  it('holds one lease per user on this instance, whatever the number of their sockets', async () => {
    await Promise.all([relay.connected('u1', 's1', []), relay.connected('u1', 's2', [])]);
    await relay.connected('u2', 's3', []);
    await relay.disconnected('u1', 's1', []);
    expect(store.calls).toEqual(['connect u1', 'connect u2']);
    expect(store.live.get('u1')?.size).toBe(1);
    expect(store.live.get('u1')?.has('s1')).toBe(false);
    await relay.disconnected('u1', 's2', []);
    expect(store.calls).toEqual(['connect u1', 'connect u2', 'disconnect u1']);
    expect(store.live.get('u1')?.size).toBe(0);
  });

  it('announces offline the users a dead instance held, to their rooms, with its last heartbeat as lastSeenAt', async () => {
    const lastSeenAt = new Date('2026-01-02T03:04:05.000Z');
    store.dead.push({ lastSeenAt, offlineUserIds: ['u7'] });
    await relay.sweepDeadInstances();
    expect(touched).toEqual([['u7', lastSeenAt]]);
    expect(sent).toEqual([
      {
        roomIds: ['r1', 'r2'],
        event: { userId: 'u7', status: 'offline', lastSeenAt: lastSeenAt.toISOString() },
      },
    ]);
  });

  it('refreshes one lease per user on each heartbeat', async () => {
    jest.useFakeTimers();
    await relay.connected('u1', 's1', []);
    await relay.connected('u1', 's2', []);
    await relay.connected('u2', 's3', []);
    jest.advanceTimersByTime(PRESENCE_HEARTBEAT_MS);
    expect(store.calls.filter((call) => call.startsWith('refresh')).sort()).toEqual([
      'refresh u1',
      'refresh u2',
    ]);
  });

  it(`leaves out rooms of more than ${PRESENCE_MAX_ROOM_MEMBERS} members, reading each room's size once`, async () => {
    memberCounts = { big: PRESENCE_MAX_ROOM_MEMBERS + 1, edge: PRESENCE_MAX_ROOM_MEMBERS };
    await relay.connected('u1', 's1', ['small', 'big', 'edge']);
    await relay.connected('u2', 's2', ['big', 'edge']);
    await relay.disconnected('u1', 's1', ['small', 'big', 'edge']);
    expect(sent.map((entry) => entry.roomIds)).toEqual([['small', 'edge'], ['edge'], ['small', 'edge']]);
    expect(countLookups.sort()).toEqual(['big', 'edge', 'small']);
  });

  it('does not announce offline when the user came back on this instance meanwhile', async () => {
    let release: () => void = () => undefined;
    const users = {
      touchLastSeen: (id: string, at: Date) =>
        new Promise<void>((resolve) => {
          touched.push([id, at]);
          release = resolve;
        }),
    };
    relay.onModuleDestroy();
    relay = makeRelay({ PRESENCE_OFFLINE_DELAY_SECONDS: '0' }, users);
    await relay.connected('u1', 's1', ['r1']);
    const leaving = relay.disconnected('u1', 's1', ['r1']);
    await new Promise((resolve) => setImmediate(resolve));
    const back = relay.connected('u1', 's2', ['r1']);
    release();
    await Promise.all([leaving, back]);
    expect(sent.map((entry) => entry.event.status)).toEqual(['online', 'online']);
  });
  describe(`after the last socket closes (PRESENCE_OFFLINE_DELAY_SECONDS, ${DELAY_MS} ms by default)`, () => {
    beforeEach(() => {
      jest.useFakeTimers();
      relay.onModuleDestroy();
      // The default delay; a lease long enough that no heartbeat falls into these tests' timer jumps.
      relay = makeRelay({ PRESENCE_LEASE_SECONDS: '3600' });
    });

    async function flush(): Promise<void> {
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }

    it('keeps the user online: coming back in time announces nothing and writes nothing', async () => {
      await relay.connected('u1', 's1', ['r1']);
      await relay.disconnected('u1', 's1', ['r1']);
      jest.advanceTimersByTime(DELAY_MS - 1);
      await relay.connected('u1', 's2', ['r1']);
      jest.advanceTimersByTime(DELAY_MS);
      await flush();
      expect(sent.map((entry) => entry.event.status)).toEqual(['online']);
      expect(store.calls).toEqual(['connect u1']);
      expect(touched).toEqual([]);
    });

    it('then announces offline with the moment the last socket closed', async () => {
      await relay.connected('u1', 's1', ['r1']);
      const closedAt = Date.now();
      await relay.disconnected('u1', 's1', ['r1']);
      expect(sent).toHaveLength(1);
      jest.advanceTimersByTime(DELAY_MS);
      await flush();
      expect(sent[1]).toEqual({
        roomIds: ['r1'],
        event: { userId: 'u1', status: 'offline', lastSeenAt: new Date(closedAt).toISOString() },
      });
      expect(touched).toEqual([['u1', new Date(closedAt)]]);
    });

    it('releases users still in their delay at shutdown, at once', async () => {
      await relay.connected('u1', 's1', ['r1']);
      await relay.disconnected('u1', 's1', ['r1']);
      await relay.releaseAll();
      expect(sent.map((entry) => entry.event.status)).toEqual(['online', 'offline']);
      jest.advanceTimersByTime(DELAY_MS);
      await flush();
      expect(touched).toHaveLength(1);
    });
  });
});

describe('Limiter', () => {
  it('runs at most `limit` tasks at once, the rest in order', async () => {
    const limiter = new Limiter(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const gates = Array.from({ length: 5 }, () => {
      let open: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (open = resolve));
      return { gate, open };
    });
    const done = gates.map(({ gate }, index) =>
      limiter.run(async () => {
        running++;
        peak = Math.max(peak, running);
        order.push(index);
        await gate;
        running--;
        return index;
      }),
    );
    for (const { open } of gates) {
      await new Promise((resolve) => setImmediate(resolve));
      open();
    }
    expect(await Promise.all(done)).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('frees the slot of a task that fails', async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run(async () => 'next')).resolves.toBe('next');
  });
});
