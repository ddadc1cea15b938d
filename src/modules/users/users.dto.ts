import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { PageQueryDto } from '../../common/http/pagination';
import { AuditEventDto } from '../audit/audit.dto';
import { SessionDto } from '../auth/session.dto';
import { MediaDto } from '../media/media.dto';
import { MessageExportDto } from '../messages/messages.dto';
import { RoomExportDto } from '../rooms/rooms.dto';
import { CanonicalUuid } from '../../common/http/uuid';
import { SingleLine } from '../../common/http/validation';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

/** The caller's own profile. */
export class MeDto {
  id!: string;
  username!: string;
  email!: string;
  displayName!: string | null;
  avatarMediaId!: string | null;
  @ApiProperty({ enum: ['user', 'admin'] })
  role!: 'user' | 'admin';
  /** Free-form client settings (JSON object, at most 16 KiB). */
  settings!: Record<string, unknown>;
  createdAt!: string;
  lastSeenAt!: string | null;
}

/** What anyone signed in may see about a user. */
export class PublicUserDto {
  id!: string;
  username!: string;
  displayName!: string | null;
  avatarMediaId!: string | null;
  @ApiProperty({ enum: ['online', 'offline'] })
  presence!: 'online' | 'offline';
  lastSeenAt!: string | null;
}

export class PublicUserPageDto {
  items!: PublicUserDto[];
  /** Cursor for the next page; null on the last page. */
  nextCursor!: string | null;
}

export class UpdateMeDto {
  /** 1–64 characters after trimming; null clears it. */
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 64)
  @SingleLine()
  displayName?: string | null;

  /** An uploaded image of yours; null clears it. */
  @IsOptional()
  @CanonicalUuid()
  @IsUUID()
  avatarMediaId?: string | null;

  /** Replaces the stored settings object (at most 16 KiB as JSON). */
  @ValidateIf((_, value) => value !== undefined)
  @IsObject()
  settings?: Record<string, unknown>;
}

export class ChangePasswordDto {
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  currentPassword!: string;

  /** At least 8 characters. */
  @IsString()
  @MinLength(8)
  @MaxLength(256)
  newPassword!: string;
}

export class DeleteMeDto {
  /** The account's password, to confirm. */
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password!: string;
}

export class SearchUsersQueryDto extends PageQueryDto {
  /** Prefix of a username or display name, case-insensitive. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  q?: string;
}

/** One of the caller's sessions in the export, ended ones included. */
export class SessionExportDto extends SessionDto {
  /** When it was revoked (ISO-8601); null while it has not been. Always present in the export. */
  @ApiProperty({ type: String, nullable: true, required: true })
  revokedAt?: string | null;
}

/** A user the caller has blocked. */
export class BlockExportDto {
  /** The blocked user. */
  userId!: string;
  /** When (ISO-8601). */
  createdAt!: string;
}

/**
 * Everything the service holds about the caller. The rooms, messages and media sections are added by their
 * features (UsersService.registerExportSection), so they are optional to the compiler, yet always in the answer:
 * a section that fails makes the whole export a 503.
 */
export class UserExportDto {
  /** ISO-8601. */
  exportedAt!: string;
  profile!: MeDto;
  /** Every session of the caller, ended ones included. */
  sessions!: SessionExportDto[];
  /** Users the caller has blocked, with when. */
  blocks!: BlockExportDto[];
  /** Security events about the caller. */
  auditEvents!: AuditEventDto[];
  /** The rooms the caller is a member of, with their membership. */
  @ApiProperty({ type: () => [RoomExportDto], required: true })
  rooms?: RoomExportDto[];
  /** Every message the caller sent, oldest first (deleted ones as tombstones). */
  @ApiProperty({ type: () => [MessageExportDto], required: true })
  messages?: MessageExportDto[];
  /** Metadata of the caller's uploads (not their bytes). */
  @ApiProperty({ type: () => [MediaDto], required: true })
  media?: MediaDto[];
  [section: string]: unknown;
}
