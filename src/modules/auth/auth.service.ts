import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors/app-exception';
import { ErrorCode } from '../../common/errors/error-codes';
import type { Page } from '../../common/http/pagination';
import { AuditService } from '../audit/audit.service';
import { AuditEventType, type ClientInfo } from '../audit/audit.types';
import type { User } from '../users/user.entity';
import { toMeDto } from '../users/users.mapper';
import { UsersService } from '../users/users.service';
import type { AuthUser } from './auth-user';
import type { AuthResultDto, LoginDto, RegisterDto } from './auth.dto';
import type { SessionDto } from './session.dto';
import { LoginFailures } from './login-failures';
import { PasswordHasher } from './password.hasher';
import { SessionsService } from './sessions.service';
import { TokenService } from './token.service';

/** Registration, login, token refresh and session management. */
@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly tokens: TokenService,
    private readonly passwords: PasswordHasher,
    private readonly failures: LoginFailures,
    private readonly audit: AuditService,
  ) {}

  async register(dto: RegisterDto, client: ClientInfo): Promise<AuthResultDto> {
    const user = await this.users.create(dto);
    await this.audit.record({ type: AuditEventType.registered, actorId: user.id, targetId: user.id, client });
    return (await this.startSession(user, client)).result;
  }

  /**
   * One answer for "no such account" and "wrong password" (401 INVALID_CREDENTIALS, same message), with the
   * same work done in both cases: an unknown login is checked against a dummy hash. A locked account answers
   * 429 whether or not it exists.
   */
  async login(dto: LoginDto, client: ClientInfo): Promise<AuthResultDto> {
    const user = await this.users.findForLogin(dto.login);
    const subject = LoginFailures.subject(user?.id, dto.login);
    await this.failures.assertNotLocked(subject);

    const valid = user
      ? await this.passwords.verify(user.passwordHash, dto.password)
      : (await this.passwords.verifyDummy(dto.password), false);
    if (!user || !valid) {
      await this.failures.recordFailure(subject);
      await this.audit.record({
        type: AuditEventType.loginFailed,
        actorId: null,
        targetId: user?.id ?? null,
        client,
        details: { reason: user ? 'wrong_password' : 'unknown_account' },
      });
      throw AppException.unauthorized(ErrorCode.INVALID_CREDENTIALS, 'Invalid login or password');
    }
    await this.failures.reset(subject);
    if (user.disabled) {
      await this.audit.record({
        type: AuditEventType.loginFailed,
        actorId: null,
        targetId: user.id,
        client,
        details: { reason: 'disabled' },
      });
      throw AppException.forbidden(ErrorCode.USER_DISABLED, 'This account has been disabled');
    }
    const { result, sessionId } = await this.startSession(user, client);
    await this.audit.record({
      type: AuditEventType.loginSucceeded,
      actorId: user.id,
      targetId: user.id,
      client,
      details: { sessionId },
    });
    return result;
  }

  async refresh(refreshToken: string, client: ClientInfo): Promise<AuthResultDto> {
    const session = await this.sessions.rotate(refreshToken, client);
    const user = await this.users.findActiveAccount(session.userId);
    if (!user) {
      // Disabled or deleted between revocation sweeps: close the session rather than extend it.
      await this.sessions.revoke(session.userId, 'revoked', { sessionId: session.sessionId });
      throw AppException.unauthorized(ErrorCode.REFRESH_TOKEN_INVALID, 'Refresh token is invalid or expired');
    }
    const { accessToken, expiresIn } = await this.tokens.issueAccessToken(
      user.id,
      session.sessionId,
      session.expiresAt,
    );
    return { user: toMeDto(user), accessToken, refreshToken: session.refreshToken, expiresIn };
  }

  /** Revokes the session of `refreshToken` if it is the caller's; idempotent. */
  async logout(caller: AuthUser, refreshToken: string, client: ClientInfo): Promise<void> {
    const revoked = await this.sessions.revokeByRefreshToken(caller.id, refreshToken);
    if (revoked.length > 0) {
      await this.audit.record({
        type: AuditEventType.logout,
        actorId: caller.id,
        targetId: caller.id,
        client,
        details: { sessionIds: revoked },
      });
    }
  }

  async logoutAll(caller: AuthUser, client: ClientInfo): Promise<void> {
    const revoked = await this.sessions.revoke(caller.id, 'logout_all');
    await this.audit.record({
      type: AuditEventType.logoutAll,
      actorId: caller.id,
      targetId: caller.id,
      client,
      details: { sessionIds: revoked },
    });
  }

  listSessions(caller: AuthUser, page: { limit: number; cursor?: string }): Promise<Page<SessionDto>> {
    return this.sessions.listActive(caller.id, caller.sessionId, page);
  }

  /** 404 SESSION_NOT_FOUND unless it is an active session of the caller's. */
  async revokeSession(caller: AuthUser, sessionId: string, client: ClientInfo): Promise<void> {
    const revoked = await this.sessions.revoke(caller.id, 'revoked', { sessionId });
    if (revoked.length === 0) throw AppException.notFound(ErrorCode.SESSION_NOT_FOUND, 'Session not found');
    await this.audit.record({
      type: AuditEventType.sessionRevoked,
      actorId: caller.id,
      targetId: caller.id,
      client,
      details: { sessionId },
    });
  }

  private async startSession(
    user: User,
    client: ClientInfo,
  ): Promise<{ result: AuthResultDto; sessionId: string }> {
    const session = await this.sessions.create(user.id, client);
    const { accessToken, expiresIn } = await this.tokens.issueAccessToken(
      user.id,
      session.sessionId,
      session.expiresAt,
    );
    return {
      result: { user: toMeDto(user), accessToken, refreshToken: session.refreshToken, expiresIn },
      sessionId: session.sessionId,
    };
  }
}
