import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors/app-exception';
import { ErrorCode } from '../../common/errors/error-codes';
import { DomainEvents } from '../../common/events/domain-events';
import { decodeOptionalCursor, Page, toPage } from '../../common/http/pagination';
import { AuditService } from '../audit/audit.service';
import { AuditEventType, type ClientInfo } from '../audit/audit.types';
import type { AuthUser } from '../auth/auth-user';
import { SessionsService } from '../auth/sessions.service';
import type { User } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import '../users/users.events';
import type { AdminListUsersQueryDto, AdminUpdateUserDto, AdminUserDto } from './admin.dto';

export function toAdminUserDto(user: User): AdminUserDto {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    role: user.role,
    disabled: user.disabled,
    createdAt: user.createdAt.toISOString(),
    lastSeenAt: user.lastSeenAt?.toISOString() ?? null,
    deletedAt: user.deletedAt?.toISOString() ?? null,
  };
}

@Injectable()
export class AdminService {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsService,
    private readonly events: DomainEvents,
    private readonly audit: AuditService,
  ) {}

  async listUsers(query: AdminListUsersQueryDto): Promise<Page<AdminUserDto>> {
    const after = decodeOptionalCursor(query.cursor, (value): value is string => typeof value === 'string');
    const prefix = query.q?.trim() || undefined;
    const rows = await this.users.search({ prefix, after, limit: query.limit, includeInactive: true });
    return toPage(rows, query.limit, (user) => user.username.toLowerCase(), toAdminUserDto);
  }

  /**
   * Changes role and/or disabled. Disabling revokes every session (their sockets are closed on
   * `session.revoked`). Admins cannot demote or disable themselves, so the last admin cannot lock everyone out.
   */
  async updateUser(
    caller: AuthUser,
    id: string,
    dto: AdminUpdateUserDto,
    client: ClientInfo,
  ): Promise<AdminUserDto> {
    const user = await this.users.findExistingById(id);
    if (!user) throw AppException.notFound(ErrorCode.USER_NOT_FOUND, 'User not found');
    const roleChanges = dto.role !== undefined && dto.role !== user.role;
    const disabledChanges = dto.disabled !== undefined && dto.disabled !== user.disabled;
    if (user.id === caller.id && (roleChanges || disabledChanges)) {
      throw AppException.forbidden(
        ErrorCode.FORBIDDEN,
        'Admins cannot change their own role or disable themselves',
      );
    }
    if (!roleChanges && !disabledChanges) return toAdminUserDto(user);

    await this.users.updateAdminFields(id, {
      ...(roleChanges ? { role: dto.role } : {}),
      ...(disabledChanges ? { disabled: dto.disabled } : {}),
    });

    if (roleChanges) {
      await this.sessions.refreshCachedState(id);
      await this.audit.record({
        type: AuditEventType.roleChanged,
        actorId: caller.id,
        targetId: id,
        client,
        details: { from: user.role, to: dto.role },
      });
      this.events.publish('user.updated', { userId: id });
    }
    if (disabledChanges && dto.disabled) {
      const revoked = await this.sessions.revoke(id, 'user_disabled');
      await this.audit.record({
        type: AuditEventType.userDisabled,
        actorId: caller.id,
        targetId: id,
        client,
        details: { revokedSessions: revoked.length },
      });
      this.events.publish('user.disabled', { userId: id });
    } else if (disabledChanges) {
      await this.audit.record({ type: AuditEventType.userEnabled, actorId: caller.id, targetId: id, client });
    }
    const updated = await this.users.findExistingById(id);
    if (!updated) throw AppException.notFound(ErrorCode.USER_NOT_FOUND, 'User not found');
    return toAdminUserDto(updated);
  }
}
