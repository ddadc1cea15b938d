import { planBatch, PlannedSend, RoomCounters, sendKey } from './message-batch-plan';

const send = (roomId: string, senderId: string, clientMessageId: string, parentId: string | null = null) => ({
  roomId,
  senderId,
  clientMessageId,
  parentId,
});

function counters(entries: Record<string, RoomCounters>): Map<string, RoomCounters> {
  return new Map(Object.entries(entries));
}

describe('planBatch', () => {
  it('numbers new messages of a room consecutively after the locked counters, in submission order', () => {
    const items: PlannedSend[] = [send('r1', 'u1', 'a'), send('r1', 'u2', 'b'), send('r1', 'u1', 'c')];
    const plan = planBatch(items, counters({ r1: { lastSeq: 10, rev: 40 } }), new Set());
    expect(plan.entries).toEqual([
      { kind: 'new', seq: 11, rev: 41 },
      { kind: 'new', seq: 12, rev: 42 },
      { kind: 'new', seq: 13, rev: 43 },
    ]);
    expect(plan.rooms.get('r1')).toEqual({ lastSeq: 13, rev: 43 });
  });

  it('numbers each room independently', () => {
    const items = [send('r1', 'u1', 'a'), send('r2', 'u1', 'a'), send('r1', 'u1', 'b')];
    const plan = planBatch(
      items,
      counters({ r1: { lastSeq: 0, rev: 0 }, r2: { lastSeq: 5, rev: 9 } }),
      new Set(),
    );
    expect(plan.entries).toEqual([
      { kind: 'new', seq: 1, rev: 1 },
      { kind: 'new', seq: 6, rev: 10 },
      { kind: 'new', seq: 2, rev: 2 },
    ]);
    expect(plan.rooms).toEqual(counters({ r1: { lastSeq: 2, rev: 2 }, r2: { lastSeq: 6, rev: 10 } }));
  });

  it('answers resends of stored messages without consuming a seq', () => {
    const items = [send('r1', 'u1', 'old'), send('r1', 'u1', 'new')];
    const plan = planBatch(
      items,
      counters({ r1: { lastSeq: 3, rev: 7 } }),
      new Set([sendKey(send('r1', 'u1', 'old'))]),
    );
    expect(plan.entries).toEqual([
      { kind: 'existing', key: sendKey(items[0]) },
      { kind: 'new', seq: 4, rev: 8 },
    ]);
    expect(plan.rooms.get('r1')).toEqual({ lastSeq: 4, rev: 8 });
  });

  it('collapses duplicates within the batch onto the first occurrence, leaving no gap', () => {
    const items = [
      send('r1', 'u1', 'x'),
      send('r1', 'u1', 'x'),
      send('r1', 'u1', 'y'),
      send('r1', 'u1', 'x'),
    ];
    const plan = planBatch(items, counters({ r1: { lastSeq: 0, rev: 0 } }), new Set());
    expect(plan.entries).toEqual([
      { kind: 'new', seq: 1, rev: 1 },
      { kind: 'duplicate', of: 0 },
      { kind: 'new', seq: 2, rev: 2 },
      { kind: 'duplicate', of: 0 },
    ]);
  });

  it('treats the same clientMessageId from another sender or room as a different message', () => {
    const items = [send('r1', 'u1', 'x'), send('r1', 'u2', 'x'), send('r2', 'u1', 'x')];
    const plan = planBatch(
      items,
      counters({ r1: { lastSeq: 0, rev: 0 }, r2: { lastSeq: 0, rev: 0 } }),
      new Set(),
    );
    expect(plan.entries.map((entry) => entry.kind)).toEqual(['new', 'new', 'new']);
  });

  it('marks items of rooms that could not be locked as gone and leaves those rooms untouched', () => {
    const items = [send('gone', 'u1', 'a'), send('r1', 'u1', 'a')];
    const plan = planBatch(items, counters({ r1: { lastSeq: 1, rev: 1 } }), new Set());
    expect(plan.entries).toEqual([{ kind: 'room-gone' }, { kind: 'new', seq: 2, rev: 2 }]);
    expect([...plan.rooms.keys()]).toEqual(['r1']);
  });

  it('counts new thread replies per parent, ignoring duplicates', () => {
    const items = [
      send('r1', 'u1', 'a', 'p1'),
      send('r1', 'u1', 'a', 'p1'),
      send('r1', 'u2', 'b', 'p1'),
      send('r1', 'u2', 'c', 'p2'),
      send('r1', 'u2', 'd'),
    ];
    const plan = planBatch(items, counters({ r1: { lastSeq: 0, rev: 0 } }), new Set());
    expect(plan.threadReplies).toEqual(
      new Map([
        ['p1', 2],
        ['p2', 1],
      ]),
    );
  });

  it('leaves rooms without new messages out of the counter updates', () => {
    const items = [send('r1', 'u1', 'a')];
    const plan = planBatch(items, counters({ r1: { lastSeq: 1, rev: 1 } }), new Set([sendKey(items[0])]));
    expect(plan.rooms.size).toBe(0);
  });
});
