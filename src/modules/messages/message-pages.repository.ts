import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { asJsonText, JsonText } from '../../common/http/json-text';
import { SqlRunner, Statement } from '../rooms/sql';
import type { SeqWindow } from './message-cursors';
import type { MessageDto } from './messages.dto';

export interface MessagePageQuery {
  roomId: string;
  /** Whose page it is: membership is checked for them and `reactions[].me` is relative to them. */
  viewerId: string;
  /** Thread replies of this parent only. */
  parentId?: string;
  window: SeqWindow;
  /** Messages to show; one more is fetched to tell whether another page exists. */
  limit: number;
}

export type MessagePage =
  /** The room does not exist, is deleted, or the viewer is not a member. */
  | { kind: 'room-not-found' }
  /** `parentId` is not a message of this room. */
  | { kind: 'parent-not-found' }
  | {
      kind: 'page';
      /** The messages as `MessageDto`s for the viewer, in page order. */
      items: JsonText<MessageDto[]>;
      /** Seq of the last message shown; null when the page is empty. */
      lastSeq: number | null;
      hasMore: boolean;
    };

/** Above every seq (an int4): `seq < NEWEST` is the newest page. */
const NEWEST = 2 ** 31;

/** Date.prototype.toISOString's format. `MS` truncates like postgres-date + Date, so both paths print the same. */
const iso = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The whole page in ONE statement (the history route's cost was round trips and per-row object handling, not
 * the queries): the membership check, the thread parent check, the page by seq with one extra row, and the
 * reactions and attachments of its live messages, serialised by PostgreSQL into exactly what toMessageDto gives
 * (same fields in the same order, tombstones without content, mentions, reactions or attachments).
 * $1 room, $2 viewer, $3 seq bound, $4 limit, $5 thread parent.
 */
function pageStatement(direction: 'before' | 'after', thread: boolean): Statement {
  const order = direction === 'before' ? 'DESC' : 'ASC';
  return {
    name: `message-page-${direction}${thread ? '-thread' : ''}`,
    text: `
      WITH member AS (
        SELECT FROM room_members me
          JOIN rooms r ON r.id = me.room_id AND r.deleted_at IS NULL
         WHERE me.room_id = $1 AND me.user_id = $2
      ),
      fetched AS (
        SELECT m.* FROM messages m
         WHERE m.room_id = $1 AND m.seq ${direction === 'before' ? '<' : '>'} $3::bigint
               ${thread ? 'AND m.parent_id = $5' : ''}
           AND EXISTS (SELECT FROM member)
         ORDER BY m.seq ${order}
         LIMIT $4 + 1
      ),
      shown AS (
        SELECT * FROM fetched ORDER BY seq ${order} LIMIT $4
      ),
      reactions AS (
        SELECT message_id,
               json_agg(json_build_object('emoji', emoji, 'count', count, 'me', me) ORDER BY first_at, emoji) AS list
          FROM (SELECT message_id, emoji, count(*)::int AS count, bool_or(user_id = $2) AS me,
                       min(created_at) AS first_at
                  FROM message_reactions
                 WHERE message_id = ANY (ARRAY(SELECT id FROM shown WHERE deleted_at IS NULL AND has_reactions))
                 GROUP BY message_id, emoji) per_emoji
         GROUP BY message_id
      ),
      attachments AS (
        SELECT a.message_id,
               json_agg(
                 -- width and height are left out when null, as in MessageAttachmentDto
                 json_strip_nulls(json_build_object(
                   'id', md.id, 'fileName', md.file_name, 'mimeType', md.mime_type, 'size', md.size,
                   'hasThumbnail', md.has_thumbnail, 'width', md.width, 'height', md.height))
                 ORDER BY a.position) AS list
          FROM message_attachments a
          JOIN media md ON md.id = a.media_id
         WHERE a.message_id = ANY (ARRAY(SELECT id FROM shown WHERE deleted_at IS NULL AND has_attachments))
         GROUP BY a.message_id
      ),
      items AS (
        SELECT s.id,
               s.room_id AS "roomId",
               s.seq,
               s.rev,
               s.sender_id AS "senderId",
               s.client_message_id AS "clientMessageId",
               CASE WHEN s.deleted_at IS NULL THEN s.content END AS content,
               s.parent_id AS "parentId",
               s.thread_reply_count AS "threadReplyCount",
               coalesce(att.list, '[]') AS attachments,
               coalesce(re.list, '[]') AS reactions,
               CASE WHEN s.deleted_at IS NULL THEN s.mentions ELSE '{}' END AS mentions,
               ${iso('s.created_at')} AS "createdAt",
               ${iso('s.edited_at')} AS "editedAt",
               ${iso('s.deleted_at')} AS "deletedAt"
          FROM shown s
          LEFT JOIN reactions re ON re.message_id = s.id
          LEFT JOIN attachments att ON att.message_id = s.id
      )
      SELECT EXISTS (SELECT FROM member) AS member,
             ${thread ? 'EXISTS (SELECT FROM messages WHERE id = $5 AND room_id = $1)' : 'true'} AS parent_found,
             (SELECT count(*) FROM fetched)::int AS fetched,
             (SELECT ${direction === 'before' ? 'min' : 'max'}(seq) FROM shown) AS last_seq,
             (SELECT coalesce(json_agg(row_to_json(i) ORDER BY i.seq ${order}), '[]') FROM items i)::text AS items`,
  };
}

const STATEMENTS = {
  before: { room: pageStatement('before', false), thread: pageStatement('before', true) },
  after: { room: pageStatement('after', false), thread: pageStatement('after', true) },
};

interface PageRow {
  member: boolean;
  parent_found: boolean;
  fetched: number;
  last_seq: number | null;
  items: string;
}

/** Pages of a room's messages for the history route, read and serialised in one prepared statement. */
@Injectable()
export class MessagePagesRepository {
  private readonly sql: SqlRunner;

  constructor(dataSource: DataSource) {
    this.sql = new SqlRunner(dataSource);
  }

  async findPage(query: MessagePageQuery): Promise<MessagePage> {
    const { window } = query;
    const thread = query.parentId !== undefined;
    const params: unknown[] = [query.roomId, query.viewerId, window.seq ?? NEWEST, query.limit];
    if (thread) params.push(query.parentId);
    const row = await this.sql.one<PageRow>(STATEMENTS[window.direction][thread ? 'thread' : 'room'], params);
    if (!row?.member) return { kind: 'room-not-found' };
    if (!row.parent_found) return { kind: 'parent-not-found' };
    return {
      kind: 'page',
      items: asJsonText<MessageDto[]>(row.items),
      lastSeq: row.last_seq,
      hasMore: row.fetched > query.limit,
    };
  }
}
