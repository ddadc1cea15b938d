import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { NOTIFIED_MARKER_TTL_SECONDS } from '../../src/modules/notifications/notifications.constants';
import { NotifiedMarkers } from '../../src/modules/notifications/notified-markers';
import { runEnv } from '../support/run-env';

/** The "notified up to seq" markers against the real Redis: what makes a burst, or a re-run job, one email. */
describe('NotifiedMarkers', () => {
  let redis: Redis;
  let markers: NotifiedMarkers;

  beforeAll(() => {
    redis = new Redis(runEnv().redisUrl, { keyPrefix: `${runEnv().redisPrefix}markers-spec:` });
    markers = new NotifiedMarkers(redis);
  });
  afterAll(() => {
    redis.disconnect();
  });

  it('lets the first job claim and turns away jobs for seqs the claimed email covers', async () => {
    const [user, room] = [randomUUID(), randomUUID()];
    expect(await markers.notifiedUpTo(user, room)).toBe(0);
    expect(await markers.claim(user, room, 3, 5)).toEqual({ upTo: 5, previous: 0 });
    expect(await markers.notifiedUpTo(user, room)).toBe(5);
    expect(await markers.claim(user, room, 3, 5)).toBeNull(); // the same job again
    expect(await markers.claim(user, room, 5, 5)).toBeNull(); // a later job of the same burst
    expect(await markers.claim(user, room, 6, 8)).toEqual({ upTo: 8, previous: 5 });
  });

  it('lets exactly one of many racing claims for the same seq win', async () => {
    const [user, room] = [randomUUID(), randomUUID()];
    const claims = await Promise.all(Array.from({ length: 20 }, () => markers.claim(user, room, 4, 4)));
    expect(claims.filter(Boolean)).toHaveLength(1);
  });

  it('never moves the marker backwards', async () => {
    const [user, room] = [randomUUID(), randomUUID()];
    await markers.claim(user, room, 9, 12);
    // A job for seq 13 that (somehow) built its digest up to 10 still leaves the marker at 12 or above.
    expect(await markers.claim(user, room, 13, 10)).toEqual({ upTo: 12, previous: 12 });
    expect(await markers.notifiedUpTo(user, room)).toBe(12);
  });

  it('gives a failed send its seqs back, unless a later claim moved on', async () => {
    const [user, room] = [randomUUID(), randomUUID()];
    await markers.claim(user, room, 1, 2);
    const failed = (await markers.claim(user, room, 3, 4))!;
    await markers.release(user, room, failed);
    expect(await markers.notifiedUpTo(user, room)).toBe(2);

    const first = (await markers.claim(user, room, 3, 4))!;
    await markers.claim(user, room, 5, 6);
    await markers.release(user, room, first);
    expect(await markers.notifiedUpTo(user, room)).toBe(6);

    const [other] = [randomUUID()];
    const only = (await markers.claim(other, room, 1, 1))!;
    await markers.release(other, room, only);
    expect(await markers.notifiedUpTo(other, room)).toBe(0);
  });

  it('expires the marker after some days', async () => {
    const [user, room] = [randomUUID(), randomUUID()];
    await markers.claim(user, room, 1, 1);
    const ttl = await redis.ttl(`notify:notified:${user}:${room}`);
    expect(ttl).toBeGreaterThan(NOTIFIED_MARKER_TTL_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(NOTIFIED_MARKER_TTL_SECONDS);
  });
});
