import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import { RoomsService } from '../rooms/rooms.service';
import { PresenceStore } from '../users/presence.store';
import { UsersService } from '../users/users.service';
import { SocketPublisher } from './socket.publisher';

/**
 * An instance's lease in Redis (PRESENCE_LEASE_SECONDS, default 45 s), refreshed every third of that: a dead
 * instance's users expire, and another instance announces them offline (sweepDeadInstances).
 */
export const PRESENCE_TTL_MS = 45_000;
export const PRESENCE_HEARTBEAT_MS = PRESENCE_TTL_MS / 3;

/**
 * `presence` is not broadcast into conversations with more members than this. Each transition would cost one
 * frame per member socket, so a room of n members reconnecting after an outage costs n² frames (a 5k room:
 * ~10k frames per reconnect, 50M for the whole room). Clients read the presence of the members they show from
 * the REST user endpoints instead (docs/REALTIME.md).
 */
export const PRESENCE_MAX_ROOM_MEMBERS = 1000;
/** How long a conversation's member count is trusted for that decision; membership changes are rare. */
const ROOM_SIZE_TTL_MS = 5 * 60_000;
/** Member counts read from PostgreSQL at once, so the reads leave the pool to requests. */
const ROOM_SIZE_READS = 4;

/** A user whose last socket here closed, still holding this instance's lease until the offline delay ends. */
interface Lingering {
  timer: NodeJS.Timeout;
  closedAt: Date;
  roomIds: string[] | undefined;
}

interface RoomSize {
  /** Resolves to the member count, or undefined when it could not be read (the room is then not skipped). */
  count: Promise<number | undefined>;
  until: number;
}

/**
 * Online/offline across the cluster. A user is online while any instance holds a live lease for them in the
 * shared PresenceStore. Each instance holds one lease per user with sockets on it (not one per socket), so a
 * user's second device and the heartbeat of a user with several devices cost no extra Redis call, and keeps it
 * PRESENCE_OFFLINE_DELAY_MS after their last socket closed. Transitions (first lease in, last lease out) are
 * broadcast as `presence` to the users who share a conversation of at most PRESENCE_MAX_ROOM_MEMBERS members with
 * them, and going offline records `lastSeenAt`.
 */
@Injectable()
export class PresenceRelay implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Presence');
  /** This instance's connection id in every presence set. */
  private readonly leaseId = randomUUID();
  /** socket id -> user id, for the sockets on this instance (makes a repeated disconnect harmless). */
  private readonly sockets = new Map<string, string>();
  /** user id -> how many of their sockets are on this instance. */
  private readonly users = new Map<string, number>();
  private readonly lingering = new Map<string, Lingering>();
  private readonly roomSizes = new Map<string, RoomSize>();
  /** After a restart every room of every reconnecting user is unknown: read them a few at a time, not all at once. */
  private readonly sizeReads = new Limiter(ROOM_SIZE_READS);
  private heartbeat?: NodeJS.Timeout;
  private sweeper?: NodeJS.Timeout;
  /**
   * PRESENCE_OFFLINE_DELAY_SECONDS: a user stays online this long after their last connection closed, so a page
   * reload, a network handover or a reconnect after an outage costs no offline/online pair (two broadcasts to every
   * room mate, a database write) when the user is back in time; 0 releases at once. `lastSeenAt` is still the
   * moment the last connection closed. The default (15 s) outlasts socket.io-client's first three reconnection
   * attempts (about 1, 2 and 4 s apart): after a mass disconnect, users who come back while the server works
   * through everyone's handshakes do not flap offline and online for each of their room mates, which would add
   * a broadcast per room mate per user to the very backlog that delayed them.
   */
  private readonly offlineDelayMs: number;

  private readonly leaseTtlMs: number;
  private readonly heartbeatMs: number;

  constructor(
    private readonly store: PresenceStore,
    private readonly usersService: UsersService,
    private readonly rooms: RoomsService,
    private readonly publisher: SocketPublisher,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.leaseTtlMs = config.presence.leaseTtlMs;
    this.offlineDelayMs = config.presence.offlineDelayMs;
    this.heartbeatMs = Math.floor(this.leaseTtlMs / 3);
  }

  async connected(userId: string, socketId: string, roomIds: string[]): Promise<void> {
    if (this.sockets.has(socketId)) return;
    this.sockets.set(socketId, userId);
    const count = (this.users.get(userId) ?? 0) + 1;
    this.users.set(userId, count);
    this.startHeartbeat();
    // Another socket of the user already holds this instance's lease, or it is still held after their last one.
    if (count > 1 || this.resume(userId)) return;
    const cameOnline = await this.store.connect(userId, this.leaseId, this.leaseTtlMs);
    // The user's sockets may have gone again while Redis answered; their disconnect already ran.
    if (!cameOnline || !this.users.has(userId)) return;
    const lastSeenAt = new Date().toISOString();
    const audience = await this.audience(userId, roomIds);
    if (!this.users.has(userId)) return;
    this.publisher.presence(audience, { userId, status: 'online', lastSeenAt });
  }

  /** @param roomIds the conversations the socket was in when it closed; read from PostgreSQL when not given. */
  async disconnected(userId: string, socketId: string, roomIds?: string[]): Promise<void> {
    if (!this.sockets.delete(socketId)) return;
    const count = this.users.get(userId) ?? 1;
    if (count > 1) {
      this.users.set(userId, count - 1);
      return;
    }
    this.users.delete(userId);
    if (this.offlineDelayMs <= 0) {
      await this.release(userId, roomIds, new Date());
      return;
    }
    const closedAt = new Date();
    const timer = setTimeout(() => {
      this.lingering.delete(userId);
      this.release(userId, roomIds, closedAt).catch((error: unknown) => {
        this.logger.warn({ err: error, userId }, 'Could not record presence on disconnect');
      });
    }, this.offlineDelayMs);
    timer.unref();
    this.lingering.set(userId, { timer, closedAt, roomIds });
  }

  /** Takes the user's lease back if it is still held after their last socket closed. */
  private resume(userId: string): boolean {
    const lingering = this.lingering.get(userId);
    if (!lingering) return false;
    clearTimeout(lingering.timer);
    this.lingering.delete(userId);
    return true;
  }

  /** Releases every local lease at shutdown, so users whose only sockets were here go offline now, not at TTL. */
  async releaseAll(): Promise<void> {
    this.stopHeartbeat();
    const now = new Date();
    const leases: Array<[string, Date, string[] | undefined]> = [...this.users.keys()].map((id) => [
      id,
      now,
      undefined,
    ]);
    for (const [userId, { timer, closedAt, roomIds }] of this.lingering) {
      clearTimeout(timer);
      leases.push([userId, closedAt, roomIds]);
    }
    this.users.clear();
    this.lingering.clear();
    this.sockets.clear();
    await Promise.all(leases.map(([userId, closedAt, roomIds]) => this.release(userId, roomIds, closedAt)));
    await this.store.retire(this.leaseId);
  }

  onModuleInit(): void {
    this.sweeper = setInterval(() => void this.sweepDeadInstances(), this.heartbeatMs);
    this.sweeper.unref();
  }

  /**
   * Announces `offline` for the users of instances that died (their heartbeat lapsed) and who have no connection
   * left anywhere: a crashed instance cannot say it itself. Every instance sweeps; each dead instance is claimed
   * by one of them.
   */
  async sweepDeadInstances(): Promise<void> {
    try {
      for (const { lastSeenAt, offlineUserIds } of await this.store.claimDeadHolders(this.leaseTtlMs)) {
        for (const userId of offlineUserIds) await this.announceOffline(userId, undefined, lastSeenAt);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'Presence sweep of dead instances failed');
    }
  }

  onModuleDestroy(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.stopHeartbeat();
    for (const { timer } of this.lingering.values()) clearTimeout(timer);
    this.lingering.clear();
  }

  private async release(userId: string, roomIds: string[] | undefined, lastSeenAt: Date): Promise<void> {
    const wentOffline = await this.store.disconnect(userId, this.leaseId);
    if (wentOffline) await this.announceOffline(userId, roomIds, lastSeenAt);
  }

  private async announceOffline(
    userId: string,
    roomIds: string[] | undefined,
    lastSeenAt: Date,
  ): Promise<void> {
    await this.usersService.touchLastSeen(userId, lastSeenAt);
    // Back on this instance meanwhile: its connect announced (or will announce) online, which must be the last
    // word. (Back on another instance, the order of the two events is not guaranteed.)
    if (this.users.has(userId)) return;
    const audience = await this.audience(userId, roomIds ?? (await this.rooms.roomIdsForUser(userId)));
    if (this.users.has(userId)) return;
    this.publisher.presence(audience, {
      userId,
      status: 'offline',
      lastSeenAt: lastSeenAt.toISOString(),
    });
  }

  /** Of the user's conversations, those small enough to hear about their presence. */
  private async audience(userId: string, roomIds: readonly string[]): Promise<string[]> {
    if (roomIds.length === 0) return [];
    const counts = await Promise.all(roomIds.map((roomId) => this.memberCount(userId, roomId)));
    return roomIds.filter((_, index) => {
      const count = counts[index];
      return count === undefined || count <= PRESENCE_MAX_ROOM_MEMBERS;
    });
  }

  private memberCount(userId: string, roomId: string): Promise<number | undefined> {
    const now = Date.now();
    const cached = this.roomSizes.get(roomId);
    if (cached && cached.until > now) return cached.count;
    // Read as this user, who is a member; a failure (they were just removed, the database is away) is not cached.
    const count = this.sizeReads
      .run(() => this.rooms.get(userId, roomId))
      .then(
        (room) => room.memberCount,
        () => {
          this.roomSizes.delete(roomId);
          return undefined;
        },
      );
    this.roomSizes.set(roomId, { count, until: now + ROOM_SIZE_TTL_MS });
    return count;
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => void this.refreshAll(), this.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private async refreshAll(): Promise<void> {
    const now = Date.now();
    for (const [roomId, size] of this.roomSizes) if (size.until <= now) this.roomSizes.delete(roomId);
    const userIds = [...this.users.keys(), ...this.lingering.keys()];
    try {
      await this.store.refreshMany(userIds, this.leaseId, this.leaseTtlMs);
    } catch (error) {
      this.logger.warn({ err: error, users: userIds.length }, 'Presence heartbeat failed');
    }
  }
}

/** Runs at most `limit` tasks at once, the others in the order they came. */
export class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot to the next waiter directly, so a newcomer cannot take it in between.
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
