import { TurnBatcher } from './turn-batcher';

describe('TurnBatcher', () => {
  it('answers lookups of one turn with one call, each with its own value, a repeated key looked up once', async () => {
    const calls: string[][] = [];
    const batcher = new TurnBatcher<string, string>((keys) => {
      calls.push(keys);
      return Promise.resolve(keys.map((key) => key.toUpperCase()));
    });
    const results = await Promise.all([batcher.load('a'), batcher.load('b'), batcher.load('a')]);
    expect(results).toEqual(['A', 'B', 'A']);
    expect(calls).toEqual([['a', 'b']]);
  });

  it('gathers lookups made by separate callbacks of the same turn', async () => {
    const calls: number[][] = [];
    const batcher = new TurnBatcher<number, number>((keys) => {
      calls.push(keys);
      return Promise.resolve(keys.map((key) => key * 2));
    });
    // Immediates queued together run in one check phase; the batch's own immediate, queued while they run,
    // goes out in the next one. (Three setTimeout(0) were not enough: a clock tick between creating them can
    // make them due in different turns, which failed this test once on a busy machine.)
    const results = await new Promise<number[]>((resolve) => {
      const got: number[] = [];
      for (const key of [1, 2, 3]) {
        setImmediate(() => {
          void batcher.load(key).then((value) => {
            got.push(value);
            if (got.length === 3) resolve(got.sort());
          });
        });
      }
    });
    expect(results).toEqual([2, 4, 6]);
    expect(calls).toEqual([[1, 2, 3]]);
  });

  it('gathers lookups made while a batch runs into the next batch, which starts when it finishes', async () => {
    const calls: number[][] = [];
    const running: Array<() => void> = [];
    const batcher = new TurnBatcher<number, number>((keys) => {
      calls.push(keys);
      return new Promise<number[]>((resolve) => running.push(() => resolve(keys.map((key) => key * 10))));
    });
    const first = batcher.load(1);
    await until(() => running.length === 1);
    const later = [batcher.load(2), batcher.load(3)];
    await new Promise((resolve) => setImmediate(resolve));
    // The first batch is still running: the next waits for it instead of going out in a turn of its own.
    expect(calls).toEqual([[1]]);
    running[0]();
    expect(await first).toBe(10);
    await until(() => running.length === 2);
    running[1]();
    expect(await Promise.all(later)).toEqual([20, 30]);
    expect(calls).toEqual([[1], [2, 3]]);
  });

  it('runs up to maxInFlight batches at once', async () => {
    const calls: number[][] = [];
    const running: Array<() => void> = [];
    const batcher = new TurnBatcher<number, number>(
      (keys) => {
        calls.push(keys);
        return new Promise<number[]>((resolve) => running.push(() => resolve(keys)));
      },
      500,
      2,
    );
    const first = batcher.load(1);
    await until(() => running.length === 1);
    const second = batcher.load(2);
    await until(() => running.length === 2);
    const third = batcher.load(3);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual([[1], [2]]);
    running[1]();
    expect(await second).toBe(2);
    await until(() => running.length === 3);
    running[0]();
    running[2]();
    expect(await Promise.all([first, third])).toEqual([1, 3]);
  });

  it('goes on after a failed batch', async () => {
    let fail = true;
    const batcher = new TurnBatcher<number, number>((keys) =>
      fail ? Promise.reject(new Error('down')) : Promise.resolve(keys),
    );
    await expect(batcher.load(1)).rejects.toThrow('down');
    fail = false;
    expect(await batcher.load(2)).toBe(2);
  });

  it('reads afresh in a later turn', async () => {
    let version = 0;
    const batcher = new TurnBatcher<string, number>((keys) => Promise.resolve(keys.map(() => ++version)));
    expect(await batcher.load('k')).toBe(1);
    expect(await batcher.load('k')).toBe(2);
  });

  it('splits a big turn into calls of at most maxBatch keys', async () => {
    const sizes: number[] = [];
    const batcher = new TurnBatcher<number, number>((keys) => {
      sizes.push(keys.length);
      return Promise.resolve(keys);
    }, 2);
    expect(await Promise.all([1, 2, 3, 4, 5].map((key) => batcher.load(key)))).toEqual([1, 2, 3, 4, 5]);
    expect(sizes).toEqual([2, 2, 1]);
  });

  it('rejects every lookup of a failed call, and only those', async () => {
    const loadMany = (keys: number[]): Promise<number[]> =>
      keys.includes(1) ? Promise.reject(new Error('down')) : Promise.resolve(keys);
    const batcher = new TurnBatcher<number, number>(loadMany, 1);
    const [first, second] = await Promise.allSettled([batcher.load(1), batcher.load(2)]);
    expect(first).toEqual({ status: 'rejected', reason: new Error('down') });
    expect(second).toEqual({ status: 'fulfilled', value: 2 });
  });

  it('rejects when loadMany throws or answers too few values', async () => {
    const throwing = new TurnBatcher<number, number>(() => {
      throw new Error('bad');
    });
    await expect(throwing.load(1)).rejects.toThrow('bad');
    const short = new TurnBatcher<number, number>(() => Promise.resolve([]));
    await expect(short.load(1)).rejects.toThrow('fewer values');
  });
});

/** Lets callbacks run until `done` holds (a few turns at most in these tests). */
async function until(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 100 && !done(); turn++) await new Promise((resolve) => setImmediate(resolve));
  expect(done()).toBe(true);
}
