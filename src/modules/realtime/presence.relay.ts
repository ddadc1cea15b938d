import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { RoomsService } from '../rooms/rooms.service';
import { PresenceStore } from '../users/presence.store';
import { UsersService } from '../users/users.service';
import { SocketPublisher } from './socket.publisher';

/** A connection's lease in Redis; refreshed every PRESENCE_HEARTBEAT_MS, so a dead instance's users expire. */
export const PRESENCE_TTL_MS = 45_000;
export const PRESENCE_HEARTBEAT_MS = 15_000;

/**
 * Online/offline across the cluster. A user is online while any socket of theirs, on any instance, holds a live
 * lease in the shared PresenceStore; transitions (first socket in, last socket out) are broadcast as `presence` to
 * the users who share a room with them, and going offline records `lastSeenAt`.
 */
@Injectable()
export class PresenceRelay implements OnModuleDestroy {
  private readonly logger = new Logger('Presence');
  /** socket id -> user id, for the sockets on this instance. */
  private readonly local = new Map<string, string>();
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly store: PresenceStore,
    private readonly users: UsersService,
    private readonly rooms: RoomsService,
    private readonly publisher: SocketPublisher,
  ) {}

  async connected(userId: string, socketId: string, roomIds: string[]): Promise<void> {
    this.local.set(socketId, userId);
    this.startHeartbeat();
    const cameOnline = await this.store.connect(userId, socketId, PRESENCE_TTL_MS);
    // The socket may have gone again while Redis answered; its disconnect already ran.
    if (!this.local.has(socketId)) return;
    if (cameOnline) {
      this.publisher.presence(roomIds, { userId, status: 'online', lastSeenAt: new Date().toISOString() });
    }
  }

  async disconnected(userId: string, socketId: string): Promise<void> {
    if (!this.local.delete(socketId)) return;
    await this.release(userId, socketId);
  }

  /** Releases every local lease at shutdown, so users whose only sockets were here go offline now, not at TTL. */
  async releaseAll(): Promise<void> {
    this.stopHeartbeat();
    const entries = [...this.local.entries()];
    this.local.clear();
    await Promise.all(entries.map(([socketId, userId]) => this.release(userId, socketId)));
  }

  onModuleDestroy(): void {
    this.stopHeartbeat();
  }

  private async release(userId: string, socketId: string): Promise<void> {
    const wentOffline = await this.store.disconnect(userId, socketId);
    if (!wentOffline) return;
    const lastSeenAt = new Date();
    await this.users.touchLastSeen(userId, lastSeenAt);
    const roomIds = await this.rooms.roomIdsForUser(userId);
    this.publisher.presence(roomIds, { userId, status: 'offline', lastSeenAt: lastSeenAt.toISOString() });
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => void this.refreshAll(), PRESENCE_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private async refreshAll(): Promise<void> {
    const results = await Promise.allSettled(
      [...this.local.entries()].map(([socketId, userId]) =>
        this.store.refresh(userId, socketId, PRESENCE_TTL_MS),
      ),
    );
    const failed = results.filter((result) => result.status === 'rejected').length;
    if (failed > 0) this.logger.warn(`Presence heartbeat failed for ${failed} connection(s)`);
  }
}
