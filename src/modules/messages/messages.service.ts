import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { isUUID, length } from 'class-validator';
import { AppException, ErrorDetail } from '../../common/errors/app-exception';
import { ErrorCode } from '../../common/errors/error-codes';
import { DomainEvents } from '../../common/events/domain-events';
import { JsonText, pageJson } from '../../common/http/json-text';
import { decodeOptionalCursor, isTimeIdKey, Page, PageQueryDto, toPage } from '../../common/http/pagination';
import { MediaService } from '../media/media.service';
import { RoomsService } from '../rooms/rooms.service';
import '../users/users.events';
import { UsersService } from '../users/users.service';
import { parseMentionCandidates, resolveMentions } from './mentions';
import {
  decodeSearchCursor,
  encodeSearchCursor,
  nextSeqCursor,
  resolveSeqWindow,
  SeqWindow,
} from './message-cursors';
import { MessagePagesRepository } from './message-pages.repository';
import { MessageWriter } from './message-writer';
import {
  MAX_ATTACHMENTS,
  EditMessageDto,
  ListMessagesQueryDto,
  MAX_CLIENT_MESSAGE_ID_LENGTH,
  MAX_CONTENT_LENGTH,
  MessageDto,
  MessageVersionDto,
  SearchMessagesQueryDto,
  SendMessageDto,
  toMessageDto,
} from './messages.dto';
import './messages.events';
import { MessageRecord, MessagesRepository } from './messages.repository';

/** Emoji path parameter: 1–32 characters, no whitespace or control characters. */
const EMOJI = /^[^\s\p{Cc}]+$/u;

const roomNotFound = (): AppException => AppException.notFound(ErrorCode.ROOM_NOT_FOUND, 'Room not found');
const messageNotFound = (): AppException =>
  AppException.notFound(ErrorCode.MESSAGE_NOT_FOUND, 'Message not found');
const messageDeleted = (): AppException =>
  AppException.conflict(ErrorCode.MESSAGE_DELETED, 'The message was deleted');

/** Trims and checks content as SendMessageDto does, for callers that did not go through the HTTP pipe. */
function cleanContent(value: unknown, problems: ErrorDetail[]): string {
  const content = typeof value === 'string' ? value.trim() : '';
  if (typeof value !== 'string') problems.push({ field: 'content', message: 'content must be a string' });
  else if (!length(content, 1, MAX_CONTENT_LENGTH)) {
    problems.push({
      field: 'content',
      message: `content must be 1–${MAX_CONTENT_LENGTH} characters after trimming`,
    });
  } else if (content.includes('\u0000')) {
    problems.push({ field: 'content', message: 'content must not contain NUL characters' });
  }
  return content;
}

export function validateSend(dto: SendMessageDto): {
  clientMessageId: string;
  content: string;
  parentId: string | null;
  attachmentIds: string[];
} {
  const problems: ErrorDetail[] = [];
  const clientMessageId = dto.clientMessageId;
  if (
    typeof clientMessageId !== 'string' ||
    !length(clientMessageId, 1, MAX_CLIENT_MESSAGE_ID_LENGTH) ||
    clientMessageId.includes('\u0000')
  ) {
    problems.push({
      field: 'clientMessageId',
      message: `clientMessageId must be 1–${MAX_CLIENT_MESSAGE_ID_LENGTH} characters`,
    });
  }
  const content = cleanContent(dto.content, problems);
  const attachmentIds = dto.attachmentIds ?? [];
  if (
    !Array.isArray(attachmentIds) ||
    attachmentIds.length > MAX_ATTACHMENTS ||
    new Set(attachmentIds).size !== attachmentIds.length ||
    !attachmentIds.every((id) => isUUID(id))
  ) {
    problems.push({
      field: 'attachmentIds',
      message: `attachmentIds must be up to ${MAX_ATTACHMENTS} distinct media UUIDs`,
    });
  }
  const parentId = dto.parentId ?? null;
  if (parentId !== null && !isUUID(parentId))
    problems.push({ field: 'parentId', message: 'parentId must be a UUID' });
  if (problems.length > 0) throw AppException.validation(problems);
  return { clientMessageId, content, parentId, attachmentIds };
}

function assertEmoji(emoji: string): void {
  if (typeof emoji !== 'string' || !length(emoji, 1, 32) || !EMOJI.test(emoji)) {
    throw AppException.validation([
      { field: 'emoji', message: 'emoji must be 1–32 characters without whitespace or control characters' },
    ]);
  }
}

/** `message` (whose `reactions[].me` are all false) as seen by someone who reacted with `emojis`. */
function seenByReactor(message: MessageDto, emojis: readonly string[]): MessageDto {
  return {
    ...message,
    reactions: message.reactions.map((reaction) => ({ ...reaction, me: emojis.includes(reaction.emoji) })),
  };
}

/**
 * Messages: send (idempotent, batched through MessageWriter), pages by seq, threads, edits, tombstones,
 * reactions and search. Visibility follows room membership: a message in a room the caller is not in is 404.
 */
@Injectable()
export class MessagesService implements OnModuleInit {
  private readonly logger = new Logger('Messages');

  constructor(
    private readonly messages: MessagesRepository,
    private readonly pages: MessagePagesRepository,
    private readonly writer: MessageWriter,
    private readonly rooms: RoomsService,
    private readonly users: UsersService,
    private readonly media: MediaService,
    private readonly events: DomainEvents,
  ) {}

  onModuleInit(): void {
    this.users.registerExportSection('messages', async (userId) =>
      (await this.messages.findBySender(userId)).map((message) => ({
        id: message.id,
        roomId: message.roomId,
        seq: message.seq,
        clientMessageId: message.clientMessageId,
        content: message.deletedAt ? null : message.content,
        parentId: message.parentId,
        mentions: message.mentions,
        createdAt: message.createdAt.toISOString(),
        editedAt: message.editedAt?.toISOString() ?? null,
        deletedAt: message.deletedAt?.toISOString() ?? null,
      })),
    );
    this.users.registerDeletionStep('messages', (userId) => this.tombstoneAllOf(userId));
  }

  /**
   * Sends a message. Everything that can refuse it (membership, block, content, parent) is checked before it
   * enters a write batch. A resend with the same clientMessageId answers the stored message with created=false.
   */
  async send(
    userId: string,
    roomId: string,
    dto: SendMessageDto,
  ): Promise<{ message: MessageDto; created: boolean }> {
    const input = validateSend(dto);
    // Ids from sockets skip the HTTP pipes; a malformed one is simply not found (and never reaches SQL).
    if (!isUUID(roomId)) throw AppException.notFound(ErrorCode.ROOM_NOT_FOUND, 'Room not found');
    // The plain send (the hot path) makes no query of its own: the write batch checks membership and blocks, and
    // deduplicates resends, in its one statement. A reply or a send with attachments is checked here first, so a
    // non-member learns nothing about the room's messages or gets a media error instead of 404.
    if (input.parentId !== null || input.attachmentIds.length > 0) {
      await this.rooms.assertCanWrite(userId, roomId);
    }
    // Only a send that would be refused for its parent checks first whether it is a resend (the parent may have
    // been deleted since the original was stored).
    if (input.parentId !== null && !(await this.isValidParent(roomId, input.parentId))) {
      const earlier = await this.messages.findByClientMessageId(roomId, userId, input.clientMessageId);
      if (earlier) return { message: toMessageDto(earlier), created: false };
      throw AppException.badRequest(
        ErrorCode.INVALID_PARENT,
        'parentId must be a live top-level message of this room',
        [{ field: 'parentId', message: 'parentId must be a live top-level message of this room' }],
      );
    }
    const [mentions, attachments] = await Promise.all([
      this.mentionsIn(roomId, input.content),
      this.media.findOwnedForAttachment(userId, input.attachmentIds),
    ]);
    const { record, created } = await this.writer.write({
      roomId,
      senderId: userId,
      clientMessageId: input.clientMessageId,
      content: input.content,
      parentId: input.parentId,
      mentions,
      attachments,
    });
    if (created) return { message: toMessageDto(record), created };
    // A resend, or a racing twin stored it first: answer with the stored message as the caller sees it.
    const [stored] = await this.messages.withDetails([record], userId);
    return { message: toMessageDto(stored), created };
  }

  /** Not found, in another room, deleted, or itself a reply: all invalid alike, so nothing leaks. */
  private async isValidParent(roomId: string, parentId: string): Promise<boolean> {
    const parent = await this.messages.findParent(roomId, parentId);
    return parent !== null && parent.parentId === null && parent.deletedAt === null;
  }

  private async mentionsIn(roomId: string, content: string): Promise<string[]> {
    const candidates = parseMentionCandidates(content);
    if (candidates.length === 0) return [];
    const users = await this.users.findByUsernamesCaseInsensitive(candidates);
    if (users.length === 0) return [];
    const members = await this.rooms.membersAmong(
      roomId,
      users.map((user) => user.id),
    );
    return resolveMentions(candidates, users, members);
  }

  /**
   * A page by seq: newest first (default, or `before`), oldest first with `after`; `parentId` for a thread.
   * Membership, the thread's parent and the page come from one statement, already serialised as JSON.
   */
  async list(
    userId: string,
    roomId: string,
    query: ListMessagesQueryDto,
  ): Promise<JsonText<Page<MessageDto>>> {
    let window: SeqWindow;
    try {
      window = resolveSeqWindow(query);
    } catch (error) {
      // Only a member learns that the cursor is bad: anyone else gets the room's 404 first.
      await this.rooms.assertMember(userId, roomId);
      throw error;
    }
    const page = await this.pages.findPage({
      roomId,
      viewerId: userId,
      parentId: query.parentId,
      window,
      limit: query.limit,
    });
    if (page.kind === 'room-not-found') throw roomNotFound();
    if (page.kind === 'parent-not-found') throw messageNotFound();
    return pageJson(
      page.items,
      nextSeqCursor(window, page.lastSeq === null ? [] : [page.lastSeq], page.hasMore),
    );
  }

  async get(userId: string, id: string): Promise<MessageDto> {
    const found = await this.findVisible(userId, id);
    if (!found) throw messageNotFound();
    return toMessageDto(found.message);
  }

  /** The sender edits the content; the previous version is kept. Deleted messages cannot be edited (409). */
  async edit(userId: string, id: string, dto: EditMessageDto): Promise<MessageDto> {
    const problems: ErrorDetail[] = [];
    const content = cleanContent(dto.content, problems);
    if (problems.length > 0) throw AppException.validation(problems);
    const found = await this.findVisible(userId, id);
    if (!found) throw messageNotFound();
    const { message } = found;
    if (message.senderId !== userId) {
      throw AppException.forbidden(ErrorCode.FORBIDDEN, 'Only the sender can edit a message');
    }
    if (message.deletedAt) throw messageDeleted();
    await this.rooms.assertCanWrite(userId, message.roomId);
    const mentions = await this.mentionsIn(message.roomId, content);
    const edited = await this.messages.edit(id, message.roomId, content, mentions);
    if (edited === null) throw messageNotFound();
    if (edited === 'deleted') throw messageDeleted();
    const forOthers = toMessageDto(edited.message);
    const reactors = edited.reactors.map((group) => ({
      userIds: group.userIds,
      message: seenByReactor(forOthers, group.emojis),
    }));
    this.events.publish('message.updated', { message: forOthers, reactors });
    return reactors.find((group) => group.userIds.includes(userId))?.message ?? forOthers;
  }

  /**
   * What an edited message said before, most recently replaced first; visible to whoever can see the message.
   * A deleted message keeps no versions (the tombstone removes them), so its list is empty.
   */
  async versions(userId: string, id: string, query: PageQueryDto): Promise<Page<MessageVersionDto>> {
    const found = await this.findVisible(userId, id);
    if (!found) throw messageNotFound();
    const after = decodeOptionalCursor(query.cursor, isTimeIdKey);
    const rows = await this.messages.findVersions(id, after, query.limit + 1);
    return toPage(
      rows,
      query.limit,
      (row) => row.key,
      (row) => ({ content: row.content, replacedAt: row.replacedAt.toISOString() }),
    );
  }

  /** The sender, or an admin/owner of the room, deletes; the message stays as a tombstone. Repeats are no-ops. */
  async remove(userId: string, id: string): Promise<void> {
    const found = await this.findVisible(userId, id);
    if (!found) throw messageNotFound();
    const { message, role } = found;
    if (message.senderId !== userId && role !== 'admin' && role !== 'owner') {
      throw AppException.forbidden(
        ErrorCode.FORBIDDEN,
        'Only the sender or a room admin can delete a message',
      );
    }
    if (message.deletedAt) return;
    const tombstone = await this.messages.tombstone(id, message.roomId);
    if (tombstone) this.events.publish('message.deleted', tombstone);
  }

  async addReaction(userId: string, id: string, emoji: string): Promise<void> {
    assertEmoji(emoji);
    const message = await this.visibleMessage(userId, id);
    if (message.deletedAt) throw messageDeleted();
    await this.rooms.assertCanWrite(userId, message.roomId);
    const change = await this.messages.addReaction(id, message.roomId, userId, emoji);
    if (change.kind === 'deleted') throw messageDeleted();
    if (change.kind === 'changed') {
      this.events.publish('reaction.added', {
        messageId: id,
        roomId: message.roomId,
        rev: change.rev,
        emoji,
        userId,
      });
    }
  }

  async removeReaction(userId: string, id: string, emoji: string): Promise<void> {
    assertEmoji(emoji);
    const message = await this.visibleMessage(userId, id);
    const change = await this.messages.removeReaction(id, message.roomId, userId, emoji);
    if (change.kind === 'changed') {
      this.events.publish('reaction.removed', {
        messageId: id,
        roomId: message.roomId,
        rev: change.rev,
        emoji,
        userId,
      });
    }
  }

  private async visibleMessage(userId: string, id: string): Promise<MessageRecord> {
    const found = await this.findVisible(userId, id);
    if (!found) throw messageNotFound();
    return found.message;
  }

  private findVisible(userId: string, id: string): ReturnType<MessagesRepository['findVisible']> {
    // Ids from sockets skip the HTTP pipes; a malformed one is simply not found (and never reaches SQL).
    return isUUID(id) ? this.messages.findVisible(id, userId) : Promise.resolve(null);
  }

  /** Full-text search over live messages of the caller's rooms (or one of them), best match first. */
  async search(userId: string, query: SearchMessagesQueryDto): Promise<Page<MessageDto>> {
    const after = decodeSearchCursor(query.cursor);
    if (query.roomId !== undefined) await this.rooms.assertMember(userId, query.roomId);
    const text = query.q.trim();
    if (text === '') throw AppException.validation([{ field: 'q', message: 'q must not be blank' }]);
    const hits = await this.messages.search(userId, text, query.roomId, after, query.limit + 1);
    const shown = hits.slice(0, query.limit);
    return {
      items: shown.map((hit) => toMessageDto(hit.message)),
      nextCursor:
        hits.length > query.limit && shown.length > 0
          ? encodeSearchCursor(shown[shown.length - 1].key)
          : null,
    };
  }

  /** Account deletion: every message of the user becomes a tombstone, each with its own new rev. */
  private async tombstoneAllOf(userId: string): Promise<void> {
    const roomIds = await this.messages.findRoomsWithLiveMessagesOf(userId);
    let count = 0;
    for (const roomId of roomIds) {
      for (const tombstone of await this.messages.tombstoneAllBySender(roomId, userId)) {
        this.events.publish('message.deleted', tombstone);
        count += 1;
      }
    }
    this.logger.log({ userId, messages: count }, 'Tombstoned the messages of a deleted account');
  }
}
