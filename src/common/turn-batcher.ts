/** Loads the values of several keys at once; the result is aligned with `keys`. */
export type LoadMany<K, V> = (keys: K[]) => Promise<V[]>;

interface Waiter<V> {
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

/**
 * Answers single-key lookups with batched lookups (a DataLoader without the cache). A batch goes out from
 * `setImmediate`, i.e. right after the poll phase whose I/O callbacks asked, unless `maxInFlight` batches are
 * still running: then the lookups wait for one of them to finish and go out together. On an idle server a lookup
 * waits for nothing; under load (a reconnect storm delivers a few handshakes per poll phase, thousands per
 * second) the batches grow with the load instead of the number of round trips. Keys asked for twice in a batch
 * are looked up once. No result outlives its batch, and a batch starts after every lookup it answers was asked:
 * a lookup never sees state older than itself.
 */
export class TurnBatcher<K, V> {
  private pending = new Map<K, Array<Waiter<V>>>();
  private scheduled = false;
  private inFlight = 0;

  /**
   * @param maxBatch keys per call of `loadMany`; a bigger batch is split into several calls, issued together.
   * @param maxInFlight calls of `loadMany` running at once before new lookups wait for one to finish.
   */
  constructor(
    private readonly loadMany: LoadMany<K, V>,
    private readonly maxBatch = 500,
    private readonly maxInFlight = 1,
  ) {}

  load(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const waiters = this.pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.pending.size === 0) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    const keys = [...batch.keys()];
    for (let start = 0; start < keys.length; start += this.maxBatch) {
      const chunk = keys.slice(start, start + this.maxBatch);
      this.run(chunk, batch);
    }
  }

  private run(keys: K[], batch: Map<K, Array<Waiter<V>>>): void {
    this.inFlight++;
    let loading: Promise<V[]>;
    try {
      loading = this.loadMany(keys);
    } catch (error) {
      loading = Promise.reject(error);
    }
    loading
      .then(
        (values) => {
          keys.forEach((key, index) => {
            for (const waiter of batch.get(key) ?? []) {
              if (index < values.length) waiter.resolve(values[index]);
              else waiter.reject(new Error('TurnBatcher: loadMany returned fewer values than keys'));
            }
          });
        },
        (error: unknown) => {
          for (const key of keys) for (const waiter of batch.get(key) ?? []) waiter.reject(error);
        },
      )
      .finally(() => {
        this.inFlight--;
        this.schedule();
      });
  }
}
