import { Logger } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { AppException } from '../../common/errors/app-exception';
import { DomainEvents } from '../../common/events/domain-events';
import type { AppConfig } from '../../config/config';
import { MessageWriter } from './message-writer';
import type { MessageRecord, MessagesRepository, NewMessage, StoreOutcome } from './messages.repository';

function record(message: NewMessage, seq: number): MessageRecord {
  return {
    id: `id-${message.clientMessageId}`,
    roomId: message.roomId,
    seq,
    rev: seq,
    senderId: message.senderId,
    clientMessageId: message.clientMessageId,
    content: message.content,
    parentId: message.parentId,
    threadReplyCount: 0,
    mentions: message.mentions,
    createdAt: new Date(0),
    editedAt: null,
    deletedAt: null,
    reactions: [],
    attachments: message.attachments,
  };
}

function send(clientMessageId: string, roomId = 'room-1'): NewMessage {
  return {
    roomId,
    senderId: 'user-1',
    clientMessageId,
    content: clientMessageId,
    parentId: null,
    mentions: [],
    attachments: [],
  };
}

/** A fake store that records each batch and numbers messages; `poison` makes any batch containing it fail. */
class FakeStore {
  batches: string[][] = [];
  seq = 0;
  poison = new Set<string>();
  gone = new Set<string>();
  blocked = new Set<string>();
  /** Batches that fail as if a twin committed by another batch had hit the unique index. */
  twinConflicts = 0;

  async storeBatch(items: readonly NewMessage[]): Promise<StoreOutcome[]> {
    this.batches.push(items.map((item) => item.clientMessageId));
    if (items.some((item) => this.poison.has(item.clientMessageId))) throw new Error('constraint violated');
    if (this.twinConflicts > 0) {
      this.twinConflicts -= 1;
      throw Object.assign(new Error('duplicate key'), {
        code: '23505',
        constraint: 'UQ_messages_client_message',
      });
    }
    return items.map((item): StoreOutcome => {
      if (this.gone.has(item.roomId)) return { kind: 'room-gone' };
      if (this.blocked.has(item.roomId)) return { kind: 'blocked' };
      return { kind: 'created', record: record(item, ++this.seq) };
    });
  }
}

function writer(store: FakeStore, messages: { batchWindowMs: number; batchMaxSize: number }) {
  const events = new DomainEvents();
  const published: string[] = [];
  events.subscribe('message.created', ({ message }) => {
    published.push(message.clientMessageId);
  });
  let counted = 0;
  const counter = { inc: (n = 1) => (counted += n) } as unknown as Counter<string>;
  const instance = new MessageWriter(
    store as unknown as MessagesRepository,
    events,
    { messages } as AppConfig,
    counter,
  );
  return { instance, published, counted: () => counted };
}

describe('MessageWriter', () => {
  beforeAll(() => {
    // The retry path logs a warning by design; keep the test output clean.
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterAll(() => jest.restoreAllMocks());

  it('stores sends that arrive within the window in one batch and resolves each caller', async () => {
    const store = new FakeStore();
    const { instance, published, counted } = writer(store, { batchWindowMs: 5, batchMaxSize: 64 });
    const results = await Promise.all(['a', 'b', 'c'].map((id) => instance.write(send(id))));
    expect(store.batches).toEqual([['a', 'b', 'c']]);
    expect(
      results.map((result) => [result.record.clientMessageId, result.record.seq, result.created]),
    ).toEqual([
      ['a', 1, true],
      ['b', 2, true],
      ['c', 3, true],
    ]);
    expect(published).toEqual(['a', 'b', 'c']);
    expect(counted()).toBe(3);
  });

  it('with a window of 0, stores the sends of one event-loop turn together without waiting for a timer', async () => {
    const store = new FakeStore();
    const { instance } = writer(store, { batchWindowMs: 0, batchMaxSize: 64 });
    const first = Promise.all(['a', 'b'].map((id) => instance.write(send(id))));
    await first;
    await instance.write(send('c'));
    expect(store.batches).toEqual([['a', 'b'], ['c']]);
  });

  it('flushes as soon as a batch is full', async () => {
    const store = new FakeStore();
    const { instance } = writer(store, { batchWindowMs: 60_000, batchMaxSize: 2 });
    await Promise.all(['a', 'b'].map((id) => instance.write(send(id))));
    expect(store.batches).toEqual([['a', 'b']]);
  });

  it('retries a failed batch one item at a time, so one bad send fails alone', async () => {
    const store = new FakeStore();
    store.poison.add('bad');
    const { instance, published } = writer(store, { batchWindowMs: 5, batchMaxSize: 64 });
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((id) => instance.write(send(id))));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(store.batches).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
    expect(published).toEqual(['a', 'c']);
  });

  it('answers 404 for sends whose room disappeared before the flush', async () => {
    const store = new FakeStore();
    store.gone.add('room-gone');
    const { instance } = writer(store, { batchWindowMs: 5, batchMaxSize: 64 });
    const [ok, gone] = await Promise.allSettled([
      instance.write(send('a')),
      instance.write(send('b', 'room-gone')),
    ]);
    expect(ok.status).toBe('fulfilled');
    expect(gone.status).toBe('rejected');
    const error = (gone as PromiseRejectedResult).reason as AppException;
    expect(error).toBeInstanceOf(AppException);
    expect(error.code).toBe('ROOM_NOT_FOUND');
  });

  it('answers 403 USER_BLOCKED for sends into a direct room across a block, and stores the others', async () => {
    const store = new FakeStore();
    store.blocked.add('dm');
    const { instance, published } = writer(store, { batchWindowMs: 5, batchMaxSize: 64 });
    const [blocked, ok] = await Promise.allSettled([
      instance.write(send('a', 'dm')),
      instance.write(send('b')),
    ]);
    expect(ok.status).toBe('fulfilled');
    const error = (blocked as PromiseRejectedResult).reason as AppException;
    expect(error).toBeInstanceOf(AppException);
    expect([error.status, error.code]).toEqual([403, 'USER_BLOCKED']);
    expect(published).toEqual(['b']);
  });

  it('retries the whole batch when it lost a race to a twin committed by another batch', async () => {
    const store = new FakeStore();
    store.twinConflicts = 2;
    const { instance } = writer(store, { batchWindowMs: 5, batchMaxSize: 64 });
    const results = await Promise.all(['a', 'b'].map((id) => instance.write(send(id))));
    expect(results.map((result) => result.created)).toEqual([true, true]);
    expect(store.batches).toEqual([
      ['a', 'b'],
      ['a', 'b'],
      ['a', 'b'],
    ]);
  });

  it('gives up on twin races after a few attempts and then retries one by one', async () => {
    const store = new FakeStore();
    store.twinConflicts = 3;
    const { instance } = writer(store, { batchWindowMs: 5, batchMaxSize: 64 });
    const results = await Promise.all(['a', 'b'].map((id) => instance.write(send(id))));
    expect(results.map((result) => result.created)).toEqual([true, true]);
    expect(store.batches).toEqual([['a', 'b'], ['a', 'b'], ['a', 'b'], ['a'], ['b']]);
  });

  it('does not publish or count resends of stored messages', async () => {
    const store = new FakeStore();
    store.storeBatch = async (items) => items.map((item) => ({ kind: 'existing', record: record(item, 7) }));
    const { instance, published, counted } = writer(store, { batchWindowMs: 1, batchMaxSize: 64 });
    const result = await instance.write(send('again'));
    expect(result).toMatchObject({ created: false, record: { seq: 7 } });
    expect(published).toEqual([]);
    expect(counted()).toBe(0);
  });

  it('drains queued sends before shutdown', async () => {
    const store = new FakeStore();
    const { instance } = writer(store, { batchWindowMs: 60_000, batchMaxSize: 64 });
    const pending = instance.write(send('late'));
    await instance.beforeApplicationShutdown();
    await expect(pending).resolves.toMatchObject({ created: true });
    expect(store.batches).toEqual([['late']]);
  });

  it("publishes a room's messages in seq order when concurrent batches commit out of order", async () => {
    // Each batch is answered when the test says so: the second batch (seq 2) is heard of before the first (seq 1).
    const answers: Array<() => void> = [];
    let seq = 0;
    const store = {
      storeBatch: (items: readonly NewMessage[]) => {
        const outcomes = items.map((item): StoreOutcome => ({
          kind: 'created',
          record: record(item, ++seq),
        }));
        return new Promise<StoreOutcome[]>((resolve) => answers.push(() => resolve(outcomes)));
      },
    };
    const { instance, published } = writer(store as unknown as FakeStore, {
      batchWindowMs: 60_000,
      batchMaxSize: 1,
    });
    const first = instance.write(send('a'));
    const second = instance.write(send('b'));
    expect(answers).toHaveLength(2);
    answers[1]();
    expect((await second).record.seq).toBe(2);
    expect(published).toEqual([]);
    answers[0]();
    await first;
    expect(published).toEqual(['a', 'b']);
  });
});
