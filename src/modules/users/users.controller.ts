import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '../../common/errors/error-codes';
import { ApiErrors } from '../../common/http/api-errors';
import { CurrentUser } from '../../common/http/current-user.decorator';
import { UuidParamPipe } from '../../common/http/uuid-param.pipe';
import type { ClientInfo } from '../audit/audit.types';
import type { AuthUser } from '../auth/auth-user';
import { Client } from '../auth/client-info.decorator';
import {
  ChangePasswordDto,
  DeleteMeDto,
  MeDto,
  PublicUserDto,
  PublicUserPageDto,
  SearchUsersQueryDto,
  UpdateMeDto,
  UserExportDto,
} from './users.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  /** The caller's full profile. */
  @Get('me')
  getMe(@CurrentUser() user: AuthUser): Promise<MeDto> {
    return this.users.getMe(user.id);
  }

  /** Updates display name, avatar or settings. */
  @Patch('me')
  updateMe(@CurrentUser() user: AuthUser, @Body() dto: UpdateMeDto): Promise<MeDto> {
    return this.users.updateMe(user.id, dto);
  }

  /** Changes the password; every other session is signed out. 403 INVALID_CREDENTIALS for a wrong current password. */
  @Put('me/password')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Password changed' })
  @ApiErrors({
    403: { INVALID_CREDENTIALS: 'The current password is wrong' },
    429: { RATE_LIMITED: 'Too many wrong passwords for this account; see `Retry-After`' },
  })
  changePassword(
    @CurrentUser() user: AuthUser,
    @Body() dto: ChangePasswordDto,
    @Client() client: ClientInfo,
  ): Promise<void> {
    return this.users.changePassword(user, dto, client);
  }

  /** A JSON export of everything the service holds about the caller. */
  @Get('me/export')
  @ApiErrors({ 503: { SERVICE_UNAVAILABLE: 'A part of the export could not be read; try again later' } })
  exportMe(@CurrentUser() user: AuthUser): Promise<UserExportDto> {
    return this.users.exportMe(user.id, user.sessionId);
  }

  /** Deletes the caller's account (password-confirmed): profile anonymised, sessions revoked, messages tombstoned. */
  @Delete('me')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Account deleted' })
  @ApiErrors({
    403: { INVALID_CREDENTIALS: 'The password is wrong' },
    429: { RATE_LIMITED: 'Too many wrong passwords for this account; see `Retry-After`' },
  })
  deleteMe(
    @CurrentUser() user: AuthUser,
    @Body() dto: DeleteMeDto,
    @Client() client: ClientInfo,
  ): Promise<void> {
    return this.users.deleteMe(user, dto.password, client);
  }

  /** Searches users by username or display-name prefix (case-insensitive). */
  @Get()
  searchUsers(@Query() query: SearchUsersQueryDto): Promise<PublicUserPageDto> {
    return this.users.search(query);
  }

  /** A user's public profile. */
  @Get(':id')
  @ApiErrors({ 404: [ErrorCode.USER_NOT_FOUND] })
  getUser(@Param('id', new UuidParamPipe('id')) id: string): Promise<PublicUserDto> {
    return this.users.getPublicProfile(id);
  }

  /** Blocks a user: they can no longer open a direct room with, or message, the caller. Idempotent. */
  @Post(':id/block')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Blocked' })
  @ApiErrors({ 400: [ErrorCode.CANNOT_BLOCK_SELF], 404: [ErrorCode.USER_NOT_FOUND] })
  blockUser(@CurrentUser() user: AuthUser, @Param('id', new UuidParamPipe('id')) id: string): Promise<void> {
    return this.users.block(user.id, id);
  }

  /** Unblocks a user. Idempotent. */
  @Delete(':id/block')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Unblocked' })
  @ApiErrors({ 400: [ErrorCode.CANNOT_BLOCK_SELF], 404: [ErrorCode.USER_NOT_FOUND] })
  unblockUser(
    @CurrentUser() user: AuthUser,
    @Param('id', new UuidParamPipe('id')) id: string,
  ): Promise<void> {
    return this.users.unblock(user.id, id);
  }
}
