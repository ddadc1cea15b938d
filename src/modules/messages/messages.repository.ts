import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { TurnBatcher } from '../../common/turn-batcher';
import type { MediaSummary } from '../media/media.dto';
import { Sql, SqlRunner, Statement, Tx } from '../rooms/sql';
import { SendPool } from './send-pool';
import { searchQueryText } from './search-text';

/** A reaction summary relative to one viewer. */
export interface ReactionSummary {
  emoji: string;
  count: number;
  /** Whether the viewer is among the reactors (false when there is no viewer). */
  me: boolean;
}

/** An uploaded file carried by a message, in the order the sender gave. */
export type AttachmentSummary = MediaSummary;

/** A message as the domain sees it (no TypeORM types beyond this repository). */
export interface MessageRecord {
  id: string;
  roomId: string;
  seq: number;
  rev: number;
  senderId: string;
  clientMessageId: string;
  content: string | null;
  parentId: string | null;
  threadReplyCount: number;
  mentions: string[];
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
  reactions: ReactionSummary[];
  attachments: AttachmentSummary[];
}

/** A validated send, ready to be stored. */
export interface NewMessage {
  roomId: string;
  senderId: string;
  clientMessageId: string;
  content: string;
  parentId: string | null;
  mentions: string[];
  /** The sender's own uploads (checked before the send enters a batch). */
  attachments: AttachmentSummary[];
}

export type StoreOutcome =
  | { kind: 'created'; record: MessageRecord }
  /** An earlier send with the same (room, sender, clientMessageId); reactions are not loaded. */
  | { kind: 'existing'; record: MessageRecord }
  /** A direct room across a block (either way): nobody writes there. */
  | { kind: 'blocked' }
  /** The room is gone (deleted) or the sender is not a member: 404 alike, so nothing leaks. */
  | { kind: 'room-gone' };

/** What a deletion changed, for the `message.deleted` event. */
export interface Tombstone {
  id: string;
  roomId: string;
  seq: number;
  rev: number;
}

/** Current members of a message's room who reacted to it with exactly the same set of emojis. */
export interface ReactorGroup {
  userIds: string[];
  emojis: string[];
}

/** An edit as stored: the message with reactions (`me` false) and attachments, and who reacted to it. */
export interface EditedMessage {
  message: MessageRecord;
  reactors: ReactorGroup[];
}

export type ReactionChange = { kind: 'changed'; rev: number } | { kind: 'unchanged' } | { kind: 'deleted' };

/** Position of a search hit in the result order (rank desc, seq desc, id desc). */
export type SearchKey = [rank: number, seq: number, id: string];

export interface MessageRow {
  id: string;
  room_id: string;
  seq: number;
  rev: number;
  sender_id: string;
  client_message_id: string;
  content: string | null;
  parent_id: string | null;
  thread_reply_count: number;
  mentions: string[];
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
}

const COLUMNS = [
  'id',
  'room_id',
  'seq',
  'rev',
  'sender_id',
  'client_message_id',
  'content',
  'parent_id',
  'thread_reply_count',
  'mentions',
  'created_at',
  'edited_at',
  'deleted_at',
] as const;

/** `m.id, m.room_id, ...`, or with a prefix `m.id AS lm_id, ...` for rows that join a message to something else. */
export function messageColumns(alias: string, prefix = ''): string {
  return COLUMNS.map((column) => `${alias}.${column}${prefix ? ` AS ${prefix}${column}` : ''}`).join(', ');
}

/** Reads a message out of a row selected with `messageColumns(alias, prefix)`; null when the join found none. */
export function messageFromRow(row: Record<string, unknown>, prefix = ''): MessageRecord | null {
  const get = (column: (typeof COLUMNS)[number]): unknown => row[`${prefix}${column}`];
  if (get('id') === null || get('id') === undefined) return null;
  return {
    id: get('id') as string,
    roomId: get('room_id') as string,
    seq: get('seq') as number,
    rev: get('rev') as number,
    senderId: get('sender_id') as string,
    clientMessageId: get('client_message_id') as string,
    content: get('content') as string | null,
    parentId: get('parent_id') as string | null,
    threadReplyCount: get('thread_reply_count') as number,
    mentions: (get('mentions') as string[] | null) ?? [],
    createdAt: get('created_at') as Date,
    editedAt: get('edited_at') as Date | null,
    deletedAt: get('deleted_at') as Date | null,
    reactions: [],
    attachments: [],
  };
}

function fromRow(row: MessageRow): MessageRecord {
  return messageFromRow(row as unknown as Record<string, unknown>)!;
}

/**
 * The reactions of message `messageId` as JSON shaped like ReactionSummary[] (count per emoji, first used first;
 * `me` relative to `viewerId`), or null when it has none. Both arguments are SQL expressions.
 */
function reactionsJson(messageId: string, viewerId: string): string {
  return `(
    SELECT json_agg(json_build_object('emoji', r.emoji, 'count', r.count, 'me', r.me) ORDER BY r.first_at, r.emoji)
      FROM (SELECT emoji, count(*)::int AS count, coalesce(bool_or(user_id = ${viewerId}), false) AS me,
                   min(created_at) AS first_at
              FROM message_reactions
             WHERE message_id = ${messageId}
             GROUP BY emoji) r
  )`;
}

/** The attachments of message `messageId` as JSON shaped like AttachmentSummary[] (sender's order), or null. */
function attachmentsJson(messageId: string): string {
  return `(
    SELECT json_agg(json_build_object('id', md.id, 'fileName', md.file_name, 'mimeType', md.mime_type,
                                      'size', md.size::float8, 'width', md.width, 'height', md.height,
                                      'hasThumbnail', md.has_thumbnail)
                    ORDER BY a.position)
      FROM message_attachments a
      JOIN media md ON md.id = a.media_id
     WHERE a.message_id = ${messageId}
  )`;
}

/**
 * Reactions (`me` relative to $2) and attachments of the messages $1, one row per message with both as JSON
 * arrays shaped like ReactionSummary and AttachmentSummary.
 */
const WITH_DETAILS: Statement = {
  name: 'parley_message_details',
  text: `
    SELECT l.id AS message_id,
           coalesce(${reactionsJson('l.id', '$2::uuid')}, '[]'::json) AS reactions,
           coalesce(${attachmentsJson('l.id')}, '[]'::json) AS attachments
      FROM unnest($1::uuid[]) AS l(id)`,
};

/**
 * The reactors of message $1 who are members of its room $2, one row per distinct set of emojis: as many rows as
 * there are different combinations in use, however many people reacted.
 */
const REACTOR_GROUPS = `
  SELECT array_agg(u.user_id ORDER BY u.user_id) AS user_ids, u.emojis
    FROM (SELECT r.user_id, array_agg(r.emoji ORDER BY r.emoji) AS emojis
            FROM message_reactions r
            JOIN room_members rm ON rm.room_id = $2 AND rm.user_id = r.user_id
           WHERE r.message_id = $1
           GROUP BY r.user_id) u
   GROUP BY u.emojis`;

/**
 * Changes after a revision, for several (room, revision, viewer, limit) requests at once: the arrays $1 room ids,
 * $2 revisions, $3 viewers, $4 limits, one element per request. Per request (`req`, its 1-based ordinal): up to
 * its limit of messages in revision order, with reactions (`me` relative to its viewer) and attachments, and the
 * room's current revision. A request whose viewer is not a member, or whose room is deleted, has no row at all;
 * one without changes has a single row whose message columns are null. One statement and one round trip for the
 * `sync`s of every socket that asked together (see TurnBatcher).
 */
const CHANGES_SINCE: Statement = {
  name: 'parley_changes_since',
  text: `
    WITH visible AS (
      SELECT q.req, q.room_id, q.since_rev, q.viewer_id, q.lim, r.rev AS room_rev
        FROM unnest($1::uuid[], $2::bigint[], $3::uuid[], $4::int[])
             WITH ORDINALITY AS q(room_id, since_rev, viewer_id, lim, req)
        JOIN rooms r ON r.id = q.room_id AND r.deleted_at IS NULL
        JOIN room_members me ON me.room_id = q.room_id AND me.user_id = q.viewer_id
    )
    SELECT v.req::int AS req, v.room_rev, ${messageColumns('m')},
           CASE WHEN m.deleted_at IS NULL AND m.has_reactions
                THEN ${reactionsJson('m.id', 'v.viewer_id')} END AS reactions,
           CASE WHEN m.deleted_at IS NULL AND m.has_attachments THEN ${attachmentsJson('m.id')} END AS attachments
      FROM visible v
      LEFT JOIN LATERAL (
        SELECT ${COLUMNS.join(', ')}, has_reactions, has_attachments FROM messages
         WHERE room_id = v.room_id AND rev > v.since_rev
         ORDER BY rev LIMIT v.lim
      ) m ON true
     ORDER BY v.req, m.rev`,
};

/** One request of `findChangesSince`. */
export interface ChangesRequest {
  roomId: string;
  sinceRev: number;
  /** Whose view: membership is checked for them and `reactions[].me` is relative to them. */
  viewerId: string;
  limit: number;
}

export interface RoomChanges {
  messages: MessageRecord[];
  roomRev: number;
}

type BatchStatus = 'new' | 'duplicate' | 'existing' | 'blocked' | 'room-gone';

/**
 * One batch of sends as ONE statement: the batch holds its room locks for a single round trip instead of the six
 * a BEGIN … COMMIT conversation needs (each of which waited for a turn of a busy event loop while other batches
 * queued on the same rooms). Parameters: the new ids, room ids, sender ids, clientMessageIds, contents, parent
 * ids, mentions (as uuid[] literals), then the attachments flattened (item ordinal, media id, position).
 *
 * - `locked` takes the rooms' row locks in id order, so batches sharing rooms queue and never deadlock. Every
 *   write to a room's counters holds its lock, so the seq/rev numbering below is exact.
 * - `checked` decides each item, in this order: room deleted or sender not a member → room-gone (404 alike);
 *   a direct room across a block → blocked; already stored (idempotent resend) → existing; the same send earlier
 *   in this batch → duplicate; otherwise new. Deduplication comes before numbering, so a duplicate never takes a
 *   seq. Membership and stored rows are read from the statement's snapshot: a twin committed by another batch
 *   while this one waited for a lock is not seen here, and its insert then fails on UQ_messages_client_message
 *   (the writer retries; the retry sees the twin).
 * - New items of a room get consecutive seqs and revs after the room's counters, in submission order; the room
 *   update is relative (`last_seq + n`), so it applies to the latest row version.
 * - Attachments are linked and thread reply counters bumped in the same statement.
 */
const STORE_BATCH: Statement = {
  name: 'parley_store_messages',
  text: `
    WITH input AS (
      SELECT *
        FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::uuid[], $7::text[])
             WITH ORDINALITY AS i(id, room_id, sender_id, client_message_id, content, parent_id, mentions, ord)
    ),
    locked AS (
      SELECT r.id, r.type FROM rooms r
       WHERE r.id = ANY($2::uuid[]) AND r.deleted_at IS NULL
       ORDER BY r.id
         FOR UPDATE
    ),
    checked AS (
      SELECT i.*, s.id AS stored_id, first_value(i.id) OVER same_send AS first_id,
             CASE
               WHEN l.id IS NULL OR me.user_id IS NULL THEN 'room-gone'
               WHEN l.type = 'direct' AND EXISTS (
                 SELECT 1 FROM room_members peer
                   JOIN user_blocks b
                     ON (b.blocker_id = i.sender_id AND b.blocked_id = peer.user_id)
                     OR (b.blocker_id = peer.user_id AND b.blocked_id = i.sender_id)
                  WHERE peer.room_id = i.room_id AND peer.user_id <> i.sender_id
               ) THEN 'blocked'
               WHEN s.id IS NOT NULL THEN 'existing'
               WHEN row_number() OVER same_send > 1 THEN 'duplicate'
               ELSE 'new'
             END AS status
        FROM input i
        LEFT JOIN locked l ON l.id = i.room_id
        LEFT JOIN room_members me ON me.room_id = i.room_id AND me.user_id = i.sender_id
        LEFT JOIN messages s
          ON s.room_id = i.room_id AND s.sender_id = i.sender_id AND s.client_message_id = i.client_message_id
      WINDOW same_send AS (PARTITION BY i.room_id, i.sender_id, i.client_message_id ORDER BY i.ord)
    ),
    fresh AS (
      SELECT c.*, row_number() OVER (PARTITION BY c.room_id ORDER BY c.ord)::int AS k
        FROM checked c
       WHERE c.status = 'new'
    ),
    bumped AS (
      UPDATE rooms r
         SET last_seq = r.last_seq + f.n, rev = r.rev + f.n, last_activity_at = now()
        FROM (SELECT room_id, count(*)::int AS n FROM fresh GROUP BY room_id) f
       WHERE r.id = f.room_id
      RETURNING r.id, r.last_seq - f.n AS base_seq, r.rev - f.n AS base_rev
    ),
    inserted AS (
      INSERT INTO messages (id, room_id, seq, rev, sender_id, client_message_id, content, parent_id, mentions,
                            has_attachments)
      SELECT f.id, f.room_id, b.base_seq + f.k, b.base_rev + f.k, f.sender_id, f.client_message_id, f.content,
             f.parent_id, f.mentions::uuid[], f.ord = ANY ($8::bigint[])
        FROM fresh f
        JOIN bumped b ON b.id = f.room_id
      RETURNING ${COLUMNS.join(', ')}
    ),
    linked AS (
      INSERT INTO message_attachments (message_id, media_id, position)
      SELECT n.id, a.media_id, a.position
        FROM unnest($8::bigint[], $9::uuid[], $10::smallint[]) AS a(ord, media_id, position)
        JOIN fresh f ON f.ord = a.ord
        JOIN inserted n ON n.id = f.id
    ),
    threads AS (
      UPDATE messages m
         SET thread_reply_count = m.thread_reply_count + t.n
        FROM (SELECT parent_id, count(*)::int AS n FROM inserted WHERE parent_id IS NOT NULL GROUP BY parent_id) t
       WHERE m.id = t.parent_id
    )
    SELECT c.ord, c.status, ${messageColumns('n', 'n_')}, ${messageColumns('s', 's_')}
      FROM checked c
      LEFT JOIN inserted n ON n.id = c.first_id AND c.status IN ('new', 'duplicate')
      LEFT JOIN messages s ON s.id = c.stored_id AND c.status = 'existing'
     ORDER BY c.ord`,
};

/**
 * The messages tables (messages, message_edits, message_reactions). Lock order, everywhere: the room row first
 * (every change takes the room's next rev from it), then message rows; so writers of one room queue on the room
 * row and never deadlock.
 */
@Injectable()
export class MessagesRepository {
  private readonly sql: SqlRunner;
  /** Where storeBatch runs (see SendPool). */
  private readonly sendSql: SqlRunner;

  /**
   * At most 100 requests per statement. A sync request returns at most SYNC_PAGE_SIZE + 1 rows, a REST /changes
   * request at most its limit + 1 (≤ 1,001): as many rows as the same requests read one by one.
   */
  private readonly changeReads = new TurnBatcher<ChangesRequest, RoomChanges | null>(
    (requests) => this.readChanges(requests),
    100,
  );

  constructor(dataSource: DataSource, sendPool: SendPool) {
    this.sql = new SqlRunner(dataSource);
    this.sendSql = new SqlRunner(sendPool.pool);
  }

  async findById(id: string, viewerId: string | null): Promise<MessageRecord | null> {
    const row = await this.sql.one<MessageRow>(
      `SELECT ${messageColumns('m')} FROM messages m WHERE m.id = $1`,
      [id],
    );
    return row ? (await this.withDetails([fromRow(row)], viewerId))[0] : null;
  }

  /**
   * The message with the caller's role in its room, or null when the message does not exist, its room is
   * deleted, or the caller is not a member (all of which answer 404).
   */
  async findVisible(
    id: string,
    userId: string,
  ): Promise<{ message: MessageRecord; role: string; roomType: string } | null> {
    const row = await this.sql.one<MessageRow & { role: string; room_type: string }>(
      `SELECT ${messageColumns('m')}, rm.role, r.type AS room_type
         FROM messages m
         JOIN rooms r ON r.id = m.room_id AND r.deleted_at IS NULL
         JOIN room_members rm ON rm.room_id = m.room_id AND rm.user_id = $2
        WHERE m.id = $1`,
      [id, userId],
    );
    if (!row) return null;
    const [message] = await this.withDetails([fromRow(row)], userId);
    return { message, role: row.role, roomType: row.room_type };
  }

  async findByClientMessageId(
    roomId: string,
    senderId: string,
    clientMessageId: string,
  ): Promise<MessageRecord | null> {
    const row = await this.sql.one<MessageRow>(
      `SELECT ${messageColumns('m')} FROM messages m
        WHERE m.room_id = $1 AND m.sender_id = $2 AND m.client_message_id = $3`,
      [roomId, senderId, clientMessageId],
    );
    return row ? (await this.withDetails([fromRow(row)], senderId))[0] : null;
  }

  /** What a reply needs to know about its parent. */
  async findParent(
    roomId: string,
    parentId: string,
  ): Promise<{ id: string; parentId: string | null; deletedAt: Date | null } | null> {
    const row = await this.sql.one<{ id: string; parent_id: string | null; deleted_at: Date | null }>(
      'SELECT id, parent_id, deleted_at FROM messages WHERE id = $1 AND room_id = $2',
      [parentId, roomId],
    );
    return row && { id: row.id, parentId: row.parent_id, deletedAt: row.deleted_at };
  }

  /**
   * Up to `limit` messages whose rev is above `sinceRev`, in rev order, and the room's current rev, read in ONE
   * statement so both come from the same snapshot (a separate read of the room could see a rev whose message this
   * page missed). The viewer's membership is checked in the same statement: null when the room does not exist, is
   * deleted, or the viewer is not a member. Requests made together (every socket that `sync`s, every REST
   * /changes; see TurnBatcher) share one statement.
   */
  findChangesSince(request: ChangesRequest): Promise<RoomChanges | null> {
    return this.changeReads.load(request);
  }

  private async readChanges(requests: ChangesRequest[]): Promise<Array<RoomChanges | null>> {
    const rows = await this.sql.rows<
      MessageRow & {
        req: number;
        room_rev: number;
        reactions: ReactionSummary[] | null;
        attachments: AttachmentSummary[] | null;
      }
    >(CHANGES_SINCE, [
      requests.map((request) => request.roomId),
      requests.map((request) => request.sinceRev),
      requests.map((request) => request.viewerId),
      requests.map((request) => request.limit),
    ]);
    const found: Array<RoomChanges | null> = requests.map(() => null);
    for (const row of rows) {
      const changes = (found[row.req - 1] ??= { messages: [], roomRev: row.room_rev });
      if (row.id === null) continue;
      const message = fromRow(row);
      if (row.reactions) message.reactions = row.reactions;
      if (row.attachments) message.attachments = row.attachments;
      changes.messages.push(message);
    }
    return found;
  }

  /**
   * Full-text search over the live messages of rooms `userId` belongs to, best match first (rank, then newest).
   * `websearch_to_tsquery` accepts anything a user types (quotes, `or`, `-word`) without syntax errors;
   * `searchQueryText` turns runs of Chinese, Japanese and Korean characters into phrases first.
   */
  async search(
    userId: string,
    text: string,
    roomId: string | undefined,
    after: SearchKey | undefined,
    limit: number,
  ): Promise<Array<{ message: MessageRecord; key: SearchKey }>> {
    const rows = await this.sql.rows<MessageRow & { rank: number }>(
      `SELECT ${messageColumns('m')}, ts_rank(m.search_vector, query) AS rank
         FROM websearch_to_tsquery('simple', $1) AS query,
              messages m
         JOIN rooms r ON r.id = m.room_id AND r.deleted_at IS NULL
         JOIN room_members rm ON rm.room_id = m.room_id AND rm.user_id = $2
        WHERE m.search_vector @@ query
          AND m.deleted_at IS NULL
          AND ($3::uuid IS NULL OR m.room_id = $3::uuid)
          AND ($4::real IS NULL OR (ts_rank(m.search_vector, query), m.seq, m.id) < ($4::real, $5::int, $6::uuid))
        ORDER BY rank DESC, m.seq DESC, m.id DESC
        LIMIT $7`,
      [
        searchQueryText(text),
        userId,
        roomId ?? null,
        after?.[0] ?? null,
        after?.[1] ?? null,
        after?.[2] ?? null,
        limit,
      ],
    );
    const messages = await this.withDetails(rows.map(fromRow), userId);
    return messages.map((message, index) => ({
      message,
      key: [rows[index].rank, message.seq, message.id],
    }));
  }

  /**
   * Previous versions of a message, most recently replaced first, after the `[replacedAt, id]` key `after`.
   * `key` is the row's own sort key (microseconds, so a cursor made from it matches the stored value exactly).
   */
  async findVersions(
    messageId: string,
    after: [string, string] | undefined,
    limit: number,
  ): Promise<Array<{ content: string; replacedAt: Date; key: [string, string] }>> {
    const rows = await this.sql.rows<{
      id: string;
      content: string;
      replaced_at: Date;
      replaced_key: string;
    }>(
      `SELECT id, content, replaced_at,
              to_char(replaced_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS replaced_key
         FROM message_edits
        WHERE message_id = $1
          AND ($2::timestamptz IS NULL OR (replaced_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY replaced_at DESC, id DESC
        LIMIT $4`,
      [messageId, after?.[0] ?? null, after?.[1] ?? null, limit],
    );
    return rows.map((row) => ({
      content: row.content,
      replacedAt: row.replaced_at,
      key: [row.replaced_key, row.id],
    }));
  }

  /** Every message `senderId` wrote, oldest first (for the account export). */
  async findBySender(senderId: string): Promise<MessageRecord[]> {
    const rows = await this.sql.rows<MessageRow>(
      `SELECT ${messageColumns('m')} FROM messages m WHERE m.sender_id = $1 ORDER BY m.created_at, m.room_id, m.seq`,
      [senderId],
    );
    return rows.map(fromRow);
  }

  /** Rooms in which `senderId` has live messages (account deletion tombstones them room by room). */
  async findRoomsWithLiveMessagesOf(senderId: string): Promise<string[]> {
    const rows = await this.sql.rows<{ room_id: string }>(
      'SELECT DISTINCT room_id FROM messages WHERE sender_id = $1 AND deleted_at IS NULL ORDER BY room_id',
      [senderId],
    );
    return rows.map((row) => row.room_id);
  }

  /**
   * Fills in `reactions` (relative to `viewerId`; me=false without a viewer) and `attachments`, with one statement
   * for all records (WITH_DETAILS). Tombstones get neither.
   */
  withDetails(records: MessageRecord[], viewerId: string | null): Promise<MessageRecord[]> {
    return this.detailsOf(this.sql, records, viewerId);
  }

  private async detailsOf(
    sql: Sql,
    records: MessageRecord[],
    viewerId: string | null,
  ): Promise<MessageRecord[]> {
    const live = records.filter((record) => record.deletedAt === null).map((record) => record.id);
    if (live.length === 0) return records;
    const rows = await sql.rows<{
      message_id: string;
      reactions: ReactionSummary[];
      attachments: AttachmentSummary[];
    }>(WITH_DETAILS, [live, viewerId]);
    const details = new Map(rows.map((row) => [row.message_id, row]));
    return records.map((record) => {
      const found = record.deletedAt === null ? details.get(record.id) : undefined;
      return found ? { ...record, reactions: found.reactions, attachments: found.attachments } : record;
    });
  }

  /**
   * Stores a batch of sends with ONE statement (one round trip, one commit; see STORE_BATCH). Returns one outcome
   * per item, in order. Callers must pass validated input (UUIDs, content without NUL): a statement error fails
   * the whole batch.
   */
  async storeBatch(items: readonly NewMessage[]): Promise<StoreOutcome[]> {
    const links = items.flatMap((item, index) =>
      item.attachments.map((attachment, position) => ({ ord: index + 1, mediaId: attachment.id, position })),
    );
    const rows = await this.sendSql.rows<Record<string, unknown> & { ord: string; status: BatchStatus }>(
      STORE_BATCH,
      [
        // Time-ordered ids (UUIDv7): new rows go to the right edge of the primary key index instead of a random
        // leaf page, so an insert dirties a page that is already in memory and the first write to a page after a
        // checkpoint (a full-page image in the WAL) is shared by many messages.
        items.map(() => uuidv7()),
        items.map((item) => item.roomId),
        items.map((item) => item.senderId),
        items.map((item) => item.clientMessageId),
        items.map((item) => item.content),
        items.map((item) => item.parentId),
        items.map((item) => `{${item.mentions.join(',')}}`),
        links.map((link) => link.ord),
        links.map((link) => link.mediaId),
        links.map((link) => link.position),
      ],
    );
    return rows.map((row): StoreOutcome => {
      switch (row.status) {
        case 'new': {
          const record = messageFromRow(row, 'n_')!;
          record.attachments = items[Number(row.ord) - 1].attachments;
          return { kind: 'created', record };
        }
        case 'duplicate':
          return { kind: 'existing', record: messageFromRow(row, 'n_')! };
        case 'existing':
          return { kind: 'existing', record: messageFromRow(row, 's_')! };
        case 'blocked':
          return { kind: 'blocked' };
        case 'room-gone':
          return { kind: 'room-gone' };
      }
    });
  }

  /** Takes the room's next rev (locking the room row); null when the room is gone. */
  private async nextRev(tx: Tx, roomId: string): Promise<number | null> {
    const room = await tx.one<{ rev: number }>(
      'UPDATE rooms SET rev = rev + 1 WHERE id = $1 AND deleted_at IS NULL RETURNING rev',
      [roomId],
    );
    return room?.rev ?? null;
  }

  /**
   * Replaces the content of a live message, keeping the previous version in message_edits. Returns the updated
   * message with its details and reactors, or 'deleted' when it was deleted meanwhile, or null when the room is
   * gone. Details and reactors are read under the room lock, which every reaction change and membership change
   * also takes: they are exactly those at the edit's rev, and agree with each other.
   */
  async edit(
    id: string,
    roomId: string,
    content: string,
    mentions: string[],
  ): Promise<EditedMessage | 'deleted' | null> {
    return this.sql.transaction(async (tx) => {
      const rev = await this.nextRev(tx, roomId);
      if (rev === null) {
        tx.discard();
        return null;
      }
      const previous = await tx.one<{ content: string }>(
        'SELECT content FROM messages WHERE id = $1 AND room_id = $2 AND deleted_at IS NULL FOR UPDATE',
        [id, roomId],
      );
      if (!previous) {
        tx.discard();
        return 'deleted';
      }
      await tx.rows(
        'INSERT INTO message_edits (id, message_id, content) VALUES (gen_random_uuid(), $1, $2)',
        [id, previous.content],
      );
      const row = await tx.one<MessageRow>(
        `UPDATE messages SET content = $2, mentions = $3::uuid[], edited_at = now(), rev = $4
          WHERE id = $1
          RETURNING ${COLUMNS.join(', ')}`,
        [id, content, mentions, rev],
      );
      const [message] = await this.detailsOf(tx, [fromRow(row!)], null);
      const reactors = await tx.rows<{ user_ids: string[]; emojis: string[] }>(REACTOR_GROUPS, [id, roomId]);
      return {
        message,
        reactors: reactors.map((group) => ({ userIds: group.user_ids, emojis: group.emojis })),
      };
    });
  }

  /**
   * Turns a live message into a tombstone (content and mentions gone, reactions and previous versions removed)
   * with the room's next rev. Returns null when it was already deleted (nothing changes, no rev is used).
   */
  async tombstone(id: string, roomId: string): Promise<Tombstone | null> {
    return this.sql.transaction(async (tx) => {
      const rev = await this.nextRev(tx, roomId);
      const row =
        rev === null
          ? null
          : await tx.one<{ id: string; room_id: string; seq: number; rev: number; parent_id: string | null }>(
              `UPDATE messages SET content = NULL, mentions = '{}', deleted_at = now(), rev = $3, has_reactions = false
                WHERE id = $1 AND room_id = $2 AND deleted_at IS NULL
                RETURNING id, room_id, seq, rev, parent_id`,
              [id, roomId, rev],
            );
      if (!row) {
        tx.discard();
        return null;
      }
      await tx.rows('DELETE FROM message_reactions WHERE message_id = $1', [id]);
      await tx.rows('DELETE FROM message_edits WHERE message_id = $1', [id]);
      if (row.parent_id) {
        await tx.rows(
          'UPDATE messages SET thread_reply_count = greatest(thread_reply_count - 1, 0) WHERE id = $1',
          [row.parent_id],
        );
      }
      return { id: row.id, roomId: row.room_id, seq: row.seq, rev: row.rev };
    });
  }

  /**
   * Tombstones every live message of `senderId` in one room, each with its own new rev (in seq order), in one
   * transaction. Returns what changed.
   */
  async tombstoneAllBySender(roomId: string, senderId: string): Promise<Tombstone[]> {
    return this.sql.transaction(async (tx) => {
      const room = await tx.one<{ rev: number }>('SELECT rev FROM rooms WHERE id = $1 FOR UPDATE', [roomId]);
      if (!room) return [];
      const rows = await tx.rows<{
        id: string;
        room_id: string;
        seq: number;
        rev: number;
        parent_id: string | null;
      }>(
        `WITH targets AS (
           SELECT id, row_number() OVER (ORDER BY seq) AS n
             FROM messages
            WHERE room_id = $1 AND sender_id = $2 AND deleted_at IS NULL
         )
         UPDATE messages m
            SET content = NULL, mentions = '{}', deleted_at = now(), rev = $3 + t.n, has_reactions = false
           FROM targets t
          WHERE m.id = t.id
          RETURNING m.id, m.room_id, m.seq, m.rev, m.parent_id`,
        [roomId, senderId, room.rev],
      );
      if (rows.length === 0) return [];
      const ids = rows.map((row) => row.id);
      await tx.rows('UPDATE rooms SET rev = $2 WHERE id = $1', [roomId, room.rev + rows.length]);
      await tx.rows('DELETE FROM message_reactions WHERE message_id = ANY($1::uuid[])', [ids]);
      await tx.rows('DELETE FROM message_edits WHERE message_id = ANY($1::uuid[])', [ids]);
      const parents = rows.flatMap((row) => (row.parent_id ? [row.parent_id] : []));
      if (parents.length > 0) {
        await tx.rows(
          `UPDATE messages m SET thread_reply_count = greatest(m.thread_reply_count - v.n, 0)
             FROM (SELECT id, count(*)::int AS n FROM unnest($1::uuid[]) AS id GROUP BY id) v
            WHERE m.id = v.id`,
          [parents],
        );
      }
      return rows
        .map((row) => ({ id: row.id, roomId: row.room_id, seq: row.seq, rev: row.rev }))
        .sort((a, b) => a.rev - b.rev);
    });
  }

  /** Adds a reaction; a repeat is a no-op that takes no rev. */
  async addReaction(id: string, roomId: string, userId: string, emoji: string): Promise<ReactionChange> {
    return this.sql.transaction(async (tx) => {
      const rev = await this.nextRev(tx, roomId);
      const live =
        rev !== null &&
        (await tx.one(
          'UPDATE messages SET rev = $2, has_reactions = true WHERE id = $1 AND deleted_at IS NULL RETURNING id',
          [id, rev],
        ));
      if (!live) {
        tx.discard();
        return { kind: 'deleted' };
      }
      const inserted = await tx.one(
        `INSERT INTO message_reactions (message_id, user_id, emoji) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING message_id`,
        [id, userId, emoji],
      );
      if (!inserted) {
        tx.discard();
        return { kind: 'unchanged' };
      }
      return { kind: 'changed', rev: rev! };
    });
  }

  /** Removes a reaction; removing an absent one is a no-op that takes no rev. */
  async removeReaction(id: string, roomId: string, userId: string, emoji: string): Promise<ReactionChange> {
    return this.sql.transaction(async (tx) => {
      const rev = await this.nextRev(tx, roomId);
      const removed =
        rev !== null &&
        (await tx.one(
          'DELETE FROM message_reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3 RETURNING message_id',
          [id, userId, emoji],
        ));
      if (!removed) {
        tx.discard();
        return { kind: 'unchanged' };
      }
      await tx.rows(
        `UPDATE messages
            SET rev = $2, has_reactions = EXISTS (SELECT 1 FROM message_reactions WHERE message_id = $1)
          WHERE id = $1`,
        [id, rev],
      );
      return { kind: 'changed', rev: rev! };
    });
  }
}
