import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { PresenceStore } from '../../src/modules/users/presence.store';
import { runEnv } from '../support/run-env';

/** The presence store against the real Redis (the real-time gateway drives it; the users routes read it). */
describe('PresenceStore', () => {
  let redis: Redis;
  let store: PresenceStore;

  beforeAll(() => {
    redis = new Redis(runEnv().redisUrl, { keyPrefix: `${runEnv().redisPrefix}presence-spec:` });
    store = new PresenceStore(redis);
  });
  afterAll(() => {
    redis.disconnect();
  });

  it('reports coming online on the first connection only and going offline on the last disconnect', async () => {
    const user = randomUUID();
    expect(await store.isOnline(user)).toBe(false);
    expect(await store.connect(user, 'c1', 60_000)).toBe(true);
    expect(await store.connect(user, 'c2', 60_000)).toBe(false);
    expect(await store.isOnline(user)).toBe(true);
    expect(await store.disconnect(user, 'c1')).toBe(false);
    expect(await store.isOnline(user)).toBe(true);
    expect(await store.disconnect(user, 'c2')).toBe(true);
    expect(await store.isOnline(user)).toBe(false);
    // disconnecting twice is harmless and does not announce "offline" again
    expect(await store.disconnect(user, 'c2')).toBe(false);
  });

  it('ignores and prunes connections whose lease expired (an instance died without cleaning up)', async () => {
    const user = randomUUID();
    await redis.zadd(`presence:${user}`, Date.now() - 1_000, 'dead-instance-socket');
    expect(await store.isOnline(user)).toBe(false);
    expect(await redis.zcard(`presence:${user}`)).toBe(0);

    await redis.zadd(`presence:${user}`, Date.now() - 1_000, 'dead-instance-socket');
    expect(await store.connect(user, 'fresh', 60_000)).toBe(true);
    expect(await redis.zrange(`presence:${user}`, 0, -1)).toEqual(['fresh']);
  });

  it('lets the key expire with its last lease, so nobody stays online forever', async () => {
    const user = randomUUID();
    await store.connect(user, 'c1', 30_000);
    await store.refresh(user, 'c1', 45_000);
    const ttl = await redis.pttl(`presence:${user}`);
    expect(ttl).toBeGreaterThan(30_000);
    expect(ttl).toBeLessThanOrEqual(45_000);
  });

  it('refresh re-adds a connection whose lease had lapsed', async () => {
    const user = randomUUID();
    await redis.zadd(`presence:${user}`, Date.now() - 1_000, 'c1');
    await store.refresh(user, 'c1', 60_000);
    expect(await store.isOnline(user)).toBe(true);
  });

  it('extends the leases of many users at once, re-adding lapsed ones', async () => {
    const users = Array.from({ length: 450 }, () => randomUUID());
    await redis.zadd(`presence:${users[0]}`, Date.now() - 1_000, 'c1');
    await store.refreshMany(users, 'c1', 60_000);
    expect(await store.onlineUserIds(users)).toEqual(new Set(users));
    const ttl = await redis.pttl(`presence:${users[449]}`);
    expect(ttl).toBeGreaterThan(30_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it("announces a dead holder's users once, and a holder that was only stalled lists its users again", async () => {
    const [gone, alsoElsewhere, stalled] = [randomUUID(), randomUUID(), randomUUID()];
    const dead = `dead-${randomUUID()}`;
    await store.connect(gone, dead, 1);
    await store.connect(alsoElsewhere, dead, 1);
    await store.connect(alsoElsewhere, `live-${randomUUID()}`, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const claimed = (await store.claimDeadHolders(1)).filter((holder) =>
      holder.offlineUserIds.includes(gone),
    );
    expect(claimed).toEqual([{ lastSeenAt: expect.any(Date), offlineUserIds: [gone] }]);
    expect((await store.claimDeadHolders(1)).flatMap((holder) => holder.offlineUserIds)).not.toContain(gone);

    // A holder swept while it was alive (a stall longer than a lease) lists its users again on its next heartbeat.
    const holder = `stalled-${randomUUID()}`;
    await store.connect(stalled, holder, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.claimDeadHolders(1);
    await store.refreshMany([stalled], holder, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = (await store.claimDeadHolders(1)).filter((entry) => entry.offlineUserIds.includes(stalled));
    expect(again).toHaveLength(1);
  });

  it('answers for many users at once', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await store.connect(a, 'x', 60_000);
    await store.connect(c, 'y', 60_000);
    await redis.zadd(`presence:${b}`, Date.now() - 1, 'stale');
    expect(await store.onlineUserIds([a, b, c, a])).toEqual(new Set([a, c]));
    expect(await store.onlineUserIds([])).toEqual(new Set());
  });
});
