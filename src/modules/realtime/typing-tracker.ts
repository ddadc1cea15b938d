export interface TypingKey {
  roomId: string;
  userId: string;
}

interface TypingEntry extends TypingKey {
  socketId: string;
  timer: NodeJS.Timeout;
}

/**
 * Who is typing where, on this instance. A `typing:start` holds for `ttlMs` unless refreshed, so a client that
 * vanishes mid-sentence does not leave "is typing…" up forever: the expiry calls `onExpire` (which emits
 * isTyping false). Only state changes are reported, so a client refreshing on every keystroke causes one broadcast.
 */
export class TypingTracker {
  private readonly entries = new Map<string, TypingEntry>();

  constructor(
    private readonly ttlMs: number,
    private readonly onExpire: (key: TypingKey) => void,
  ) {}

  /** Starts or refreshes; true when the user was not typing in that room before (broadcast isTyping true). */
  start(roomId: string, userId: string, socketId: string): boolean {
    const id = `${roomId}:${userId}`;
    const existing = this.entries.get(id);
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.entries.delete(id);
      this.onExpire({ roomId, userId });
    }, this.ttlMs);
    timer.unref();
    this.entries.set(id, { roomId, userId, socketId, timer });
    return existing === undefined;
  }

  /** True when the user was typing there (broadcast isTyping false). */
  stop(roomId: string, userId: string): boolean {
    const id = `${roomId}:${userId}`;
    const existing = this.entries.get(id);
    if (!existing) return false;
    clearTimeout(existing.timer);
    this.entries.delete(id);
    return true;
  }

  /** Stops everything a disconnected socket had started; returns what stopped (broadcast isTyping false). */
  dropSocket(socketId: string): TypingKey[] {
    const stopped: TypingKey[] = [];
    for (const [id, entry] of this.entries) {
      if (entry.socketId !== socketId) continue;
      clearTimeout(entry.timer);
      this.entries.delete(id);
      stopped.push({ roomId: entry.roomId, userId: entry.userId });
    }
    return stopped;
  }

  /** Whether the user is typing in that room (as far as this instance knows). */
  isTyping(roomId: string, userId: string): boolean {
    return this.entries.has(`${roomId}:${userId}`);
  }

  clear(): void {
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
    this.entries.clear();
  }
}
