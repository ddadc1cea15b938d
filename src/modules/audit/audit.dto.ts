import { IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/http/pagination';
import { CanonicalUuid } from '../../common/http/uuid';

/** One security event. */
export class AuditEventDto {
  id!: string;
  /** Event type, e.g. `auth.login_failed`, `auth.refresh_reuse_detected`, `admin.role_changed`. */
  type!: string;
  /** Who did it (null for anonymous attempts and the CLI). */
  actorId!: string | null;
  /** Whom it concerned. */
  targetId!: string | null;
  ip!: string | null;
  userAgent!: string | null;
  createdAt!: string;
  /** Event-specific facts; never passwords or tokens. */
  details!: Record<string, unknown>;
}

export class AuditEventPageDto {
  items!: AuditEventDto[];
  /** Cursor for the next (older) page; null on the last page. */
  nextCursor!: string | null;
}

export class AuditLogQueryDto extends PageQueryDto {
  /** Only events where this user is the actor or the target. */
  @IsOptional()
  @CanonicalUuid()
  @IsUUID()
  userId?: string;

  /** Only events of this type. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  type?: string;
}
