import type Redis from 'ioredis';

/**
 * Entries one XREAD returns at most. The adapter's default (100) capped what a busy instance could read: one read
 * per event-loop turn, and under load a turn took tens of milliseconds, so an instance read another's broadcasts
 * more slowly than they came and fell behind until the stream was trimmed under it (225,000 deliveries lost in
 * the benchmark's two-instance overload step).
 */
export const STREAM_READ_COUNT = 1_000;

/**
 * How long a reader waits after a read that returned some entries, but not a full batch, before reading again.
 * On a busy stream each read returned about one broadcast: one round trip (a write, a read and a reply to parse,
 * here and in Redis) per broadcast on every instance, 4 % of the app's CPU at 1k msg/s. Waiting a moment lets
 * entries gather into one read. Only broadcasts to other instances' sockets wait (by at most this long, and only
 * while the stream is busy); local sockets are written directly. After a full read there is a backlog: no wait.
 */
export const STREAM_READ_LINGER_MS = 3;

/** Orders two stream entry ids (`<ms>-<seq>`): negative, zero or positive like a sort comparator. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs, aSeq = '0'] = a.split('-');
  const [bMs, bSeq = '0'] = b.split('-');
  return Number(aMs) - Number(bMs) || Number(aSeq) - Number(bSeq);
}

/**
 * The field of a stream entry that says "broadcasts from this instance were lost", with the instance's id as value.
 * It has no `nsp` field, so the adapter itself skips it.
 */
export const LOST_PUBLISH_FIELD = 'parley-lost';

export interface StreamPublishOptions {
  stream: string;
  /** How long the stream keeps entries. */
  retentionMs: number;
  /** This instance, as its lost-publish markers name it (its own reader ignores them). */
  instanceId: string;
  now?: () => number;
}

/** How often a lost-publish marker is tried until Redis takes it. */
export const LOST_PUBLISH_RETRY_MS = 1_000;

/**
 * How long the stream outlives the last renewal of its expiry. Every instance renews it twice per retention, so it
 * only expires once every instance has stopped (or stalled this long): the broadcasts it holds, message content
 * included, do not stay in Redis for good.
 */
export function streamTtlMs(retentionMs: number): number {
  return 2 * retentionMs + 60_000;
}

/**
 * Wraps the adapter's XADD on `publisher`:
 *
 * - The adapter trims the stream by length (`MAXLEN ~ n`); this trims it by age instead. Entries stay for
 *   `retentionMs`, so an instance may fall that far behind without losing a broadcast, whatever the rate, and a
 *   quiet deployment keeps a small stream.
 * - A broadcast whose XADD fails (Redis unreachable past the client's retries, or refusing writes) never reaches
 *   the other instances, and their sockets would miss it without knowing. After a failure a marker entry is
 *   tried every LOST_PUBLISH_RETRY_MS until Redis takes it, and every other instance that reads it treats it
 *   like a trimmed gap (see watchStreamReads). This instance's own sockets got the broadcast: the adapter writes
 *   them either way. (The adapter publishes nothing on its own, no heartbeat: without the timer a quiet instance
 *   would leave the others unaware until its next broadcast.)
 * - Twice per retention, whether or not anything is published, entries older than the retention are trimmed (the
 *   trim on XADD alone would keep a quiet deployment's last broadcasts) and the stream's expiry is renewed (see
 *   streamTtlMs), so a stream no instance looks after any more disappears.
 *
 * The adapter passes XADD's arguments as one array. Returns a function that stops the upkeep (a marker still due
 * is still tried: the other instances need it all the more when this one is stopping).
 */
export function publishThroughStream(publisher: Redis, options: StreamPublishOptions): () => void {
  const now = options.now ?? Date.now;
  const xadd = publisher.xadd.bind(publisher) as (...args: unknown[]) => Promise<string | null>;
  const minId = (): string => String(now() - options.retentionMs);
  let markerDue: NodeJS.Timeout | undefined;
  let markerInFlight = false;
  const sendMarker = (): void => {
    markerDue = undefined;
    markerInFlight = true;
    xadd(options.stream, 'MINID', '~', minId(), '*', LOST_PUBLISH_FIELD, options.instanceId).then(
      () => {
        markerInFlight = false;
      },
      () => {
        markerInFlight = false;
        scheduleMarker();
      },
    );
  };
  // Replies on one connection come in order: a publish that fails while a marker is in flight was processed
  // before that marker, which covers it if Redis takes it; if not, the marker's failure schedules another.
  const scheduleMarker = (): void => {
    if (markerDue || markerInFlight) return;
    markerDue = setTimeout(sendMarker, LOST_PUBLISH_RETRY_MS);
    markerDue.unref();
  };
  const published = (...args: unknown[]): Promise<string | null> => {
    const flat = args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as unknown[])] : [...args];
    if (flat[1] === 'MAXLEN' && flat[2] === '~') flat.splice(1, 3, 'MINID', '~', minId());
    return xadd(...flat).catch((error: unknown) => {
      scheduleMarker();
      throw error;
    });
  };
  publisher.xadd = published as unknown as Redis['xadd'];

  // Both are harmless on a stream that does not exist: neither creates it. A failure (Redis away) waits for the
  // next round.
  const upkeep = setInterval(() => {
    publisher.xtrim(options.stream, 'MINID', minId()).catch(() => undefined);
    publisher.pexpire(options.stream, streamTtlMs(options.retentionMs)).catch(() => undefined);
  }, options.retentionMs / 2);
  upkeep.unref();
  return () => clearInterval(upkeep);
}

export interface StreamReadOptions {
  /** How long the stream keeps entries (see publishThroughStream). */
  retentionMs: number;
  /** This instance (see StreamPublishOptions). */
  instanceId: string;
  /**
   * Called when this reader's sockets may have missed broadcasts: entries it had not read yet were trimmed or lost
   * with the stream, or another instance failed to publish some.
   */
  onGap(detail: StreamGap): void;
  now?: () => number;
}

/**
 * `trimmed`: the reader fell behind and entries it had not read were trimmed. `reset`: the stream it was reading is
 * gone or was replaced by a new one (Redis came back without its data, or the stream expired). `lost-publish`:
 * another instance could not publish some broadcasts.
 */
export type StreamGap =
  | { reason: 'trimmed' | 'reset'; stream: string; offset: string; behindMs: number }
  | { reason: 'lost-publish'; stream: string; instanceId: string };

type XReadReply = Array<[stream: string, entries: Array<[id: string, fields: string[]]>]> | null;

/** Whether some entry after an offset is gone, and the stream's newest id if it still exists. */
type StreamCheck = { lost: false } | { lost: true; reason: 'trimmed' | 'reset'; lastId?: string };

/**
 * Wraps the adapter's blocking XREAD loop on `reader`: reads linger while the stream is busy (see
 * STREAM_READ_LINGER_MS), a reader that fell behind or lost its connection checks that nothing after its offset
 * was lost, and another instance's lost-publish marker (see publishThroughStream) is reported like such a gap.
 *
 * The check is only needed, and only made, while the reader is behind or after it reconnected. An entry is trimmed
 * once it is `retentionMs` old, and a read that returned less than a full batch had every entry up to then. So
 * until half the retention has passed since such a read, nothing this reader has not seen can be trimmed (clocks
 * within a quarter of the retention of Redis' assumed). Once behind, the stream's first entry is compared with the
 * offset after each read (sound: the first entry only moves forward) and before it (to tell sooner). A first
 * entry past the offset counts as a gap even when only the offset's own entry was trimmed: the two cannot be told
 * apart, and a reader that far behind is about to miss entries anyway.
 *
 * A stream that no longer exists, once this reader has read from it, lost whatever it held: its key expired (no
 * instance renewed it) or Redis lost its data. The latter shows only after a reconnect, so the first read on each
 * new connection is checked too: a Redis that restarted empty has no stream or a new one that starts past the
 * offset.
 *
 * After a trimmed or reset gap every socket of this instance is dropped and will `sync`, so the entries up to the
 * stream's newest are of no use to anyone here: reading resumes after it instead of working through the backlog
 * that made this instance fall behind (and would likely make it fall behind again).
 *
 * Returns a function that makes the reader read at once instead of after its linger, for a caller that waits
 * for it to get further (StreamProgress.reach).
 */
export function watchStreamReads(reader: Redis, options: StreamReadOptions): () => void {
  const now = options.now ?? Date.now;
  const xread = reader.xread.bind(reader) as (...args: unknown[]) => Promise<XReadReply>;
  let lingerUntil = 0;
  /** Ends the linger under way, if any. */
  let endLinger: (() => void) | undefined;
  let caughtUpAt = now();
  /** Connections made so far, and the one whose first read was checked (the first connection needs none). */
  let connections = reader.status === 'ready' ? 1 : 0;
  let checkedConnection = 1;
  reader.on('ready', () => {
    connections += 1;
  });
  /** Reads start no earlier than after this entry: what a gap's dropped connections made of no use. */
  let resumeAfter: string | undefined;

  const check = async (stream: string, offset: string): Promise<StreamCheck> => {
    let info: unknown[];
    try {
      info = (await reader.xinfo('STREAM', stream)) as unknown[];
    } catch (error) {
      // The stream this reader read from no longer exists. Any other failure: assume the worst.
      const missing = error instanceof Error && /no such key/i.test(error.message);
      return { lost: true, reason: missing ? 'reset' : 'trimmed' };
    }
    const field = (name: string): unknown => info[info.indexOf(name) + 1];
    const first = field('first-entry') as [string, unknown] | null;
    const lastId = String(field('last-generated-id'));
    // An empty stream had every entry up to its last id removed.
    const firstId = first ? first[0] : lastId;
    if (compareStreamIds(firstId, offset) <= 0) return { lost: false };
    // The offset's own entry is gone. A stream that never lost an entry cannot have lost it: then this is a new
    // stream, not the one the offset came from.
    const removed = Number(field('entries-added')) > Number(field('length'));
    return { lost: true, reason: removed ? 'trimmed' : 'reset', lastId };
  };

  /** The last reset reported: a stream still missing or new since, on the same connection, lost nothing more. */
  let lastReset: { offset: string; connection: number } | undefined;

  /** Checks the stream after `offset`, and reports a gap if entries were lost. */
  const reportIfLost = async (stream: string, offset: string): Promise<boolean> => {
    const found = await check(stream, offset);
    if (!found.lost) return false;
    if (found.reason === 'reset') {
      const covered =
        lastReset?.connection === connections && compareStreamIds(offset, lastReset.offset) <= 0;
      if (covered) return false;
      lastReset = { offset, connection: connections };
    }
    if (found.lastId && (!resumeAfter || compareStreamIds(found.lastId, resumeAfter) > 0)) {
      resumeAfter = found.lastId;
    }
    options.onGap({ reason: found.reason, stream, offset, behindMs: now() - caughtUpAt });
    return true;
  };

  const watched = async (...args: unknown[]): Promise<XReadReply> => {
    const wait = lingerUntil - now();
    if (wait > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        endLinger = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      endLinger = undefined;
    }
    const count = Number(args[args.indexOf('COUNT') + 1]);
    const stream = String(args[args.length - 2]);
    const offsetAt = args.length - 1;
    const skipToResume = (): void => {
      const offset = String(args[offsetAt]);
      if (offset !== '$' && resumeAfter && compareStreamIds(offset, resumeAfter) < 0)
        args[offsetAt] = resumeAfter;
    };
    skipToResume();
    const offset = String(args[offsetAt]);
    const issuedAt = now();
    const behind = offset !== '$' && issuedAt - caughtUpAt >= options.retentionMs / 2;
    /** Whether to check the stream now: behind, or the first read on a new connection. */
    const checkDue = (): boolean => {
      if (offset === '$') return false;
      const reconnected = connections > checkedConnection;
      checkedConnection = connections;
      return reconnected || behind;
    };
    const reported = checkDue() && (await reportIfLost(stream, offset));
    if (reported) skipToResume();
    const result = await xread(...args);
    const entries = result?.[0]?.[1]?.length ?? 0;
    if (entries < count) caughtUpAt = issuedAt;
    lingerUntil = entries > 0 && entries < count ? now() + STREAM_READ_LINGER_MS : 0;
    if (!reported && checkDue()) await reportIfLost(stream, offset);
    for (const [, fields] of result?.[0]?.[1] ?? []) {
      if (fields[0] === LOST_PUBLISH_FIELD && fields[1] !== options.instanceId) {
        options.onGap({ reason: 'lost-publish', stream, instanceId: fields[1] });
      }
    }
    return result;
  };
  reader.xread = watched as unknown as Redis['xread'];
  // Someone waits for this reader to get further (StreamProgress.reach): read now, not after the linger.
  return () => {
    lingerUntil = 0;
    endLinger?.();
  };
}
