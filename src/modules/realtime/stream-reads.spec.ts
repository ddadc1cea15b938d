import { EventEmitter } from 'node:events';
import type Redis from 'ioredis';
import {
  compareStreamIds,
  LOST_PUBLISH_FIELD,
  LOST_PUBLISH_RETRY_MS,
  publishThroughStream,
  STREAM_READ_LINGER_MS,
  streamTtlMs,
  watchStreamReads,
} from './stream-reads';

type Entry = [string, string[]];

/**
 * A connected reader whose XREAD answers from a script and whose XINFO STREAM describes a stream as the test sets
 * it; `offsets` are the offsets its XREADs were sent with, and it emits `ready` when it reconnects.
 */
function fakeReader() {
  const replies: Array<Entry[] | null> = [];
  // By default a stream that has had entries trimmed (more added than it holds).
  const stream = {
    first: null as string | null,
    lastGenerated: '0-0',
    length: 1,
    added: 100,
    error: null as Error | null,
  };
  const calls: string[] = [];
  const offsets: string[] = [];
  const hooks = { onRead: () => {} };
  const client = Object.assign(new EventEmitter(), {
    status: 'ready',
    xread: jest.fn(async (...args: unknown[]) => {
      calls.push('xread');
      offsets.push(String(args[args.length - 1]));
      hooks.onRead();
      const entries = replies.shift() ?? null;
      return entries === null ? null : [['s', entries]];
    }),
    xinfo: jest.fn(async () => {
      calls.push('xinfo');
      if (stream.error) throw stream.error;
      const first = stream.first === null ? null : [stream.first, ['uid', 'x']];
      return [
        'length',
        stream.length,
        'last-generated-id',
        stream.lastGenerated,
        'entries-added',
        stream.added,
        'first-entry',
        first,
        'last-entry',
        first,
      ];
    }),
  });
  return { client: client as unknown as Redis, replies, stream, calls, offsets, hooks };
}

/** The stream as Redis would have it after losing it and taking one new entry, `id`. */
const startsAnew = (stream: ReturnType<typeof fakeReader>['stream'], id: string): void => {
  Object.assign(stream, { error: null, first: id, lastGenerated: id, length: 1, added: 1 });
};

const entries = (count: number, from = 1): Entry[] =>
  Array.from({ length: count }, (_, i) => [`1000-${from + i}`, ['uid', 'other']]);

/** What the adapter sends: XREAD BLOCK <ms> COUNT <n> STREAMS <stream> <offset>. */
const read = (reader: Redis, offset: string, count = 3) =>
  (reader.xread as (...args: unknown[]) => Promise<unknown>).call(
    reader,
    'BLOCK',
    5000,
    'COUNT',
    count,
    'STREAMS',
    's',
    offset,
  );

describe('compareStreamIds', () => {
  it('orders by time, then by sequence, numerically', () => {
    expect(compareStreamIds('1000-2', '1000-10')).toBeLessThan(0);
    expect(compareStreamIds('999-50', '1000-0')).toBeLessThan(0);
    expect(compareStreamIds('1000-3', '1000-3')).toBe(0);
    expect(compareStreamIds('1001-0', '1000-99')).toBeGreaterThan(0);
    expect(compareStreamIds('1000', '1000-0')).toBe(0);
  });
});

describe('publishThroughStream', () => {
  const options = { stream: 's', retentionMs: 30_000, instanceId: 'me', now: () => 100_000 };
  const stops: Array<() => void> = [];

  it("turns the adapter's length trim into an age trim and keeps the rest of the command", async () => {
    const xadd = jest.fn(async () => '1-1');
    const publisher = { xadd } as unknown as Redis;
    stops.push(publishThroughStream(publisher, options));
    await publisher.xadd.call(publisher, ['s', 'MAXLEN', '~', 10000, '*', 'uid', 'a', 'data', 'b'] as never);
    expect(xadd).toHaveBeenCalledWith('s', 'MINID', '~', '70000', '*', 'uid', 'a', 'data', 'b');
  });

  it('leaves an XADD without a length trim as it is', async () => {
    const xadd = jest.fn(async () => '1-1');
    const publisher = { xadd } as unknown as Redis;
    stops.push(publishThroughStream(publisher, options));
    await publisher.xadd('s', '*', 'uid', 'a');
    expect(xadd).toHaveBeenCalledWith('s', '*', 'uid', 'a');
  });

  /**
   * A publisher whose broadcast XADDs succeed or fail in the order given, and whose marker XADDs fail while
   * `markers.fail` is set; `send` publishes as the adapter does.
   */
  function scriptedPublisher(outcomes: Array<string | Error>) {
    const markers = { fail: false };
    const xadd = jest.fn(async (...args: unknown[]) => {
      if (args.includes(LOST_PUBLISH_FIELD)) {
        if (markers.fail) throw new Error('down again');
        return '1-9';
      }
      const next = outcomes.shift();
      if (next instanceof Error) throw next;
      return next;
    });
    const publisher = { xadd } as unknown as Redis;
    stops.push(publishThroughStream(publisher, options));
    const send = () => publisher.xadd.call(publisher, ['s', 'MAXLEN', '~', 10000, '*', 'uid', 'a'] as never);
    const markerCalls = () => xadd.mock.calls.filter((call) => call.includes(LOST_PUBLISH_FIELD));
    return { send, markers, markerCalls };
  }

  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
    jest.useRealTimers();
  });

  it('publishes no marker while nothing failed', async () => {
    jest.useFakeTimers();
    const { send, markerCalls } = scriptedPublisher(['1-1', '1-2']);
    await send();
    await send();
    await jest.advanceTimersByTimeAsync(10 * LOST_PUBLISH_RETRY_MS);
    expect(markerCalls()).toEqual([]);
  });

  it('after a failed publish, tries a marker every second until Redis takes it, and only one', async () => {
    jest.useFakeTimers();
    const { send, markers, markerCalls } = scriptedPublisher([new Error('MaxRetriesPerRequestError'), '1-2']);
    markers.fail = true;
    await expect(send()).rejects.toThrow('MaxRetriesPerRequestError');
    expect(markerCalls()).toEqual([]);
    await jest.advanceTimersByTimeAsync(LOST_PUBLISH_RETRY_MS);
    expect(markerCalls()).toHaveLength(1);

    markers.fail = false;
    await jest.advanceTimersByTimeAsync(LOST_PUBLISH_RETRY_MS);
    expect(markerCalls()).toEqual([
      ['s', 'MINID', '~', '70000', '*', LOST_PUBLISH_FIELD, 'me'],
      ['s', 'MINID', '~', '70000', '*', LOST_PUBLISH_FIELD, 'me'],
    ]);
    expect(await send()).toBe('1-2');
    await jest.advanceTimersByTimeAsync(10 * LOST_PUBLISH_RETRY_MS);
    expect(markerCalls()).toHaveLength(2);
  });

  it('covers several failed publishes with one marker', async () => {
    jest.useFakeTimers();
    const { send, markerCalls } = scriptedPublisher([
      new Error('down'),
      new Error('down'),
      new Error('down'),
    ]);
    await Promise.allSettled([send(), send(), send()]);
    await jest.advanceTimersByTimeAsync(10 * LOST_PUBLISH_RETRY_MS);
    expect(markerCalls()).toHaveLength(1);
  });

  it('trims by age and renews the expiry twice per retention, published or not, until stopped', async () => {
    jest.useFakeTimers();
    const xtrim = jest.fn(async () => 0);
    const pexpire = jest.fn(async () => 1);
    const publisher = { xadd: jest.fn(), xtrim, pexpire } as unknown as Redis;
    const stop = publishThroughStream(publisher, options);
    await jest.advanceTimersByTimeAsync(14_999);
    expect(xtrim).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(xtrim).toHaveBeenCalledWith('s', 'MINID', '70000');
    expect(pexpire).toHaveBeenCalledWith('s', streamTtlMs(30_000));
    await jest.advanceTimersByTimeAsync(15_000);
    expect(pexpire).toHaveBeenCalledTimes(2);

    stop();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(pexpire).toHaveBeenCalledTimes(2);
  });

  it('keeps going when Redis refuses the upkeep', async () => {
    jest.useFakeTimers();
    const xtrim = jest.fn(async () => Promise.reject(new Error('down')));
    const pexpire = jest.fn(async () => Promise.reject(new Error('down')));
    stops.push(publishThroughStream({ xadd: jest.fn(), xtrim, pexpire } as unknown as Redis, options));
    await jest.advanceTimersByTimeAsync(30_000);
    expect(pexpire).toHaveBeenCalledTimes(2);
  });

  it('outlives every renewal interval with room to spare', () => {
    expect(streamTtlMs(30_000)).toBeGreaterThan(4 * 15_000);
    expect(streamTtlMs(2_000)).toBeGreaterThan(4 * 1_000);
  });
});

describe('watchStreamReads', () => {
  let now: number;
  const clock = () => now;

  beforeEach(() => {
    now = 1_000_000;
  });

  afterEach(() => jest.useRealTimers());

  it('waits a moment before reading again after a partial read, and not after a full one', async () => {
    jest.useFakeTimers();
    const { client, replies, calls } = fakeReader();
    watchStreamReads(client, { retentionMs: 30_000, instanceId: 'me', onGap: jest.fn() });
    replies.push(entries(3), entries(1, 4), entries(1, 5));

    await read(client, '1000-0');
    await read(client, '1000-3'); // right after a full read
    expect(calls).toEqual(['xread', 'xread']);
    const third = read(client, '1000-4'); // after a partial one
    await Promise.resolve();
    expect(calls).toEqual(['xread', 'xread']);
    await jest.advanceTimersByTimeAsync(STREAM_READ_LINGER_MS);
    await third;
    expect(calls).toEqual(['xread', 'xread', 'xread']);
  });

  it('does not look at the stream while the reader keeps up', async () => {
    const { client, replies, calls } = fakeReader();
    const onGap = jest.fn();
    watchStreamReads(client, { retentionMs: 30_000, instanceId: 'me', onGap, now: clock });
    replies.push(entries(1), ...Array<null>(12).fill(null));
    await read(client, '1000-0');
    // A minute of quiet stream: blocking reads that time out every 5 s.
    for (let i = 0; i < 12; i++) {
      now += 5_000;
      await read(client, '1000-1');
    }
    expect(calls).toEqual(Array<string>(13).fill('xread'));
    expect(onGap).not.toHaveBeenCalled();
  });

  it('checks once behind by half the retention, and finds nothing lost while the first entry is not past the offset', async () => {
    const { client, replies, stream, calls } = fakeReader();
    const onGap = jest.fn();
    watchStreamReads(client, { retentionMs: 30_000, instanceId: 'me', onGap, now: clock });
    replies.push(entries(3), entries(3, 4));
    stream.first = '1000-2';
    await read(client, '1000-0');
    now += 15_000;
    await read(client, '1000-3');
    expect(calls).toEqual(['xread', 'xinfo', 'xread', 'xinfo']);
    expect(onGap).not.toHaveBeenCalled();
  });

  it('reports a gap when the stream was trimmed past the offset, once per read', async () => {
    const { client, replies, stream } = fakeReader();
    const onGap = jest.fn();
    watchStreamReads(client, { retentionMs: 30_000, instanceId: 'me', onGap, now: clock });
    replies.push(entries(3), entries(3, 50));
    await read(client, '1000-0');
    now += 20_000;
    stream.first = '1000-50';
    const reply = await read(client, '1000-3');
    expect(onGap).toHaveBeenCalledTimes(1);
    expect(onGap).toHaveBeenCalledWith({
      reason: 'trimmed',
      stream: 's',
      offset: '1000-3',
      behindMs: 20_000,
    });
    // The entries read are still handed to the adapter.
    expect(reply).toEqual([['s', entries(3, 50)]]);
  });

  it('reports a gap found only after the read (the stream trimmed meanwhile)', async () => {
    const { client, replies, stream, hooks } = fakeReader();
    const onGap = jest.fn();
    watchStreamReads(client, { retentionMs: 30_000, instanceId: 'me', onGap, now: clock });
    replies.push(entries(3), entries(3, 4));
    await read(client, '1000-0');
    now += 20_000;
    stream.first = '1000-1';
    hooks.onRead = () => {
      stream.first = '1000-9';
    };
    await read(client, '1000-3');
    expect(onGap).toHaveBeenCalledTimes(1);
  });

  it('treats an emptied stream whose last id is past the offset as a gap, and one at the offset as none', async () => {
    const { client, replies, stream } = fakeReader();
    const onGap = jest.fn();
    watchStreamReads(client, { retentionMs: 30_000, instanceId: 'me', onGap, now: clock });
    replies.push(entries(3), null, null);
    await read(client, '1000-0');
    now += 20_000;
    stream.lastGenerated = '1000-3';
    await read(client, '1000-3');
    expect(onGap).not.toHaveBeenCalled();

    // That empty read caught the reader up; fall behind again.
    now += 20_000;
    stream.lastGenerated = '2000-0';
    await read(client, '1000-3');
    expect(onGap).toHaveBeenCalledTimes(1);
  });

  it('reports a stream that no longer exists as reset, and assumes a gap when the check itself fails', async () => {
    const { client, replies, stream } = fakeReader();
    const onGap = jest.fn();
    watchStreamReads(client, { retentionMs: 30_000, instanceId: 'me', onGap, now: clock });
    replies.push(entries(3), entries(3, 4), entries(3, 7));
    await read(client, '1000-0');
    now += 20_000;
    stream.error = new Error('ERR no such key');
    await read(client, '1000-3');
    expect(onGap).toHaveBeenCalledWith(expect.objectContaining({ reason: 'reset', offset: '1000-3' }));

    now += 20_000;
    stream.error = new Error('Connection is closed.');
    await read(client, '1000-6');
    expect(onGap).toHaveBeenCalledTimes(2);
    expect(onGap).toHaveBeenLastCalledWith(expect.objectContaining({ reason: 'trimmed' }));
  });

  it('after a gap, reads on from the newest entry instead of the backlog, this read included', async () => {
    const { client, replies, stream, offsets } = fakeReader();
    const onGap = jest.fn();
    watchStreamReads(client, { retentionMs: 30_000, instanceId: 'me', onGap, now: clock });
    replies.push(entries(3), entries(3, 900), entries(1, 1001));
    await read(client, '1000-0');
    now += 20_000;
    stream.first = '1000-500';
    stream.lastGenerated = '1000-1000';
    await read(client, '1000-3');
    expect(onGap).toHaveBeenCalledTimes(1);
    expect(offsets).toEqual(['1000-0', '1000-1000']);

    // The adapter's own offset still points into the backlog (it took it from the entries it was handed).
    await read(client, '1000-902');
    expect(offsets).toEqual(['1000-0', '1000-1000', '1000-1000']);
    // Past that entry, its offsets are used again.
    await read(client, '1000-1001');
    expect(offsets[3]).toBe('1000-1001');
    expect(onGap).toHaveBeenCalledTimes(1);
  });

  it('skips the backlog from the next read when the gap shows only after a read', async () => {
    const { client, replies, stream, offsets, hooks } = fakeReader();
    const onGap = jest.fn();
    watchStreamReads(client, { retentionMs: 30_000, instanceId: 'me', onGap, now: clock });
    replies.push(entries(3), entries(3, 4), null);
    await read(client, '1000-0');
    now += 20_000;
    stream.first = '1000-1';
    hooks.onRead = () => {
      stream.first = '1000-600';
      stream.lastGenerated = '1000-700';
    };
    await read(client, '1000-3');
    expect(onGap).toHaveBeenCalledTimes(1);
    await read(client, '1000-6');
    expect(offsets).toEqual(['1000-0', '1000-3', '1000-700']);
    expect(onGap).toHaveBeenCalledTimes(1);
  });

  it('checks the first read on a new connection: nothing lost after a blip', async () => {
    const { client, replies, stream, calls } = fakeReader();
    const onGap = jest.fn();
    watchStreamReads(client, { retentionMs: 30_000, instanceId: 'me', onGap, now: clock });
    replies.push(entries(3), entries(1, 4), entries(1, 5));
    stream.first = '1000-1';
    await read(client, '1000-0');
    client.emit('ready');
    await read(client, '1000-3');
    await read(client, '1000-4');
    expect(calls).toEqual(['xread', 'xinfo', 'xread', 'xread']);
    expect(onGap).not.toHaveBeenCalled();
  });

  it('reports reset when Redis came back without the stream, or with a new one', async () => {
    const { client, replies, stream, offsets } = fakeReader();
    const onGap = jest.fn();
    watchStreamReads(client, { retentionMs: 30_000, instanceId: 'me', onGap, now: clock });
    replies.push(entries(3), null, null, null, [['5000-1', ['uid', 'x']]], null);
    await read(client, '1000-0');
    stream.error = new Error('ERR no such key');
    client.emit('ready');
    await read(client, '1000-3');
    expect(onGap).toHaveBeenCalledTimes(1);
    expect(onGap).toHaveBeenLastCalledWith(expect.objectContaining({ reason: 'reset', offset: '1000-3' }));

    // Still gone on the next read: the same loss, not reported again.
    await read(client, '1000-3');
    now += 60_000;
    await read(client, '1000-3');
    expect(onGap).toHaveBeenCalledTimes(1);

    // Restarted again, and another instance has published since: a new stream, which starts past the offset and
    // never lost an entry.
    startsAnew(stream, '5000-1');
    client.emit('ready');
    await read(client, '1000-3');
    expect(onGap).toHaveBeenCalledTimes(2);
    expect(onGap).toHaveBeenLastCalledWith(expect.objectContaining({ reason: 'reset' }));
    expect(offsets.at(-1)).toBe('5000-1');
  });

  it('takes a stream created after it was found missing for the same loss, not a new one', async () => {
    const { client, replies, stream } = fakeReader();
    const onGap = jest.fn();
    watchStreamReads(client, { retentionMs: 30_000, instanceId: 'me', onGap, now: clock });
    replies.push(entries(3), null, [['5000-1', ['uid', 'x']]]);
    await read(client, '1000-0');
    stream.error = new Error('ERR no such key');
    client.emit('ready');
    await read(client, '1000-3');
    expect(onGap).toHaveBeenCalledTimes(1);

    // Another instance publishes into a new stream while this reader is (or seems) behind.
    startsAnew(stream, '5000-1');
    now += 20_000;
    await read(client, '1000-3');
    expect(onGap).toHaveBeenCalledTimes(1);
  });

  it('reports trimmed, not reset, when the connection came back to the same stream trimmed past the offset', async () => {
    const { client, replies, stream } = fakeReader();
    const onGap = jest.fn();
    watchStreamReads(client, { retentionMs: 30_000, instanceId: 'me', onGap, now: clock });
    replies.push(entries(3), null);
    await read(client, '1000-0');
    stream.first = '9000-1';
    stream.lastGenerated = '9000-5';
    client.emit('ready');
    await read(client, '1000-3');
    expect(onGap).toHaveBeenCalledWith(expect.objectContaining({ reason: 'trimmed' }));
  });

  it('checks after a read during which the connection came back', async () => {
    const { client, replies, stream, hooks } = fakeReader();
    const onGap = jest.fn();
    watchStreamReads(client, { retentionMs: 30_000, instanceId: 'me', onGap, now: clock });
    replies.push(entries(3), null);
    await read(client, '1000-0');
    // A blocking read is resent on the new connection and times out: the stream is gone.
    hooks.onRead = () => {
      stream.error = new Error('ERR no such key');
      client.emit('ready');
    };
    await read(client, '1000-3');
    expect(onGap).toHaveBeenCalledWith(expect.objectContaining({ reason: 'reset', offset: '1000-3' }));
  });

  it("reports another instance's lost-publish marker, and ignores its own", async () => {
    const { client, replies } = fakeReader();
    const onGap = jest.fn();
    watchStreamReads(client, { retentionMs: 30_000, instanceId: 'me', onGap, now: clock });
    replies.push(
      [
        ['1000-1', ['uid', 'x']],
        ['1000-2', [LOST_PUBLISH_FIELD, 'me']],
      ],
      [
        ['1000-3', [LOST_PUBLISH_FIELD, 'other']],
        ['1000-4', ['uid', 'x']],
      ],
    );
    await read(client, '1000-0');
    expect(onGap).not.toHaveBeenCalled();
    await read(client, '1000-2');
    expect(onGap).toHaveBeenCalledWith({ reason: 'lost-publish', stream: 's', instanceId: 'other' });
  });

  it('never checks a read from the newest entry ($), even on a new connection', async () => {
    const { client, replies, calls } = fakeReader();
    watchStreamReads(client, { retentionMs: 30_000, instanceId: 'me', onGap: jest.fn(), now: clock });
    replies.push(null);
    now += 60_000;
    client.emit('ready');
    await read(client, '$');
    expect(calls).toEqual(['xread']);
  });
});
