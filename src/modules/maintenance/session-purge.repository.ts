import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PURGE_CHUNK_SIZE } from './maintenance.constants';

export interface SessionLifetimes {
  /** How long an ended session is kept (for the user's session list, export and audits) before deletion. */
  retentionSeconds: number;
  /** A session unused this long has ended (idle timeout) even though nobody revoked it. */
  idleTtlSeconds: number;
}

/**
 * Deletes sessions that ended — revoked, past their absolute expiry, or idle past the idle timeout — more than
 * the retention ago. Their spent refresh tokens go with them (ON DELETE CASCADE): a replay of such a token then
 * answers 401 REFRESH_TOKEN_INVALID instead of being detected as reuse, which changes nothing because the
 * session it would revoke is long over.
 */
@Injectable()
export class SessionPurgeRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Deletes in chunks until nothing is left to delete; returns how many sessions went. */
  async purgeEnded(lifetimes: SessionLifetimes): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted: unknown[] = await this.dataSource.query(
        `DELETE FROM sessions
          WHERE id IN (
            SELECT id FROM sessions
             WHERE revoked_at < now() - make_interval(secs => $1)
                OR expires_at < now() - make_interval(secs => $1)
                OR last_used_at < now() - make_interval(secs => $1 + $2)
             LIMIT $3)
          RETURNING id`,
        [lifetimes.retentionSeconds, lifetimes.idleTtlSeconds, PURGE_CHUNK_SIZE],
      );
      total += deleted.length;
      if (deleted.length < PURGE_CHUNK_SIZE) return total;
    }
  }
}
