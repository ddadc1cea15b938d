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
 *
 * The adapter passes XADD's arguments as one array.
 */
export function publishThroughStream(publisher: Redis, options: StreamPublishOptions): void {
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
}

export interface StreamReadOptions {
  /** How long the stream keeps entries (see publishThroughStream). */
  retentionMs: number;
  /** This instance (see StreamPublishOptions). */
  instanceId: string;
  /**
   * Called when this reader's sockets may have missed broadcasts: entries it had not read yet were trimmed, or
   * another instance failed to publish some.
   */
  onGap(detail: StreamGap): void;
  now?: () => number;
}

export type StreamGap =
  | { reason: 'trimmed'; stream: string; offset: string; behindMs: number }
  | { reason: 'lost-publish'; stream: string; instanceId: string };

type XReadReply = Array<[stream: string, entries: Array<[id: string, fields: string[]]>]> | null;

/**
 * Wraps the adapter's blocking XREAD loop on `reader`: reads linger while the stream is busy (see
 * STREAM_READ_LINGER_MS), a reader that fell behind checks that nothing after its offset was trimmed, and another
 * instance's lost-publish marker (see publishThroughStream) is reported like such a gap.
 *
 * The check is only needed, and only made, while the reader is behind: an entry is trimmed once it is
 * `retentionMs` old, and a read that returned less than a full batch had every entry up to then. So until half the
 * retention has passed since such a read, nothing this reader has not seen can be gone (clocks within a quarter of
 * the retention of Redis' assumed). Once behind, the stream's first entry is compared with the offset after each
 * read (sound: the first entry only moves forward) and before it (to tell sooner). A first entry past the offset
 * counts as a gap even when only the offset's own entry was trimmed: the two cannot be told apart, and a reader
 * that far behind is about to miss entries anyway.
 */
export function watchStreamReads(reader: Redis, options: StreamReadOptions): void {
  const now = options.now ?? Date.now;
  const xread = reader.xread.bind(reader) as (...args: unknown[]) => Promise<XReadReply>;
  let lingerUntil = 0;
  let caughtUpAt = now();

  const trimmedPast = async (stream: string, offset: string): Promise<boolean> => {
    let info: unknown[];
    try {
      info = (await reader.xinfo('STREAM', stream)) as unknown[];
    } catch (error) {
      // A stream that does not exist (yet, or any more) has nothing to trim. Any other failure: assume the worst.
      return !(error instanceof Error && /no such key/i.test(error.message));
    }
    const field = (name: string): unknown => info[info.indexOf(name) + 1];
    const first = field('first-entry') as [string, unknown] | null;
    // An empty stream had every entry up to its last id removed.
    const firstId = first ? first[0] : String(field('last-generated-id'));
    return compareStreamIds(firstId, offset) > 0;
  };

  const reportIfTrimmed = async (stream: string, offset: string): Promise<boolean> => {
    if (!(await trimmedPast(stream, offset))) return false;
    options.onGap({ reason: 'trimmed', stream, offset, behindMs: now() - caughtUpAt });
    return true;
  };

  const watched = async (...args: unknown[]): Promise<XReadReply> => {
    const wait = lingerUntil - now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const count = Number(args[args.indexOf('COUNT') + 1]);
    const stream = String(args[args.length - 2]);
    const offset = String(args[args.length - 1]);
    const issuedAt = now();
    const behind = offset !== '$' && issuedAt - caughtUpAt >= options.retentionMs / 2;
    const reported = behind && (await reportIfTrimmed(stream, offset));
    const result = await xread(...args);
    const entries = result?.[0]?.[1]?.length ?? 0;
    if (entries < count) caughtUpAt = issuedAt;
    lingerUntil = entries > 0 && entries < count ? now() + STREAM_READ_LINGER_MS : 0;
    if (behind && !reported) await reportIfTrimmed(stream, offset);
    for (const [, fields] of result?.[0]?.[1] ?? []) {
      if (fields[0] === LOST_PUBLISH_FIELD && fields[1] !== options.instanceId) {
        options.onGap({ reason: 'lost-publish', stream, instanceId: fields[1] });
      }
    }
    return result;
  };
  reader.xread = watched as unknown as Redis['xread'];
}
