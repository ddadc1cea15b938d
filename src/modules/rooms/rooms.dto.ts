import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Transform, TransformFnParams, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { MessageDto } from '../messages/messages.dto';
import type { RoomRole } from './room-member.entity';
import { ROOM_ROLES } from './room-roles';
import type { RoomType } from './room.entity';
import { CanonicalUuid } from '../../common/http/uuid';
import { SingleLine } from '../../common/http/validation';

export const ROOM_TYPES: readonly RoomType[] = ['direct', 'group'];
export const MAX_MEMBERS_PER_REQUEST = 100;
export const MAX_CHANGES_LIMIT = 1000;
export const DEFAULT_CHANGES_LIMIT = 100;
const MAX_INT = 2_147_483_647;

const trim = ({ value }: TransformFnParams): unknown => (typeof value === 'string' ? value.trim() : value);

/** POST /rooms */
export class CreateRoomDto {
  /** `direct`: exactly one other member in `memberIds`; `group`: a named room with roles. */
  @ApiProperty({ enum: ROOM_TYPES })
  @IsIn(ROOM_TYPES)
  type!: RoomType;

  /** Groups only (required for them): 1–100 characters. Not null: a group always has a name. */
  @ValidateIf((_dto, value) => value !== undefined)
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @SingleLine()
  name?: string;

  /** Groups only: up to 1000 characters. */
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string;

  /** The other members (the caller joins automatically; as owner of a group). */
  @IsArray()
  @ArrayMaxSize(MAX_MEMBERS_PER_REQUEST)
  @ArrayUnique()
  @CanonicalUuid()
  @IsUUID(undefined, { each: true })
  memberIds!: string[];
}

/** PATCH /rooms/:id */
export class UpdateRoomDto {
  /** 1–100 characters. Not null: a group always has a name. */
  @ValidateIf((_dto, value) => value !== undefined)
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @SingleLine()
  name?: string;

  /** Up to 1000 characters; null clears it. */
  @ValidateIf((_dto, value) => value !== null)
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string | null;
}

/** POST /rooms/:id/members */
export class AddMembersDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_MEMBERS_PER_REQUEST)
  @ArrayUnique()
  @CanonicalUuid()
  @IsUUID(undefined, { each: true })
  userIds!: string[];
}

/** PATCH /rooms/:id/members/:userId */
export class UpdateMemberDto {
  @ApiProperty({ enum: ROOM_ROLES })
  @IsIn(ROOM_ROLES)
  role!: RoomRole;
}

/** POST /rooms/:id/read */
export class MarkReadDto {
  /** The highest seq the caller has read; at most the room's `lastSeq`. */
  @IsInt()
  @Min(0)
  @Max(MAX_INT)
  seq!: number;
}

/**
 * GET /rooms/:id/changes. Both parameters are optional: the initialisers are the defaults, which the plugin would
 * otherwise read as required properties.
 */
export class ChangesQueryDto {
  /** The highest `rev` the client has seen in this room (0 for everything). */
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_INT, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_INT)
  sinceRev: number = 0;

  /** Messages per call. */
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_CHANGES_LIMIT,
    default: DEFAULT_CHANGES_LIMIT,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_CHANGES_LIMIT)
  limit: number = DEFAULT_CHANGES_LIMIT;
}

export class RoomDto {
  id!: string;
  @ApiProperty({ enum: ROOM_TYPES })
  type!: RoomType;
  /** Groups only. */
  @ApiProperty({ type: String, nullable: true })
  name!: string | null;
  @ApiProperty({ type: String, nullable: true })
  description!: string | null;
  /** ISO-8601. */
  createdAt!: string;
  /** The seq of the newest message (0 when empty). */
  lastSeq!: number;
  /** The room's current revision (see GET /rooms/:id/changes). */
  rev!: number;
  memberCount!: number;
  /** The caller's role. */
  @ApiProperty({ enum: ROOM_ROLES })
  myRole!: RoomRole;
  /** Direct rooms: the other member's id; null for groups. */
  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  peerId!: string | null;
}

/** A room in the caller's list. */
export class RoomListItemDto extends RoomDto {
  /** The newest message (a tombstone if it was deleted); null when the room is empty. */
  @ApiProperty({ type: () => MessageDto, nullable: true })
  lastMessage!: MessageDto | null;
  /** Live messages from others after the caller's read position. */
  unreadCount!: number;
}

export class RoomPageDto {
  items!: RoomListItemDto[];
  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

export class MemberDto {
  userId!: string;
  username!: string;
  @ApiProperty({ type: String, nullable: true })
  displayName!: string | null;
  @ApiProperty({ enum: ROOM_ROLES })
  role!: RoomRole;
  /** ISO-8601. */
  joinedAt!: string;
  /** Everything up to this seq reached the member's devices. */
  lastDeliveredSeq!: number;
  /** Everything up to this seq was read by the member. */
  lastReadSeq!: number;
}

export class MemberPageDto {
  items!: MemberDto[];
  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

/** One of the caller's rooms in GET /users/me/export: the room and the caller's membership of it. */
export class RoomExportDto extends PickType(RoomDto, ['id', 'type', 'name', 'description', 'createdAt']) {
  /** The caller's role. */
  @ApiProperty({ enum: ROOM_ROLES })
  role!: RoomRole;
  /** When the caller joined (ISO-8601). */
  joinedAt!: string;
  lastReadSeq!: number;
  lastDeliveredSeq!: number;
}

/** Every message created, edited, deleted or re-reacted after `sinceRev`, in revision order. */
export class RoomChangesDto {
  messages!: MessageDto[];
  /** The highest rev included (pass it as the next `sinceRev`); the room's current rev when nothing changed. */
  rev!: number;
  /** More changes are waiting: call again with `sinceRev` = `rev`. */
  hasMore!: boolean;
}
