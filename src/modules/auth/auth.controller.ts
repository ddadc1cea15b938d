import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '../../common/errors/error-codes';
import { ApiErrors } from '../../common/http/api-errors';
import { CurrentUser } from '../../common/http/current-user.decorator';
import { PageQueryDto } from '../../common/http/pagination';
import { Public } from '../../common/http/public.decorator';
import { UuidParamPipe } from '../../common/http/uuid-param.pipe';
import type { ClientInfo } from '../audit/audit.types';
import type { AuthUser } from './auth-user';
import { AuthResultDto, LoginDto, LogoutDto, RefreshDto, RegisterDto, SessionPageDto } from './auth.dto';
import { AuthService } from './auth.service';
import { AuthThrottlerGuard } from './auth-throttler.guard';
import { Client } from './client-info.decorator';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Creates an account and signs it in. 409 USERNAME_TAKEN / EMAIL_TAKEN. */
  @Public()
  @Post('register')
  @UseGuards(AuthThrottlerGuard)
  @ApiErrors({
    409: [ErrorCode.USERNAME_TAKEN, ErrorCode.EMAIL_TAKEN],
    429: { RATE_LIMITED: 'Too many registrations from this IP or for this name; see `Retry-After`' },
  })
  register(@Body() dto: RegisterDto, @Client() client: ClientInfo): Promise<AuthResultDto> {
    return this.auth.register(dto, client);
  }

  /** Signs in with username or email. 401 INVALID_CREDENTIALS for an unknown login or a wrong password alike. */
  @Public()
  @Post('login')
  @HttpCode(200)
  @UseGuards(AuthThrottlerGuard)
  @ApiErrors({
    401: { INVALID_CREDENTIALS: 'Unknown login or wrong password (the same answer for both)' },
    403: [ErrorCode.USER_DISABLED],
    429: {
      RATE_LIMITED:
        'Too many attempts from this IP or for this account, or too many failed ones; see `Retry-After`',
    },
  })
  login(@Body() dto: LoginDto, @Client() client: ClientInfo): Promise<AuthResultDto> {
    return this.auth.login(dto, client);
  }

  /**
   * Exchanges a refresh token for a new pair; the old refresh token is spent. Presenting a spent token again
   * revokes that whole session (401 REFRESH_TOKEN_REUSED).
   */
  @Public()
  @Post('refresh')
  @HttpCode(200)
  @UseGuards(AuthThrottlerGuard)
  @ApiErrors({
    401: [ErrorCode.REFRESH_TOKEN_INVALID, ErrorCode.REFRESH_TOKEN_REUSED],
    429: { RATE_LIMITED: 'Too many refreshes from this IP; see `Retry-After`' },
  })
  refresh(@Body() dto: RefreshDto, @Client() client: ClientInfo): Promise<AuthResultDto> {
    return this.auth.refresh(dto.refreshToken, client);
  }

  /** Ends the session of this refresh token. */
  @Post('logout')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Signed out' })
  logout(@CurrentUser() user: AuthUser, @Body() dto: LogoutDto, @Client() client: ClientInfo): Promise<void> {
    return this.auth.logout(user, dto.refreshToken, client);
  }

  /** Ends every session of the caller, this one included. */
  @Post('logout-all')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Every session signed out' })
  logoutAll(@CurrentUser() user: AuthUser, @Client() client: ClientInfo): Promise<void> {
    return this.auth.logoutAll(user, client);
  }

  /** The caller's active sessions, newest first. */
  @Get('sessions')
  listSessions(@CurrentUser() user: AuthUser, @Query() query: PageQueryDto): Promise<SessionPageDto> {
    return this.auth.listSessions(user, query);
  }

  /** Ends one of the caller's sessions. 404 SESSION_NOT_FOUND if it is not an active session of theirs. */
  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Session revoked' })
  @ApiErrors({ 404: [ErrorCode.SESSION_NOT_FOUND] })
  revokeSession(
    @CurrentUser() user: AuthUser,
    @Param('id', new UuidParamPipe('id')) id: string,
    @Client() client: ClientInfo,
  ): Promise<void> {
    return this.auth.revokeSession(user, id, client);
  }
}
