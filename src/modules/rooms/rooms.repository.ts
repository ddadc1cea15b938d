import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TurnBatcher } from '../../common/turn-batcher';
import { messageColumns, messageFromRow, MessageRecord } from '../messages/messages.repository';
import type { RoomRole } from './room-member.entity';
import type { RoomType } from './room.entity';
import { SqlRunner, Statement, Tx } from './sql';

/** A room as one member sees it. */
export interface RoomView {
  id: string;
  type: RoomType;
  name: string | null;
  description: string | null;
  createdAt: Date;
  lastSeq: number;
  rev: number;
  memberCount: number;
  myRole: RoomRole;
  peerId: string | null;
}

export interface RoomListEntry extends RoomView {
  lastMessage: MessageRecord | null;
  unreadCount: number;
  /** Sort key of this entry: last activity (microsecond ISO string) and id. */
  key: [string, string];
}

/** The caller's membership and what the hot paths need to know about the room. */
export interface Membership {
  roomId: string;
  userId: string;
  role: RoomRole;
  roomType: RoomType;
  lastSeq: number;
  lastReadSeq: number;
  lastDeliveredSeq: number;
  /** Direct rooms: the other member. */
  peerId: string | null;
}

export interface MemberRecord {
  userId: string;
  username: string;
  displayName: string | null;
  role: RoomRole;
  joinedAt: Date;
  lastDeliveredSeq: number;
  lastReadSeq: number;
  /** Sort key: joinedAt (microsecond ISO string) and user id. */
  key: [string, string];
}

export type MembershipChange = 'done' | 'not-member' | 'last-owner' | 'room-gone';

/** What removing a departing account from one group did. */
export interface Departure {
  roomId: string;
  /** Who became owner because the departing user was the last one. */
  promotedUserId: string | null;
  remainingIds: string[];
  /** The room was left empty and deleted. */
  roomDeleted: boolean;
}

interface RoomViewRow {
  id: string;
  type: RoomType;
  name: string | null;
  description: string | null;
  created_at: Date;
  last_seq: number;
  rev: number;
  member_count: number;
  my_role: RoomRole;
  peer_id: string | null;
}

interface MemberRow {
  user_id: string;
  username: string;
  display_name: string | null;
  role: RoomRole;
  joined_at: Date;
  last_delivered_seq: number;
  last_read_seq: number;
  joined_key: string;
}

// Microsecond precision keeps cursors exact (a JS Date would round timestamptz to milliseconds).
const timeKey = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const ROOM_VIEW_COLUMNS = `r.id, r.type, r.name, r.description, r.created_at, r.last_seq, r.rev, me.role AS my_role,
  (SELECT count(*)::int FROM room_members c WHERE c.room_id = r.id) AS member_count,
  (SELECT p.user_id FROM room_members p
    WHERE r.type = 'direct' AND p.room_id = r.id AND p.user_id <> me.user_id LIMIT 1) AS peer_id`;

function toView(row: RoomViewRow): RoomView {
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    description: row.description,
    createdAt: row.created_at,
    lastSeq: row.last_seq,
    rev: row.rev,
    memberCount: row.member_count,
    myRole: row.my_role,
    peerId: row.peer_id,
  };
}

function toMember(row: MemberRow): MemberRecord {
  return {
    userId: row.user_id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    joinedAt: row.joined_at,
    lastDeliveredSeq: row.last_delivered_seq,
    lastReadSeq: row.last_read_seq,
    key: [row.joined_key, row.user_id],
  };
}

/** The live rooms of each of the users $1 (users without any have no row). */
const ROOM_IDS_FOR_USERS: Statement = {
  name: 'parley_room_ids_for_users',
  text: `
    SELECT rm.user_id, array_agg(rm.room_id) AS room_ids
      FROM room_members rm
      JOIN rooms r ON r.id = rm.room_id AND r.deleted_at IS NULL
     WHERE rm.user_id = ANY($1::uuid[])
     GROUP BY rm.user_id`,
};

/** Rooms and memberships. Membership changes lock the room row first, like every message write does. */
@Injectable()
export class RoomsRepository {
  private readonly sql: SqlRunner;

  private readonly roomLists = new TurnBatcher<string, string[]>((userIds) => this.roomIdsForUsers(userIds));

  constructor(dataSource: DataSource) {
    this.sql = new SqlRunner(dataSource);
  }

  /** The room as `userId` sees it; null unless it exists, is not deleted and `userId` is a member. */
  async findView(roomId: string, userId: string): Promise<RoomView | null> {
    const row = await this.sql.one<RoomViewRow>(
      `SELECT ${ROOM_VIEW_COLUMNS}
         FROM rooms r
         JOIN room_members me ON me.room_id = r.id AND me.user_id = $2
        WHERE r.id = $1 AND r.deleted_at IS NULL`,
      [roomId, userId],
    );
    return row && toView(row);
  }

  /** One indexed lookup for the hot paths (send, read, delivered); null for non-members and deleted rooms. */
  async findMembership(roomId: string, userId: string): Promise<Membership | null> {
    const row = await this.sql.one<{
      role: RoomRole;
      type: RoomType;
      last_seq: number;
      last_read_seq: number;
      last_delivered_seq: number;
      peer_id: string | null;
    }>(
      `SELECT me.role, r.type, r.last_seq, me.last_read_seq, me.last_delivered_seq,
              CASE WHEN r.type = 'direct' THEN
                (SELECT p.user_id FROM room_members p WHERE p.room_id = r.id AND p.user_id <> me.user_id LIMIT 1)
              END AS peer_id
         FROM room_members me
         JOIN rooms r ON r.id = me.room_id AND r.deleted_at IS NULL
        WHERE me.room_id = $1 AND me.user_id = $2`,
      [roomId, userId],
    );
    return (
      row && {
        roomId,
        userId,
        role: row.role,
        roomType: row.type,
        lastSeq: row.last_seq,
        lastReadSeq: row.last_read_seq,
        lastDeliveredSeq: row.last_delivered_seq,
        peerId: row.peer_id,
      }
    );
  }

  /**
   * One page of `userId`'s rooms, most recent activity first, each with its newest message and the caller's
   * unread count, in ONE statement (LATERAL joins; no query per room). Reactions of the last messages are
   * loaded by the caller in one more query.
   */
  async listForUser(
    userId: string,
    after: [string, string] | undefined,
    limit: number,
  ): Promise<RoomListEntry[]> {
    const rows = await this.sql.rows<RoomViewRow & Record<string, unknown>>(
      `SELECT ${ROOM_VIEW_COLUMNS},
              ${timeKey('r.last_activity_at')} AS activity_key,
              unread.count AS unread_count,
              ${messageColumns('last', 'lm_')}
         FROM room_members me
         JOIN rooms r ON r.id = me.room_id AND r.deleted_at IS NULL
         LEFT JOIN LATERAL (
           SELECT count(*)::int AS count FROM messages m
            WHERE m.room_id = r.id AND m.seq > me.last_read_seq
              AND m.sender_id <> me.user_id AND m.deleted_at IS NULL
         ) unread ON true
         LEFT JOIN LATERAL (
           SELECT ${messageColumns('m')} FROM messages m WHERE m.room_id = r.id ORDER BY m.seq DESC LIMIT 1
         ) last ON true
        WHERE me.user_id = $1
          AND ($2::timestamptz IS NULL OR (r.last_activity_at, r.id) < ($2::timestamptz, $3::uuid))
        ORDER BY r.last_activity_at DESC, r.id DESC
        LIMIT $4`,
      [userId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
    return rows.map((row) => ({
      ...toView(row),
      lastMessage: messageFromRow(row, 'lm_'),
      unreadCount: row.unread_count as number,
      key: [row.activity_key as string, row.id],
    }));
  }

  /** Creates a group with its owner and members in one transaction; returns its id. */
  async createGroup(
    ownerId: string,
    name: string,
    description: string | null,
    memberIds: string[],
  ): Promise<string> {
    return this.sql.transaction(async (tx) => {
      const room = await tx.one<{ id: string }>(
        `INSERT INTO rooms (id, type, name, description, created_by)
         VALUES (gen_random_uuid(), 'group', $1, $2, $3) RETURNING id`,
        [name, description, ownerId],
      );
      await tx.rows(
        `INSERT INTO room_members (room_id, user_id, role)
         SELECT $1, u.id, CASE WHEN u.id = $2 THEN 'owner' ELSE 'member' END
           FROM unnest($3::uuid[]) AS u(id)`,
        [room!.id, ownerId, [ownerId, ...memberIds]],
      );
      return room!.id;
    });
  }

  /**
   * The direct room of a pair, created when missing. The unique `direct_key` makes racing creators converge
   * on one room: the loser's insert waits for the winner's commit, does nothing, and reads the winner's room.
   */
  async findOrCreateDirect(userId: string, peerId: string): Promise<{ id: string; created: boolean }> {
    const key = [userId, peerId].sort().join(':');
    return this.sql.transaction(async (tx) => {
      const inserted = await tx.one<{ id: string }>(
        `INSERT INTO rooms (id, type, direct_key, created_by) VALUES (gen_random_uuid(), 'direct', $1, $2)
         ON CONFLICT (direct_key) DO NOTHING RETURNING id`,
        [key, userId],
      );
      if (inserted) {
        await tx.rows(
          `INSERT INTO room_members (room_id, user_id, role) VALUES ($1, $2, 'member'), ($1, $3, 'member')`,
          [inserted.id, userId, peerId],
        );
        return { id: inserted.id, created: true };
      }
      const existing = await tx.one<{ id: string }>('SELECT id FROM rooms WHERE direct_key = $1', [key]);
      return { id: existing!.id, created: false };
    });
  }

  async update(roomId: string, changes: { name?: string; description?: string | null }): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [roomId];
    if (changes.name !== undefined) {
      params.push(changes.name);
      sets.push(`name = $${params.length}`);
    }
    if (changes.description !== undefined) {
      params.push(changes.description);
      sets.push(`description = $${params.length}`);
    }
    if (sets.length === 0) return;
    await this.sql.rows(
      `UPDATE rooms SET ${sets.join(', ')}, updated_at = now() WHERE id = $1 AND deleted_at IS NULL`,
      params,
    );
  }

  /** Soft-deletes the room; returns whether it was live. */
  async softDelete(roomId: string): Promise<boolean> {
    const row = await this.sql.one(
      'UPDATE rooms SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id',
      [roomId],
    );
    return row !== null;
  }

  async listMembers(
    roomId: string,
    after: [string, string] | undefined,
    limit: number,
  ): Promise<MemberRecord[]> {
    const rows = await this.sql.rows<MemberRow>(
      `SELECT rm.user_id, u.username, u.display_name, rm.role, rm.joined_at, rm.last_delivered_seq,
              rm.last_read_seq, ${timeKey('rm.joined_at')} AS joined_key
         FROM room_members rm
         JOIN users u ON u.id = rm.user_id
        WHERE rm.room_id = $1
          AND ($2::timestamptz IS NULL OR (rm.joined_at, rm.user_id) > ($2::timestamptz, $3::uuid))
        ORDER BY rm.joined_at, rm.user_id
        LIMIT $4`,
      [roomId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
    return rows.map(toMember);
  }

  async findMembers(roomId: string, userIds: string[]): Promise<MemberRecord[]> {
    const rows = await this.sql.rows<MemberRow>(
      `SELECT rm.user_id, u.username, u.display_name, rm.role, rm.joined_at, rm.last_delivered_seq,
              rm.last_read_seq, ${timeKey('rm.joined_at')} AS joined_key
         FROM room_members rm
         JOIN users u ON u.id = rm.user_id
        WHERE rm.room_id = $1 AND rm.user_id = ANY($2::uuid[])
        ORDER BY rm.joined_at, rm.user_id`,
      [roomId, userIds],
    );
    return rows.map(toMember);
  }

  /** Adds members (existing ones are left as they are); returns the ids that were added, or null if the room is gone. */
  async addMembers(roomId: string, userIds: string[]): Promise<string[] | null> {
    return this.sql.transaction(async (tx) => {
      if (!(await this.lockRoom(tx, roomId))) return null;
      const rows = await tx.rows<{ user_id: string }>(
        `INSERT INTO room_members (room_id, user_id, role)
         SELECT $1, u.id, 'member' FROM unnest($2::uuid[]) AS u(id)
         ON CONFLICT DO NOTHING
         RETURNING user_id`,
        [roomId, userIds],
      );
      return rows.map((row) => row.user_id);
    });
  }

  /** Sets a member's role; refuses to take the owner role from the last owner. */
  async changeRole(roomId: string, userId: string, role: RoomRole): Promise<MembershipChange> {
    return this.sql.transaction(async (tx) => {
      if (!(await this.lockRoom(tx, roomId))) return 'room-gone';
      const current = await this.memberRole(tx, roomId, userId);
      if (!current) return 'not-member';
      if (current === 'owner' && role !== 'owner' && (await this.ownerCount(tx, roomId)) <= 1)
        return 'last-owner';
      await tx.rows('UPDATE room_members SET role = $3 WHERE room_id = $1 AND user_id = $2', [
        roomId,
        userId,
        role,
      ]);
      return 'done';
    });
  }

  /** Removes a member; refuses to remove the last owner. */
  async removeMember(roomId: string, userId: string): Promise<MembershipChange> {
    return this.sql.transaction(async (tx) => {
      if (!(await this.lockRoom(tx, roomId))) return 'room-gone';
      const current = await this.memberRole(tx, roomId, userId);
      if (!current) return 'not-member';
      if (current === 'owner' && (await this.ownerCount(tx, roomId)) <= 1) return 'last-owner';
      await tx.rows('DELETE FROM room_members WHERE room_id = $1 AND user_id = $2', [roomId, userId]);
      return 'done';
    });
  }

  /**
   * Moves the read position forward (never back) and the delivered position with it, since reading implies
   * delivery. Returns whether the read position moved (undefined when it did not) and whether delivered did too.
   */
  async advanceRead(
    roomId: string,
    userId: string,
    seq: number,
  ): Promise<{ delivered: boolean } | undefined> {
    // The CTE locks the row and reads the delivered position before the update (a lower read position needs no
    // lock); delivered never trails read, so it can only move when read does.
    const row = await this.sql.one<{ delivered: boolean }>(
      `WITH before AS (
         SELECT last_delivered_seq FROM room_members
          WHERE room_id = $1 AND user_id = $2 AND last_read_seq < $3
          FOR UPDATE
       )
       UPDATE room_members m
          SET last_read_seq = GREATEST(m.last_read_seq, $3),
              last_delivered_seq = GREATEST(m.last_delivered_seq, $3)
         FROM before
        WHERE m.room_id = $1 AND m.user_id = $2
        RETURNING before.last_delivered_seq < $3 AS delivered`,
      [roomId, userId, seq],
    );
    return row ?? undefined;
  }

  /** Moves the delivered position forward (never back). Returns whether it moved. */
  async advanceDelivered(roomId: string, userId: string, seq: number): Promise<boolean> {
    const row = await this.sql.one(
      `UPDATE room_members SET last_delivered_seq = GREATEST(last_delivered_seq, $3)
        WHERE room_id = $1 AND user_id = $2 AND last_delivered_seq < $3
        RETURNING user_id`,
      [roomId, userId, seq],
    );
    return row !== null;
  }

  /**
   * The rooms of a user, read for every socket that connects. Reads asked for together (see TurnBatcher) go to
   * PostgreSQL as one statement (a reconnect storm asks for thousands within seconds).
   */
  roomIdsForUser(userId: string): Promise<string[]> {
    return this.roomLists.load(userId);
  }

  private async roomIdsForUsers(userIds: string[]): Promise<string[][]> {
    const rows = await this.sql.rows<{ user_id: string; room_ids: string[] }>(ROOM_IDS_FOR_USERS, [userIds]);
    const byUser = new Map(rows.map((row) => [row.user_id, row.room_ids]));
    return userIds.map((userId) => byUser.get(userId) ?? []);
  }

  async memberIdsOf(roomId: string): Promise<string[]> {
    const rows = await this.sql.rows<{ user_id: string }>(
      `SELECT rm.user_id FROM room_members rm
         JOIN rooms r ON r.id = rm.room_id AND r.deleted_at IS NULL
        WHERE rm.room_id = $1
        ORDER BY rm.joined_at, rm.user_id`,
      [roomId],
    );
    return rows.map((row) => row.user_id);
  }

  /** Of `userIds`, those who are members of the room. */
  async membersAmong(roomId: string, userIds: string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows = await this.sql.rows<{ user_id: string }>(
      'SELECT user_id FROM room_members WHERE room_id = $1 AND user_id = ANY($2::uuid[])',
      [roomId, userIds],
    );
    return rows.map((row) => row.user_id);
  }

  /** `userId`'s live rooms with their membership, for the account export. */
  async exportForUser(userId: string): Promise<
    Array<{
      id: string;
      type: RoomType;
      name: string | null;
      description: string | null;
      createdAt: Date;
      role: RoomRole;
      joinedAt: Date;
      lastReadSeq: number;
      lastDeliveredSeq: number;
    }>
  > {
    const rows = await this.sql.rows<{
      id: string;
      type: RoomType;
      name: string | null;
      description: string | null;
      created_at: Date;
      role: RoomRole;
      joined_at: Date;
      last_read_seq: number;
      last_delivered_seq: number;
    }>(
      `SELECT r.id, r.type, r.name, r.description, r.created_at, rm.role, rm.joined_at, rm.last_read_seq,
              rm.last_delivered_seq
         FROM room_members rm
         JOIN rooms r ON r.id = rm.room_id AND r.deleted_at IS NULL
        WHERE rm.user_id = $1
        ORDER BY rm.joined_at, r.id`,
      [userId],
    );
    return rows.map((row) => ({
      id: row.id,
      type: row.type,
      name: row.name,
      description: row.description,
      createdAt: row.created_at,
      role: row.role,
      joinedAt: row.joined_at,
      lastReadSeq: row.last_read_seq,
      lastDeliveredSeq: row.last_delivered_seq,
    }));
  }

  /**
   * Takes a deleted account out of every group it belongs to. Where it was the last owner, ownership passes to
   * the longest-standing admin (else member); a group left empty is deleted. Direct rooms keep both members so
   * the other side keeps its history.
   */
  async leaveAllGroups(userId: string): Promise<Departure[]> {
    const rooms = await this.sql.rows<{ room_id: string }>(
      `SELECT rm.room_id FROM room_members rm
         JOIN rooms r ON r.id = rm.room_id AND r.type = 'group' AND r.deleted_at IS NULL
        WHERE rm.user_id = $1
        ORDER BY rm.room_id`,
      [userId],
    );
    const departures: Departure[] = [];
    for (const { room_id: roomId } of rooms) {
      const departure = await this.sql.transaction(async (tx): Promise<Departure | null> => {
        if (!(await this.lockRoom(tx, roomId))) return null;
        const role = await this.memberRole(tx, roomId, userId);
        if (!role) return null;
        let promotedUserId: string | null = null;
        if (role === 'owner' && (await this.ownerCount(tx, roomId)) <= 1) {
          const heir = await tx.one<{ user_id: string }>(
            `SELECT user_id FROM room_members WHERE room_id = $1 AND user_id <> $2
              ORDER BY CASE role WHEN 'admin' THEN 0 ELSE 1 END, joined_at, user_id LIMIT 1`,
            [roomId, userId],
          );
          if (heir) {
            await tx.rows(`UPDATE room_members SET role = 'owner' WHERE room_id = $1 AND user_id = $2`, [
              roomId,
              heir.user_id,
            ]);
            promotedUserId = heir.user_id;
          }
        }
        await tx.rows('DELETE FROM room_members WHERE room_id = $1 AND user_id = $2', [roomId, userId]);
        const remaining = await tx.rows<{ user_id: string }>(
          'SELECT user_id FROM room_members WHERE room_id = $1 ORDER BY joined_at, user_id',
          [roomId],
        );
        const roomDeleted = remaining.length === 0;
        if (roomDeleted) await tx.rows('UPDATE rooms SET deleted_at = now() WHERE id = $1', [roomId]);
        return { roomId, promotedUserId, remainingIds: remaining.map((row) => row.user_id), roomDeleted };
      });
      if (departure) departures.push(departure);
    }
    return departures;
  }

  private async lockRoom(tx: Tx, roomId: string): Promise<boolean> {
    const row = await tx.one('SELECT id FROM rooms WHERE id = $1 AND deleted_at IS NULL FOR UPDATE', [
      roomId,
    ]);
    return row !== null;
  }

  private async memberRole(tx: Tx, roomId: string, userId: string): Promise<RoomRole | null> {
    const row = await tx.one<{ role: RoomRole }>(
      'SELECT role FROM room_members WHERE room_id = $1 AND user_id = $2',
      [roomId, userId],
    );
    return row?.role ?? null;
  }

  private async ownerCount(tx: Tx, roomId: string): Promise<number> {
    const row = await tx.one<{ count: number }>(
      `SELECT count(*)::int AS count FROM room_members WHERE room_id = $1 AND role = 'owner'`,
      [roomId],
    );
    return row?.count ?? 0;
  }
}
