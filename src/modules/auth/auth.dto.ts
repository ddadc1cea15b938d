import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, Length, Matches, MaxLength, MinLength } from 'class-validator';
import { MeDto } from '../users/users.dto';
import { SessionDto } from './session.dto';
import { SingleLine } from '../../common/http/validation';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);
const normaliseEmail = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

export class RegisterDto {
  /** 3–32 characters of `[a-zA-Z0-9_.-]`, unique case-insensitively. */
  @IsString()
  @Matches(/^[a-zA-Z0-9_.-]{3,32}$/, { message: 'username must be 3-32 characters of a-z, A-Z, 0-9, _ . -' })
  username!: string;

  /** Stored trimmed and lower-cased; unique. */
  @Transform(normaliseEmail)
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email!: string;

  /** At least 8 characters. */
  @IsString()
  @MinLength(8)
  @MaxLength(256)
  password!: string;

  /** 1–64 characters after trimming. */
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 64)
  @SingleLine()
  displayName?: string;
}

export class LoginDto {
  /** Username or email. */
  @IsString()
  @Length(1, 254)
  login!: string;

  @IsString()
  @Length(1, 256)
  password!: string;
}

export class RefreshDto {
  @IsString()
  @Length(1, 512)
  refreshToken!: string;
}

export class LogoutDto {
  @IsString()
  @Length(1, 512)
  refreshToken!: string;
}

/** Tokens for a new or refreshed session. */
export class AuthResultDto {
  user!: MeDto;
  /** JWT for `Authorization: Bearer`; short-lived. */
  accessToken!: string;
  /** Opaque; exchange at POST /auth/refresh. Single use: every refresh returns a new one. */
  refreshToken!: string;
  /** Lifetime of the access token in seconds. @example 900 */
  expiresIn!: number;
}

export class SessionPageDto {
  items!: SessionDto[];
  /** Cursor for the next page; null on the last page. */
  nextCursor!: string | null;
}
