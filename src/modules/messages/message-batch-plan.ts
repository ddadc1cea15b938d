/** What the planner needs to know about one validated send. */
export interface PlannedSend {
  roomId: string;
  senderId: string;
  clientMessageId: string;
  parentId: string | null;
}

/** A room's counters as locked at the start of the batch transaction. */
export interface RoomCounters {
  lastSeq: number;
  rev: number;
}

export type PlanEntry =
  /** Store it with this seq and rev. */
  | { kind: 'new'; seq: number; rev: number }
  /** Already stored by an earlier request (idempotent resend): answer with the stored row. */
  | { kind: 'existing'; key: string }
  /** The same send appears earlier in this batch: answer with that item's row. */
  | { kind: 'duplicate'; of: number }
  /** The room was not found (deleted since validation). */
  | { kind: 'room-gone' };

export interface BatchPlan {
  /** One entry per input item, same order. */
  entries: PlanEntry[];
  /** New counters per room that gets at least one new message. */
  rooms: Map<string, RoomCounters>;
  /** How many new replies each thread parent gets. */
  threadReplies: Map<string, number>;
}

/** The idempotency key of a send: unique per (room, sender, clientMessageId). */
export function sendKey(item: Pick<PlannedSend, 'roomId' | 'senderId' | 'clientMessageId'>): string {
  return `${item.roomId} ${item.senderId} ${item.clientMessageId}`;
}

/**
 * Plans one batch of sends. Deduplication runs BEFORE numbering, against rows already stored and within the
 * batch, so a duplicate never consumes a seq (an ON CONFLICT after numbering would leave a hole). New items of a
 * room get consecutive seqs and revs after the locked counters, in submission order.
 */
export function planBatch(
  items: readonly PlannedSend[],
  counters: ReadonlyMap<string, RoomCounters>,
  stored: ReadonlySet<string>,
): BatchPlan {
  const entries: PlanEntry[] = [];
  const rooms = new Map<string, RoomCounters>();
  const threadReplies = new Map<string, number>();
  const firstIndexByKey = new Map<string, number>();

  items.forEach((item, index) => {
    const key = sendKey(item);
    const locked = counters.get(item.roomId);
    if (!locked) {
      entries.push({ kind: 'room-gone' });
      return;
    }
    if (stored.has(key)) {
      entries.push({ kind: 'existing', key });
      return;
    }
    const first = firstIndexByKey.get(key);
    if (first !== undefined) {
      entries.push({ kind: 'duplicate', of: first });
      return;
    }
    firstIndexByKey.set(key, index);
    const current = rooms.get(item.roomId) ?? { ...locked };
    const next = { lastSeq: current.lastSeq + 1, rev: current.rev + 1 };
    rooms.set(item.roomId, next);
    entries.push({ kind: 'new', seq: next.lastSeq, rev: next.rev });
    if (item.parentId) threadReplies.set(item.parentId, (threadReplies.get(item.parentId) ?? 0) + 1);
  });

  return { entries, rooms, threadReplies };
}
