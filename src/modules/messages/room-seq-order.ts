/** A write in flight: the rooms it touches. Identity is what matters. */
export interface Write {
  readonly roomIds: readonly string[];
}

/** A stored message whose event waits for its turn. */
export interface Ready {
  roomId: string;
  seq: number;
  emit: () => void;
}

interface Held {
  seq: number;
  emit: () => void;
  /** Writes that were in flight in this room when this one finished: only they can hold a lower seq. */
  waitingFor: Set<Write>;
}

interface RoomState {
  inFlight: Set<Write>;
  held: Held[];
  /** The highest seq emitted in this room by this instance, while it is known. */
  lastSeq?: number;
}

/** Rooms remembered while idle (for `lastSeq`); the least recently written idle rooms are forgotten first. */
const MAX_IDLE_ROOMS = 10_000;

/**
 * Emits each room's new messages in `seq` order on this instance, although concurrent writes finish in any order.
 *
 * Writes to one room are serialised by the room's row lock, which hands out the seqs; but a write that committed
 * first can reach Node after one that committed later (two connections, two cores). The invariant used: a write
 * that starts after another one has finished (as Node saw it) locks the room after it and gets higher seqs. So
 * when a write finishes, the only writes that can still bring lower seqs in its rooms are those in flight at that
 * moment, and its events wait for those, no longer. An event emits at once when it is the next seq after the last
 * one emitted in its room (the common case, without waiting at all), or once the writes it waits for are done.
 * A seq taken by another instance leaves a gap that no local write fills: the wait ends with the writes in flight.
 */
export class RoomSeqOrder {
  private readonly rooms = new Map<string, RoomState>();

  /** Registers a write before its statement is sent. */
  begin(roomIds: readonly string[]): Write {
    const write: Write = { roomIds: [...new Set(roomIds)] };
    for (const roomId of write.roomIds) {
      const state = this.rooms.get(roomId) ?? { inFlight: new Set<Write>(), held: [] };
      // Re-inserted so the map's order is least recently written first.
      this.rooms.delete(roomId);
      this.rooms.set(roomId, state);
      state.inFlight.add(write);
    }
    return write;
  }

  /**
   * Ends a write (failed ones too, with no messages) and emits every event whose turn has come, its own and
   * others' it was holding back, each room in seq order.
   */
  finish(write: Write, stored: readonly Ready[]): void {
    const storedByRoom = new Map<string, Ready[]>();
    for (const message of stored) {
      const list = storedByRoom.get(message.roomId);
      if (list) list.push(message);
      else storedByRoom.set(message.roomId, [message]);
    }
    for (const roomId of write.roomIds) {
      const state = this.rooms.get(roomId);
      if (!state) continue;
      state.inFlight.delete(write);
      for (const held of state.held) held.waitingFor.delete(write);
      const mine = storedByRoom.get(roomId);
      if (mine) {
        // One set for the write's messages in this room: they wait for the same writes.
        const waitingFor = new Set(state.inFlight);
        for (const message of mine) state.held.push({ seq: message.seq, emit: message.emit, waitingFor });
      }
      this.release(state);
    }
    this.forgetIdleRooms();
  }

  /** Rooms with writes in flight or events held: none once every write has finished. */
  get busyRooms(): number {
    let busy = 0;
    for (const state of this.rooms.values()) if (!isIdle(state)) busy += 1;
    return busy;
  }

  private release(state: RoomState): void {
    if (state.held.length === 0) return;
    state.held.sort((a, b) => a.seq - b.seq);
    // Everything up to the highest seq whose wait is over is safe: a lower seq still missing would have to come
    // from a write in flight when that one finished, and those are done.
    let safeUpTo = -Infinity;
    for (const held of state.held) if (held.waitingFor.size === 0) safeUpTo = held.seq;
    let emitted = 0;
    for (const held of state.held) {
      const next = state.lastSeq !== undefined && held.seq === state.lastSeq + 1;
      if (held.seq > safeUpTo && !next) break;
      emitted += 1;
      state.lastSeq = Math.max(state.lastSeq ?? held.seq, held.seq);
      held.emit();
    }
    state.held.splice(0, emitted);
  }

  private forgetIdleRooms(): void {
    if (this.rooms.size <= MAX_IDLE_ROOMS) return;
    for (const [roomId, state] of this.rooms) {
      if (this.rooms.size <= MAX_IDLE_ROOMS) return;
      if (isIdle(state)) this.rooms.delete(roomId);
    }
  }
}

function isIdle(state: RoomState): boolean {
  return state.inFlight.size === 0 && state.held.length === 0;
}
