import { RoomSeqOrder, type Ready } from './room-seq-order';

describe('RoomSeqOrder', () => {
  let order: RoomSeqOrder;
  let emitted: string[];

  const stored = (roomId: string, ...seqs: number[]): Ready[] =>
    seqs.map((seq) => ({ roomId, seq, emit: () => emitted.push(`${roomId}:${seq}`) }));

  beforeEach(() => {
    order = new RoomSeqOrder();
    emitted = [];
  });

  it('emits a lone write at once', () => {
    const write = order.begin(['a']);
    order.finish(write, stored('a', 2, 1));
    expect(emitted).toEqual(['a:1', 'a:2']);
    expect(order.busyRooms).toBe(0);
  });

  it('holds a write that finished first until a concurrent one with lower seqs has finished', () => {
    const first = order.begin(['a']);
    const second = order.begin(['a']);
    order.finish(second, stored('a', 3, 4));
    expect(emitted).toEqual([]);
    order.finish(first, stored('a', 1, 2));
    expect(emitted).toEqual(['a:1', 'a:2', 'a:3', 'a:4']);
    expect(order.busyRooms).toBe(0);
  });

  it('emits the next seq after the last emitted without waiting for writes in flight', () => {
    order.finish(order.begin(['a']), stored('a', 1));
    const slow = order.begin(['a']);
    const quick = order.begin(['a']);
    order.finish(quick, stored('a', 2));
    expect(emitted).toEqual(['a:1', 'a:2']);
    order.finish(slow, stored('a', 3));
    expect(emitted).toEqual(['a:1', 'a:2', 'a:3']);
  });

  it('ends the wait when the writes in flight are done, although a seq taken elsewhere never comes', () => {
    order.finish(order.begin(['a']), stored('a', 1));
    const other = order.begin(['a']);
    const mine = order.begin(['a']);
    // Seq 2 was taken by another instance.
    order.finish(mine, stored('a', 4));
    expect(emitted).toEqual(['a:1']);
    order.finish(other, stored('a', 3));
    expect(emitted).toEqual(['a:1', 'a:3', 'a:4']);
  });

  it('does not wait for writes that began after it finished', () => {
    const first = order.begin(['a']);
    const second = order.begin(['a']);
    order.finish(second, stored('a', 5));
    const later = order.begin(['a']);
    order.finish(first, stored('a', 4));
    // 5 waited only for `first`; `later` began after 5 was stored, so it can only bring higher seqs.
    expect(emitted).toEqual(['a:4', 'a:5']);
    order.finish(later, stored('a', 6));
    expect(emitted).toEqual(['a:4', 'a:5', 'a:6']);
  });

  it('releases a held write when the one it waits for fails', () => {
    const failing = order.begin(['a']);
    const ok = order.begin(['a']);
    order.finish(ok, stored('a', 7));
    expect(emitted).toEqual([]);
    order.finish(failing, []);
    expect(emitted).toEqual(['a:7']);
  });

  it('keeps rooms apart: a write is held only by writes to its own rooms', () => {
    const slowB = order.begin(['b']);
    const both = order.begin(['a', 'b']);
    order.finish(both, [...stored('a', 1), ...stored('b', 9)]);
    expect(emitted).toEqual(['a:1']);
    order.finish(slowB, stored('b', 8));
    expect(emitted).toEqual(['a:1', 'b:8', 'b:9']);
  });

  it('emits in seq order when several held writes are released at once', () => {
    const w1 = order.begin(['a']);
    const w2 = order.begin(['a']);
    const w3 = order.begin(['a']);
    order.finish(w3, stored('a', 5, 6));
    order.finish(w2, stored('a', 3, 4));
    expect(emitted).toEqual([]);
    order.finish(w1, stored('a', 1, 2));
    expect(emitted).toEqual(['a:1', 'a:2', 'a:3', 'a:4', 'a:5', 'a:6']);
  });

  it('forgets idle rooms past its limit and still orders busy ones', () => {
    for (let index = 0; index < 10_050; index += 1) {
      order.finish(order.begin([`room-${index}`]), stored(`room-${index}`, 1));
    }
    const held = order.begin(['room-0']);
    const next = order.begin(['room-0']);
    order.finish(next, stored('room-0', 3));
    order.finish(held, stored('room-0', 2));
    expect(emitted.slice(-2)).toEqual(['room-0:2', 'room-0:3']);
    expect(order.busyRooms).toBe(0);
  });
});
