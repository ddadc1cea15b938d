import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { RoomType } from '../rooms/room.entity';
import type { DeliveryContext } from './delivery-rules';
import type { DigestMessage } from './email-digest';

/** A room as far as choosing recipients goes. */
export interface RoomAudience {
  type: RoomType;
  /** Direct rooms: both members. Empty for groups, whose recipients come from mentions only. */
  directMemberIds: string[];
}

/** Everything a notification job needs to know besides the messages themselves. */
export interface RecipientContext extends DeliveryContext {
  username: string;
  displayName: string | null;
  roomType: RoomType | null;
  roomName: string | null;
}

/**
 * Read-only SQL over the users, rooms, room_members, messages and user_blocks tables. Notifications only ever
 * read what other features wrote, so it keeps its own queries instead of widening their services.
 */
@Injectable()
export class NotificationsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** null when the room does not exist or was deleted. */
  async findRoomAudience(roomId: string): Promise<RoomAudience | null> {
    const rows: Array<{ type: RoomType; direct_member_ids: string[] }> = await this.dataSource.query(
      `SELECT r.type,
              ARRAY(SELECT rm.user_id FROM room_members rm WHERE rm.room_id = r.id AND r.type = 'direct')
                AS direct_member_ids
         FROM rooms r
        WHERE r.id = $1 AND r.deleted_at IS NULL`,
      [roomId],
    );
    const row = rows[0];
    return row ? { type: row.type, directMemberIds: row.direct_member_ids } : null;
  }

  /** The recipient, their membership and read position, the room and whether the message still stands. */
  async findRecipientContext(
    recipientId: string,
    roomId: string,
    messageId: string,
  ): Promise<RecipientContext | null> {
    const rows: Array<{
      email: string | null;
      username: string;
      display_name: string | null;
      deleted: boolean;
      disabled: boolean;
      email_setting: unknown;
      room_type: RoomType | null;
      room_name: string | null;
      room_live: boolean;
      last_read_seq: number | null;
      message_deleted: boolean;
      sender_blocked: boolean;
    }> = await this.dataSource.query(
      `SELECT u.email, u.username, u.display_name, u.deleted_at IS NOT NULL AS deleted, u.disabled,
              u.settings #> '{notifications,email}' AS email_setting,
              r.type AS room_type, r.name AS room_name, (r.id IS NOT NULL AND r.deleted_at IS NULL) AS room_live,
              rm.last_read_seq,
              (m.id IS NULL OR m.deleted_at IS NOT NULL) AS message_deleted,
              EXISTS (SELECT 1 FROM user_blocks b WHERE b.blocker_id = u.id AND b.blocked_id = m.sender_id)
                AS sender_blocked
         FROM users u
         LEFT JOIN rooms r ON r.id = $2
         LEFT JOIN room_members rm ON rm.room_id = $2 AND rm.user_id = u.id
         LEFT JOIN messages m ON m.id = $3 AND m.room_id = $2
        WHERE u.id = $1`,
      [recipientId, roomId, messageId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      email: row.email,
      username: row.username,
      displayName: row.display_name,
      deleted: row.deleted,
      disabled: row.disabled,
      emailSetting: row.email_setting,
      roomType: row.room_type,
      roomName: row.room_name,
      roomLive: row.room_live,
      lastReadSeq: row.last_read_seq,
      messageDeleted: row.message_deleted,
      senderBlocked: row.sender_blocked,
    };
  }

  /**
   * The recipient's unread messages in the room that concern them, newest first, at most `limit`, plus how many
   * there are in all. "Concern": mentions of them, or in a direct room anything the other person wrote. Live
   * messages only, and none from someone they blocked. Walks UQ_messages_room_seq from the read position.
   */
  async findUnreadConcerning(
    roomId: string,
    recipientId: string,
    afterSeq: number,
    direct: boolean,
    limit: number,
  ): Promise<{ messages: DigestMessage[]; total: number }> {
    const rows: Array<{
      seq: number;
      content: string;
      created_at: Date;
      username: string;
      display_name: string | null;
      total: number;
    }> = await this.dataSource.query(
      `SELECT m.seq, m.content, m.created_at, u.username, u.display_name, count(*) OVER ()::int AS total
         FROM messages m
         JOIN users u ON u.id = m.sender_id
        WHERE m.room_id = $1 AND m.seq > $3 AND m.deleted_at IS NULL AND m.sender_id <> $2
          AND ($4::boolean OR $2::uuid = ANY(m.mentions))
          AND NOT EXISTS (SELECT 1 FROM user_blocks b WHERE b.blocker_id = $2 AND b.blocked_id = m.sender_id)
        ORDER BY m.seq DESC
        LIMIT $5`,
      [roomId, recipientId, afterSeq, direct, limit],
    );
    return {
      messages: rows.map((row) => ({
        seq: row.seq,
        senderUsername: row.username,
        senderDisplayName: row.display_name,
        content: row.content,
        createdAt: row.created_at,
      })),
      total: rows[0]?.total ?? 0,
    };
  }
}
