import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppException } from '../../common/errors/app-exception';
import { ErrorCode } from '../../common/errors/error-codes';
import { DomainEvents } from '../../common/events/domain-events';
import { decodeOptionalCursor, isTimeIdKey, Page, toPage } from '../../common/http/pagination';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import { AuditService } from '../audit/audit.service';
import { AuditEventType, type ClientInfo } from '../audit/audit.types';
import './auth.events';
import { hashRefreshToken, newRefreshToken } from './refresh-token';
import type { Session } from './session.entity';
import { type ActiveSession, SessionCache } from './session-cache';
import { SessionsRepository } from './sessions.repository';

export interface IssuedSession {
  sessionId: string;
  userId: string;
  refreshToken: string;
  expiresAt: Date;
}

export type RevokeReason =
  | 'logout'
  | 'logout_all'
  | 'revoked'
  | 'refresh_reuse'
  | 'password_changed'
  | 'user_disabled'
  | 'user_deleted'
  | 'expired';

/**
 * Sessions are refresh-token families: created at login, rotated on every refresh, revoked on logout and on
 * security events. Every revocation reaches the Redis cache before it is announced, so access tokens of a
 * revoked session fail on the very next request.
 */
@Injectable()
export class SessionsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: SessionsRepository,
    private readonly cache: SessionCache,
    private readonly events: DomainEvents,
    private readonly audit: AuditService,
  ) {}

  private idleCutoff(): Date {
    return new Date(Date.now() - this.config.sessions.idleTtlSeconds * 1000);
  }

  async create(userId: string, client: ClientInfo): Promise<IssuedSession> {
    const refreshToken = newRefreshToken();
    const session = await this.repository.insert({
      id: randomUUID(),
      userId,
      refreshHash: hashRefreshToken(refreshToken),
      expiresAt: new Date(Date.now() + this.config.sessions.absoluteTtlSeconds * 1000),
      ip: client.ip?.slice(0, 64) ?? null,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
    });
    return { sessionId: session.id, userId, refreshToken, expiresAt: session.expiresAt };
  }

  /**
   * Exchanges a refresh token for a new one. A token that was already spent revokes its whole session (it was
   * stolen, or replayed) and is audited; an unknown, expired or idle one is simply refused.
   */
  async rotate(refreshToken: string, client: ClientInfo): Promise<IssuedSession> {
    const oldHash = hashRefreshToken(refreshToken);
    const next = newRefreshToken();
    const rotated = await this.repository.rotate(oldHash, hashRefreshToken(next), this.idleCutoff(), {
      ip: client.ip?.slice(0, 64) ?? null,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
    });
    if (rotated) {
      return {
        sessionId: rotated.id,
        userId: rotated.userId,
        refreshToken: next,
        expiresAt: rotated.expiresAt,
      };
    }

    const spent = await this.repository.findBySpentHash(oldHash);
    if (spent) {
      await this.revoke(spent.userId, 'refresh_reuse', { sessionId: spent.sessionId });
      await this.audit.record({
        type: AuditEventType.refreshReuseDetected,
        actorId: null,
        targetId: spent.userId,
        client,
        details: { sessionId: spent.sessionId },
      });
      throw AppException.unauthorized(
        ErrorCode.REFRESH_TOKEN_REUSED,
        'Refresh token was already used; the session has been revoked',
      );
    }
    // Still current but past its absolute or idle lifetime: close it so it stops being listed.
    const stale = await this.repository.findByRefreshHash(oldHash);
    if (stale && !stale.revokedAt) await this.revoke(stale.userId, 'expired', { sessionId: stale.id });
    throw AppException.unauthorized(ErrorCode.REFRESH_TOKEN_INVALID, 'Refresh token is invalid or expired');
  }

  /** Revokes sessions of `userId` (see SessionsRepository.revoke for the filters) and announces them. */
  async revoke(
    userId: string,
    reason: RevokeReason,
    filter: { sessionId?: string; exceptSessionId?: string; refreshHash?: string } = {},
  ): Promise<string[]> {
    const sessionIds = await this.repository.revoke(userId, reason, filter);
    if (sessionIds.length > 0) {
      await this.cache.markRevoked(sessionIds);
      this.events.publish('session.revoked', { userId, sessionIds });
    }
    return sessionIds;
  }

  async revokeByRefreshToken(userId: string, refreshToken: string): Promise<string[]> {
    return this.revoke(userId, 'logout', { refreshHash: hashRefreshToken(refreshToken) });
  }

  /** The session behind an access token if it is still usable: Redis first, PostgreSQL on a miss. */
  async findActive(sessionId: string): Promise<ActiveSession | null> {
    const cached = await this.cache.get(sessionId);
    if (cached === 'revoked') return null;
    if (cached && cached.expiresAt > Date.now()) return cached;
    const state = await this.repository.findActiveState(sessionId);
    if (!state) {
      await this.cache.markRevoked([sessionId]);
      return null;
    }
    const session: ActiveSession = {
      userId: state.userId,
      role: state.role,
      expiresAt: state.expiresAt.getTime(),
    };
    await this.cache.fill(sessionId, session);
    return session;
  }

  /** Makes the next request of each of the user's sessions re-read its state (after a role change). */
  async refreshCachedState(userId: string): Promise<void> {
    await this.cache.forget(await this.repository.findActiveIds(userId));
  }

  async listActive(
    userId: string,
    currentSessionId: string,
    page: { limit: number; cursor?: string },
  ): Promise<Page<SessionView>> {
    const before = decodeOptionalCursor(page.cursor, isTimeIdKey);
    const rows = await this.repository.findActivePage(userId, this.idleCutoff(), page.limit, before);
    return toPage(
      rows,
      page.limit,
      (row) => [row.createdAt.toISOString(), row.id],
      (row) => toSessionView(row, currentSessionId),
    );
  }

  async listAllForExport(userId: string, currentSessionId: string): Promise<SessionView[]> {
    return (await this.repository.findAllForUser(userId)).map((row) => ({
      ...toSessionView(row, currentSessionId),
      revokedAt: row.revokedAt?.toISOString() ?? null,
    }));
  }
}

export interface SessionView {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
  revokedAt?: string | null;
}

function toSessionView(session: Session, currentSessionId: string): SessionView {
  return {
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    lastUsedAt: session.lastUsedAt.toISOString(),
    userAgent: session.userAgent,
    ip: session.ip,
    current: session.id === currentSessionId,
  };
}
