/** Loads the values of several keys at once; the result is aligned with `keys`. */
export type LoadMany<K, V> = (keys: K[]) => Promise<V[]>;

interface Waiter<V> {
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

/**
 * Answers single-key lookups made during one turn of the event loop with one batched lookup (a DataLoader without
 * the cache). The batch goes out from `setImmediate`, i.e. right after the poll phase whose I/O callbacks asked:
 * on an idle server a lookup waits for nothing, while under load (a reconnect storm delivers hundreds of
 * handshakes per poll phase) hundreds of lookups cost one round trip instead of one each. Keys asked for twice in
 * a turn are looked up once. No result outlives its batch: every turn reads afresh.
 */
export class TurnBatcher<K, V> {
  private pending = new Map<K, Array<Waiter<V>>>();
  private scheduled = false;

  /** @param maxBatch keys per call of `loadMany`; a bigger turn is split into several calls, issued together. */
  constructor(
    private readonly loadMany: LoadMany<K, V>,
    private readonly maxBatch = 500,
  ) {}

  load(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const waiters = this.pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
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
    let loading: Promise<V[]>;
    try {
      loading = this.loadMany(keys);
    } catch (error) {
      loading = Promise.reject(error);
    }
    loading.then(
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
    );
  }
}
