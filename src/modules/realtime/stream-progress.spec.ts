import { StreamProgress } from './stream-progress';

describe('StreamProgress', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('answers at once for an entry already read, and wakes the reader for one not yet read', async () => {
    const wake = jest.fn();
    const progress = new StreamProgress(wake);
    progress.passed('100-3');
    await expect(progress.reach('100-2', 1_000)).resolves.toBe(true);
    expect(wake).not.toHaveBeenCalled();

    const waiting = progress.reach('101-0', 1_000);
    expect(wake).toHaveBeenCalledTimes(1);
    progress.passed('100-9');
    progress.passed('101-0');
    await expect(waiting).resolves.toBe(true);
  });

  it('gives up after the timeout when the reader does not get there', async () => {
    const progress = new StreamProgress();
    const waiting = progress.reach('5-0', 500);
    jest.advanceTimersByTime(500);
    await expect(waiting).resolves.toBe(false);
    // A later entry does not resolve it twice or throw.
    progress.passed('6-0');
  });

  it('knows the last entry published once the publishes in flight have settled', async () => {
    const progress = new StreamProgress();
    let resolveFirst!: (offset: string) => void;
    const first = progress.track(new Promise<string>((resolve) => (resolveFirst = resolve)));
    void progress.track(Promise.resolve('')); // a pub/sub message: no stream entry
    void progress.track(Promise.reject(new Error('Redis down'))).catch(() => undefined);
    const last = progress.lastPublished();
    resolveFirst('42-1');
    await first;
    await expect(last).resolves.toBe('42-1');
    await progress.track(Promise.resolve('41-0'));
    await expect(progress.lastPublished()).resolves.toBe('42-1');
  });
});
