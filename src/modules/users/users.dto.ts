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
  displayName?: string | null;

  /** An uploaded image of yours; null clears it. */
  @IsOptional()
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

/** Everything the service holds about the caller. Other features add their own sections (rooms, messages, media). */
export class UserExportDto {
  exportedAt!: string;
  profile!: MeDto;
  sessions!: Record<string, unknown>[];
  /** Ids of users the caller has blocked, with when. */
  blocks!: Record<string, unknown>[];
  /** Security events about the caller. */
  auditEvents!: Record<string, unknown>[];
  [section: string]: unknown;
}
