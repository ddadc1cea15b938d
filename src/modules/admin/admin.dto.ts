import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { PageQueryDto } from '../../common/http/pagination';

/** A user as administrators see it (no email: responses never carry another user's email). */
export class AdminUserDto {
  id!: string;
  username!: string;
  displayName!: string | null;
  @ApiProperty({ enum: ['user', 'admin'] })
  role!: 'user' | 'admin';
  /** Disabled accounts cannot sign in and have no sessions. */
  disabled!: boolean;
  createdAt!: string;
  lastSeenAt!: string | null;
  /** Set when the account was deleted (anonymised). */
  deletedAt!: string | null;
}

export class AdminUserPageDto {
  items!: AdminUserDto[];
  /** Cursor for the next page; null on the last page. */
  nextCursor!: string | null;
}

export class AdminListUsersQueryDto extends PageQueryDto {
  /** Prefix of a username or display name, case-insensitive. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  q?: string;
}

/** Either field may be left out; neither may be null (@IsOptional would let null through to the database). */
export class AdminUpdateUserDto {
  @ValidateIf((_dto, value) => value !== undefined)
  @IsIn(['user', 'admin'])
  @ApiProperty({ enum: ['user', 'admin'], required: false })
  role?: 'user' | 'admin';

  /** true revokes every session and live socket of the user and refuses their logins. */
  @ValidateIf((_dto, value) => value !== undefined)
  @IsBoolean()
  disabled?: boolean;
}
