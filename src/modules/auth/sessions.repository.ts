import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import { DataSource, Repository } from 'typeorm';
import { TurnBatcher } from '../../common/turn-batcher';
import { SqlRunner, type Statement } from '../rooms/sql';
import type { UserRole } from '../users/user.entity';
import { Session } from './session.entity';
import { SpentRefreshToken } from './spent-refresh-token.entity';

export interface NewSession {
  id: string;
  userId: string;
  refreshHash: string;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

export interface RotatedSession {
  id: string;
  userId: string;
  expiresAt: Date;
}

export interface SessionState {
  userId: string;
  role: UserRole;
  expiresAt: Date;
}

/**
 * The state of each of the sessions $1 that is active and whose account is usable (not disabled, not deleted).
 * An id without a row is not: revoked, expired, unknown, or its account cannot sign in.
 */
const ACTIVE_STATES: Statement = {
  name: 'parley_active_session_states',
  text: `
    SELECT s.id, s.user_id AS "userId", u.role, s.expires_at AS "expiresAt"
      FROM sessions s
      JOIN users u ON u.id = s.user_id
     WHERE s.id = ANY($1::uuid[])
       AND s.revoked_at IS NULL
       AND s.expires_at > now()
       AND u.disabled = false
       AND u.deleted_at IS NULL`,
};

/** Persistence of sessions and spent refresh tokens. Every "active" check here means: not revoked, not past its absolute expiry. */
@Injectable()
export class SessionsRepository {
  private readonly sql: SqlRunner;
  /**
   * Session checks that miss the Redis cache (a cold cache after a Redis restart, a reconnect storm after the
   * entries expired) read PostgreSQL together instead of one query per socket or request.
   */
  private readonly stateReads = new TurnBatcher<string, SessionState | null>((sessionIds) =>
    this.readActiveStates(sessionIds),
  );

  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
  ) {
    this.sql = new SqlRunner(dataSource);
  }

  async insert(session: NewSession): Promise<Session> {
    const now = new Date();
    const entity = this.sessions.create({ ...session, lastUsedAt: now, revokedAt: null, revokeReason: null });
    return this.sessions.save(entity);
  }

  /**
   * Swaps the refresh hash in one conditional UPDATE: of several concurrent refreshes with the same token, the
   * row lock lets exactly one match `refresh_hash = old`; the rest see the new hash and match nothing. The old
   * hash is remembered in the same transaction, so a later replay is recognised as reuse.
   */
  async rotate(
    oldHash: string,
    newHash: string,
    idleCutoff: Date,
    client: { ip: string | null; userAgent: string | null },
  ): Promise<RotatedSession | null> {
    return this.dataSource.transaction(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .update(Session)
        .set({ refreshHash: newHash, lastUsedAt: () => 'now()', ip: client.ip, userAgent: client.userAgent })
        .where('refresh_hash = :oldHash', { oldHash })
        .andWhere('revoked_at IS NULL')
        .andWhere('expires_at > now()')
        .andWhere('last_used_at > :idleCutoff', { idleCutoff })
        .returning('id, user_id, expires_at')
        .execute();
      const rows = result.raw as Array<{ id: string; user_id: string; expires_at: Date }>;
      if (rows.length === 0) return null;
      const row = rows[0];
      await manager.insert(SpentRefreshToken, { tokenHash: oldHash, sessionId: row.id });
      return { id: row.id, userId: row.user_id, expiresAt: new Date(row.expires_at) };
    });
  }

  /** The session a spent refresh token belonged to, if any. */
  async findBySpentHash(hash: string): Promise<{ sessionId: string; userId: string } | null> {
    const row = await this.dataSource
      .createQueryBuilder()
      .select('s.id', 'sessionId')
      .addSelect('s.user_id', 'userId')
      .from(SpentRefreshToken, 't')
      .innerJoin(Session, 's', 's.id = t.session_id')
      .where('t.token_hash = :hash', { hash })
      .getRawOne<{ sessionId: string; userId: string }>();
    return row ?? null;
  }

  async findByRefreshHash(hash: string): Promise<Session | null> {
    return this.sessions.findOne({ where: { refreshHash: hash } });
  }

  /** State of an active session of a usable (not disabled, not deleted) account, or null. */
  async findActiveState(sessionId: string): Promise<SessionState | null> {
    // Not a session id at all: answered here, so it cannot fail the batch it would have joined.
    if (!isUUID(sessionId)) return null;
    return this.stateReads.load(sessionId);
  }

  private async readActiveStates(sessionIds: string[]): Promise<Array<SessionState | null>> {
    const rows = await this.sql.rows<SessionState & { id: string }>(ACTIVE_STATES, [sessionIds]);
    const byId = new Map(rows.map(({ id, ...state }) => [id, state]));
    return sessionIds.map((id) => byId.get(id.toLowerCase()) ?? null);
  }

  /**
   * Revokes matching active sessions and returns their ids. `sessionId` narrows to one session,
   * `exceptSessionId` keeps one (the caller's own on a password change), `refreshHash` finds one by token.
   */
  async revoke(
    userId: string,
    reason: string,
    filter: { sessionId?: string; exceptSessionId?: string; refreshHash?: string } = {},
  ): Promise<string[]> {
    const query = this.sessions
      .createQueryBuilder()
      .update(Session)
      .set({ revokedAt: () => 'now()', revokeReason: reason })
      .where('user_id = :userId', { userId })
      .andWhere('revoked_at IS NULL');
    if (filter.sessionId) query.andWhere('id = :sessionId', { sessionId: filter.sessionId });
    if (filter.exceptSessionId)
      query.andWhere('id <> :exceptSessionId', { exceptSessionId: filter.exceptSessionId });
    if (filter.refreshHash)
      query.andWhere('refresh_hash = :refreshHash', { refreshHash: filter.refreshHash });
    const result = await query.returning('id').execute();
    return (result.raw as Array<{ id: string }>).map((row) => row.id);
  }

  /** Active sessions of a user, newest first, `limit + 1` rows for paging. */
  async findActivePage(
    userId: string,
    idleCutoff: Date,
    limit: number,
    before?: [string, string],
  ): Promise<Session[]> {
    const query = this.sessions
      .createQueryBuilder('s')
      .where('s.user_id = :userId', { userId })
      .andWhere('s.revoked_at IS NULL')
      .andWhere('s.expires_at > now()')
      .andWhere('s.last_used_at > :idleCutoff', { idleCutoff });
    if (before) {
      query.andWhere('(s.created_at, s.id) < (:beforeAt, :beforeId)', {
        beforeAt: before[0],
        beforeId: before[1],
      });
    }
    return query
      .orderBy('s.created_at', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .limit(limit + 1)
      .getMany();
  }

  async findActiveIds(userId: string): Promise<string[]> {
    const rows = await this.sessions
      .createQueryBuilder('s')
      .select('s.id', 'id')
      .where('s.user_id = :userId', { userId })
      .andWhere('s.revoked_at IS NULL')
      .getRawMany<{ id: string }>();
    return rows.map((row) => row.id);
  }

  async findAllForUser(userId: string): Promise<Session[]> {
    return this.sessions.find({ where: { userId }, order: { createdAt: 'DESC' }, take: 1000 });
  }
}
