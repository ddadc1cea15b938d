import { ApiProperty, PickType } from '@nestjs/swagger';
import { Transform, TransformFnParams, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
  NotContains,
} from 'class-validator';
import { PageQueryDto } from '../../common/http/pagination';
import type { AttachmentSummary, MessageRecord } from './messages.repository';
import { CanonicalUuid } from '../../common/http/uuid';
import { WellFormedText } from '../../common/http/validation';

export const MAX_CONTENT_LENGTH = 4000;
export const MAX_CLIENT_MESSAGE_ID_LENGTH = 64;
export const MAX_ATTACHMENTS = 10;

const trim = ({ value }: TransformFnParams): unknown => (typeof value === 'string' ? value.trim() : value);

/** POST /rooms/:id/messages (and the `message:send` socket event). */
export class SendMessageDto {
  /**
   * Chosen by the client (a UUID is a good choice), 1–64 characters. Sending again with the same value in the
   * same room returns the stored message instead of a duplicate.
   */
  @IsString()
  @Length(1, MAX_CLIENT_MESSAGE_ID_LENGTH)
  @NotContains('\u0000', { message: 'clientMessageId must not contain NUL characters' })
  @WellFormedText()
  clientMessageId!: string;

  /** 1–4000 characters after trimming. `@username` mentions of room members are recognised. */
  @Transform(trim)
  @IsString()
  @Length(1, MAX_CONTENT_LENGTH)
  @NotContains('\u0000', { message: 'content must not contain NUL characters' })
  @WellFormedText()
  content!: string;

  /** Reply in the thread of this top-level message of the same room. */
  @IsOptional()
  @CanonicalUuid()
  @IsUUID()
  parentId?: string | null;

  /** Up to 10 of the sender's own uploads (POST /media), shown in this order. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ATTACHMENTS)
  @ArrayUnique()
  @CanonicalUuid()
  @IsUUID(undefined, { each: true })
  attachmentIds?: string[];
}

/** PATCH /messages/:id */
export class EditMessageDto {
  /** The new content, 1–4000 characters after trimming. */
  @Transform(trim)
  @IsString()
  @Length(1, MAX_CONTENT_LENGTH)
  @NotContains('\u0000', { message: 'content must not contain NUL characters' })
  @WellFormedText()
  content!: string;
}

/** GET /rooms/:id/messages */
export class ListMessagesQueryDto extends PageQueryDto {
  /** Messages with a lower seq, newest first. Without `before` and `after` the newest page is returned. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  before?: number;

  /** Messages with a higher seq, oldest first. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  after?: number;

  /** Only the replies in the thread of this message. */
  @IsOptional()
  @CanonicalUuid()
  @IsUUID()
  parentId?: string;
}

/** GET /messages/search */
export class SearchMessagesQueryDto extends PageQueryDto {
  /**
   * Words to find (web-search syntax: `"exact phrase"`, `or`, `-excluded`). Chinese, Japanese and Korean text
   * matches wherever the characters stand together, in order (`会议` finds `明天的会议在三点`).
   */
  @IsString()
  @Length(1, 256)
  q!: string;

  /** Search only this room. */
  @IsOptional()
  @CanonicalUuid()
  @IsUUID()
  roomId?: string;
}

/** An upload carried by a message; fetch it with GET /media/:id/content (and /thumbnail for images). */
export class MessageAttachmentDto {
  /** Media id. */
  id!: string;
  fileName!: string;
  mimeType!: string;
  /** Bytes. */
  size!: number;
  /** Pixels, for images. */
  width?: number;
  /** Pixels, for images. */
  height?: number;
  /** Whether GET /media/:id/thumbnail serves a thumbnail yet. */
  hasThumbnail!: boolean;
}

/** How many users reacted with one emoji. */
export class ReactionDto {
  /** @example 👍 */
  emoji!: string;
  count!: number;
  /** Whether the caller (in a socket event: the socket's user) is among them. */
  me!: boolean;
}

export class MessageDto {
  /** A UUIDv7: ids of messages stored later sort after earlier ones. Order by `seq` within a room. */
  id!: string;
  roomId!: string;
  /** Position in the room: 1, 2, 3… with no gaps; never changes. */
  seq!: number;
  /** The room revision of this message's latest change (create, edit, delete, reaction). */
  rev!: number;
  senderId!: string;
  /** The sender's idempotency key. */
  clientMessageId!: string;
  /** null once deleted. */
  @ApiProperty({ type: String, nullable: true })
  content!: string | null;
  /** The thread's top-level message, for replies. */
  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  parentId!: string | null;
  /** Live replies in this message's thread. */
  threadReplyCount!: number;
  /** Uploads carried by the message (empty once deleted). */
  attachments!: MessageAttachmentDto[];
  reactions!: ReactionDto[];
  /** Ids of mentioned room members. */
  mentions!: string[];
  /** ISO-8601. */
  createdAt!: string;
  /** ISO-8601, set once edited. */
  @ApiProperty({ type: String, nullable: true })
  editedAt!: string | null;
  /** ISO-8601, set once deleted (the message is then a tombstone: content null). */
  @ApiProperty({ type: String, nullable: true })
  deletedAt!: string | null;
}

/** A page of messages. */
export class MessagePageDto {
  items!: MessageDto[];
  /** Pass as `cursor` for the next page in the same direction; null when there is none (yet). */
  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

/** One of the caller's own messages in GET /users/me/export (deleted ones as tombstones: content null). */
export class MessageExportDto extends PickType(MessageDto, [
  'id',
  'roomId',
  'seq',
  'clientMessageId',
  'content',
  'parentId',
  'mentions',
  'createdAt',
  'editedAt',
  'deletedAt',
]) {}

/** A previous version of an edited message: what it said until an edit replaced it. */
export class MessageVersionDto {
  content!: string;
  /** When an edit replaced this content (ISO 8601). */
  replacedAt!: string;
}

/** Previous versions of a message, most recently replaced first. */
export class MessageVersionPageDto {
  items!: MessageVersionDto[];
  /** Pass as `cursor` for older versions; null when there are none. */
  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

/**
 * Maps a message for one viewer: `reactions[].me` is relative to whoever `record.reactions` was loaded for
 * (MessagesRepository.withDetails). Deleted messages show neither content nor mentions.
 */
export function toMessageDto(record: MessageRecord): MessageDto {
  const deleted = record.deletedAt !== null;
  return {
    id: record.id,
    roomId: record.roomId,
    seq: record.seq,
    rev: record.rev,
    senderId: record.senderId,
    clientMessageId: record.clientMessageId,
    content: deleted ? null : record.content,
    parentId: record.parentId,
    threadReplyCount: record.threadReplyCount,
    attachments: deleted ? [] : record.attachments.map(toAttachmentDto),
    reactions: deleted ? [] : record.reactions.map((reaction) => ({ ...reaction })),
    mentions: deleted ? [] : record.mentions,
    createdAt: record.createdAt.toISOString(),
    editedAt: record.editedAt?.toISOString() ?? null,
    deletedAt: record.deletedAt?.toISOString() ?? null,
  };
}

function toAttachmentDto(attachment: AttachmentSummary): MessageAttachmentDto {
  const dto: MessageAttachmentDto = {
    id: attachment.id,
    fileName: attachment.fileName,
    mimeType: attachment.mimeType,
    size: attachment.size,
    hasThumbnail: attachment.hasThumbnail,
  };
  if (attachment.width !== null) dto.width = attachment.width;
  if (attachment.height !== null) dto.height = attachment.height;
  return dto;
}
