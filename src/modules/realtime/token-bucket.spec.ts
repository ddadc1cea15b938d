import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  let now: number;
  const clock = (): number => now;

  beforeEach(() => {
    now = 1_000_000;
  });

  it('allows a burst up to its capacity, then refuses', () => {
    const bucket = new TokenBucket(3, 1, clock);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, true]);
    expect(bucket.tryTake()).toBe(false);
  });

  it('refills continuously at its rate', () => {
    const bucket = new TokenBucket(2, 10, clock);
    bucket.tryTake();
    bucket.tryTake();
    expect(bucket.tryTake()).toBe(false);
    now += 100; // 10/s -> one token per 100 ms
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
  });

  it('never holds more than its capacity after a long idle period', () => {
    const bucket = new TokenBucket(2, 100, clock);
    now += 60_000;
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, false]);
  });

  it('tells how long until the next token', () => {
    const bucket = new TokenBucket(1, 4, clock);
    expect(bucket.retryAfterMs()).toBe(0);
    bucket.tryTake();
    expect(bucket.retryAfterMs()).toBe(250);
    now += 100;
    expect(bucket.retryAfterMs()).toBe(150);
  });

  it('is not drained by a clock that steps backwards', () => {
    const bucket = new TokenBucket(1, 1, clock);
    now -= 10_000;
    expect(bucket.tryTake()).toBe(true);
  });

  it('rejects nonsensical settings', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0)).toThrow(RangeError);
  });
});
