import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/http/api-errors';
import { CurrentUser } from '../../common/http/current-user.decorator';
import { UuidParamPipe } from '../../common/http/uuid-param.pipe';
import { AuditEventPageDto, AuditLogQueryDto } from '../audit/audit.dto';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../audit/audit.types';
import type { AuthUser } from '../auth/auth-user';
import { Client } from '../auth/client-info.decorator';
import { RequireRole } from '../auth/roles.decorator';
import { AdminListUsersQueryDto, AdminUpdateUserDto, AdminUserDto, AdminUserPageDto } from './admin.dto';
import { AdminService } from './admin.service';

const NOT_ADMIN = 'The caller does not have the `admin` role';

/** Administration; every route requires the `admin` role (403 otherwise). */
@ApiTags('admin')
@RequireRole('admin')
@Controller('admin')
export class AdminController {
  constructor(
    private readonly admin: AdminService,
    private readonly audit: AuditService,
  ) {}

  /** All accounts (including disabled and deleted ones), by username; `q` filters by prefix. */
  @Get('users')
  @ApiErrors({ 403: { FORBIDDEN: NOT_ADMIN } })
  adminListUsers(@Query() query: AdminListUsersQueryDto): Promise<AdminUserPageDto> {
    return this.admin.listUsers(query);
  }

  /** Changes a user's role or disables/enables them; disabling revokes every session. */
  @Patch('users/:id')
  @ApiErrors({
    403: { FORBIDDEN: `${NOT_ADMIN}, or an admin changing their own role or disabling themselves` },
    404: { USER_NOT_FOUND: 'No such user (or the account was deleted)' },
  })
  adminUpdateUser(
    @CurrentUser() user: AuthUser,
    @Param('id', new UuidParamPipe('id')) id: string,
    @Body() dto: AdminUpdateUserDto,
    @Client() client: ClientInfo,
  ): Promise<AdminUserDto> {
    return this.admin.updateUser(user, id, dto, client);
  }

  /** Security events, newest first; filter by user (actor or target) and type. */
  @Get('audit-log')
  @ApiErrors({ 403: { FORBIDDEN: NOT_ADMIN } })
  listAuditLog(@Query() query: AuditLogQueryDto): Promise<AuditEventPageDto> {
    return this.audit.list(query);
  }
}
