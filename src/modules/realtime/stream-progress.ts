import { compareStreamIds } from './stream-reads';

interface Waiter {
  offset: string;
  done: (reached: boolean) => void;
}

/**
 * How far this instance has got in the broadcast stream: the last entry its reader handed to the adapter (another
 * instance's broadcast, join or leave, applied; or one of its own, skipped), and the last entry it published.
 *
 * Every instance applies the stream's entries in order, but writes its own broadcasts to its own sockets as soon
 * as Redis has them, without waiting to read what others published before. So a leave published on instance A
 * and answered there could still be unread on B when B wrote its next message to the socket that left. A fence
 * (SocketFence) closes that gap for membership changes: A asks every other instance to confirm it has read up to
 * A's last entry (`reach`), and answers only then.
 */
export class StreamProgress {
  private read: string | undefined;
  private published: string | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private waiters: Waiter[] = [];

  /** `wake` asks the reader to read now rather than after its linger (see STREAM_READ_LINGER_MS). */
  constructor(private readonly wake: () => void = () => undefined) {}

  /** The reader handed entry `offset` to the adapter. */
  passed(offset: string): void {
    this.read = offset;
    if (this.waiters.length === 0) return;
    const waiting: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (compareStreamIds(offset, waiter.offset) >= 0) waiter.done(true);
      else waiting.push(waiter);
    }
    this.waiters = waiting;
  }

  /** Follows one publish: its offset (an empty one is a pub/sub message, not a stream entry) once Redis has it. */
  track(publish: Promise<string>): Promise<string> {
    this.inFlight.add(publish);
    void publish
      .then(
        (offset) => {
          if (offset && (!this.published || compareStreamIds(offset, this.published) > 0)) {
            this.published = offset;
          }
        },
        () => undefined,
      )
      .finally(() => this.inFlight.delete(publish));
    return publish;
  }

  /** The last entry this instance published, once every publish now in flight has settled. */
  async lastPublished(): Promise<string | undefined> {
    if (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    return this.published;
  }

  /** True once the reader has passed `offset`; false after `timeoutMs` (a stalled or reconnecting reader). */
  reach(offset: string, timeoutMs: number): Promise<boolean> {
    if (this.read !== undefined && compareStreamIds(this.read, offset) >= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        offset,
        done: (reached) => {
          clearTimeout(timer);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.waiters.push(waiter);
      this.wake();
    });
  }
}
