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
    // Timers due together run in one timers phase, before the check phase the batch waits for.
    const results = await new Promise<number[]>((resolve) => {
      const got: number[] = [];
      for (const key of [1, 2, 3]) {
        setTimeout(() => {
          void batcher.load(key).then((value) => {
            got.push(value);
            if (got.length === 3) resolve(got.sort());
          });
        }, 0);
      }
    });
    expect(results).toEqual([2, 4, 6]);
    expect(calls).toEqual([[1, 2, 3]]);
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
