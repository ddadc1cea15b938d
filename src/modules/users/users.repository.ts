import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, IsNull, QueryFailedError, Repository, type QueryDeepPartialEntity } from 'typeorm';
import { TurnBatcher } from '../../common/turn-batcher';
import { SqlRunner, type Statement } from '../rooms/sql';
import { UserBlock } from './user-block.entity';
import { User, type UserRole } from './user.entity';

export interface NewUser {
  id: string;
  username: string;
  email: string;
  displayName: string | null;
  passwordHash: string;
}

export interface UserSearch {
  /** Lower-cased prefix of username or display name; undefined lists everyone. */
  prefix?: string;
  /** lower(username) of the last user already shown. */
  after?: string;
  limit: number;
  /** Admin listings also show disabled and deleted accounts. */
  includeInactive: boolean;
}

/** Which unique index a failed insert/update hit, if any. */
export type UniqueViolation = 'username' | 'email' | undefined;

export function uniqueViolation(error: unknown): UniqueViolation {
  if (!(error instanceof QueryFailedError)) return undefined;
  const driverError = error.driverError as { code?: string; constraint?: string };
  if (driverError.code !== '23505') return undefined;
  if (driverError.constraint === 'UQ_users_username_lower') return 'username';
  if (driverError.constraint === 'UQ_users_email') return 'email';
  return undefined;
}

/** `%`, `_` and `\` are LIKE wildcards/escapes: a user searching for "a_b" means those characters literally. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/**
 * lastSeenAt of the users $1 := $2 (the latest per user), unless already later. The rows are locked in id order
 * first, so two of these batches (from two instances) touching the same users queue instead of deadlocking.
 */
const TOUCH_LAST_SEEN: Statement = {
  name: 'parley_touch_last_seen',
  text: `
    WITH seen AS (
      SELECT id, max(at) AS at FROM unnest($1::uuid[], $2::timestamptz[]) AS w(id, at) GROUP BY id
    ),
    locked AS (
      SELECT u.id FROM users u JOIN seen ON seen.id = u.id ORDER BY u.id FOR UPDATE OF u
    )
    UPDATE users u SET last_seen_at = seen.at
      FROM seen JOIN locked ON locked.id = seen.id
     WHERE u.id = seen.id AND (u.last_seen_at IS NULL OR u.last_seen_at < seen.at)`,
};

@Injectable()
export class UsersRepository {
  private readonly sql: SqlRunner;
  private readonly lastSeenWrites = new TurnBatcher<{ id: string; at: Date }, void>((writes) =>
    this.writeLastSeen(writes),
  );

  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(UserBlock) private readonly blocks: Repository<UserBlock>,
  ) {
    this.sql = new SqlRunner(dataSource);
  }

  /** Throws the driver's unique violation on a taken username/email; see `uniqueViolation`. */
  async insert(user: NewUser): Promise<User> {
    await this.users.insert({ ...user, role: 'user', disabled: false, settings: {} });
    return this.users.findOneByOrFail({ id: user.id });
  }

  async findById(id: string): Promise<User | null> {
    return this.users.findOne({ where: { id } });
  }

  /** Not deleted (disabled accounts included). */
  async findExistingById(id: string): Promise<User | null> {
    return this.users.findOne({ where: { id, deletedAt: IsNull() } });
  }

  async findExistingByUsername(username: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('u')
      .where('lower(u.username) = lower(:username)', { username })
      .andWhere('u.deleted_at IS NULL')
      .getOne();
  }

  async findExistingByEmail(email: string): Promise<User | null> {
    return this.users.findOne({ where: { email, deletedAt: IsNull() } });
  }

  async usernameExists(username: string): Promise<boolean> {
    return this.users
      .createQueryBuilder('u')
      .where('lower(u.username) = lower(:username)', { username })
      .getExists();
  }

  async emailExists(email: string): Promise<boolean> {
    return this.users.exists({ where: { email } });
  }

  async findExistingByIds(ids: string[]): Promise<User[]> {
    if (ids.length === 0) return [];
    return this.users.find({ where: { id: In(ids), deletedAt: IsNull() } });
  }

  async findExistingByUsernames(usernames: string[]): Promise<User[]> {
    if (usernames.length === 0) return [];
    return this.users
      .createQueryBuilder('u')
      .where('lower(u.username) IN (:...names)', { names: usernames.map((name) => name.toLowerCase()) })
      .andWhere('u.deleted_at IS NULL')
      .getMany();
  }

  async updateProfile(
    id: string,
    changes: Partial<Pick<User, 'displayName' | 'avatarMediaId' | 'settings' | 'passwordHash'>>,
  ): Promise<void> {
    // jsonb `settings` is typed loosely by TypeORM; the shape is checked by the DTO.
    await this.users.update({ id }, changes as QueryDeepPartialEntity<User>);
  }

  async updateAdminFields(id: string, changes: { role?: UserRole; disabled?: boolean }): Promise<void> {
    await this.users.update({ id }, changes);
  }

  /**
   * Records when the user was last online (never moves it back; `updated_at` is about the profile and stays).
   * Writes made together (in one turn of the event loop, or while the previous batch ran) share one statement and
   * one commit: after an outage thousands of users go offline within a second.
   */
  touchLastSeen(id: string, at: Date): Promise<void> {
    return this.lastSeenWrites.load({ id, at });
  }

  private async writeLastSeen(writes: Array<{ id: string; at: Date }>): Promise<void[]> {
    await this.sql.rows(TOUCH_LAST_SEEN, [writes.map((write) => write.id), writes.map((write) => write.at)]);
    return writes.map(() => undefined);
  }

  /**
   * Deletes an account by anonymising it in place (messages keep a valid sender): the username is replaced by
   * `deleted_<id>` (freeing the old name), email, display name, avatar, settings and password are cleared, and
   * its blocks go. One transaction, so a half-deleted account cannot exist.
   */
  async anonymise(id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.update(
        User,
        { id },
        {
          username: `deleted_${id}`,
          email: null,
          displayName: null,
          avatarMediaId: null,
          settings: {},
          passwordHash: '!',
          deletedAt: new Date(),
        },
      );
      await manager
        .createQueryBuilder()
        .delete()
        .from(UserBlock)
        .where('blocker_id = :id OR blocked_id = :id', { id })
        .execute();
    });
  }

  /** Ordered by lower(username); `limit + 1` rows for paging. Prefix search uses the text_pattern_ops indexes. */
  async search(search: UserSearch): Promise<User[]> {
    const query = this.users.createQueryBuilder('u');
    if (!search.includeInactive) {
      query.where('u.deleted_at IS NULL').andWhere('u.disabled = false');
    }
    if (search.prefix) {
      const pattern = `${escapeLike(search.prefix.toLowerCase())}%`;
      query.andWhere(
        `(lower(u.username) LIKE :pattern ESCAPE '\\' OR lower(u.display_name) LIKE :pattern ESCAPE '\\')`,
        { pattern },
      );
    }
    // Byte order (usernames are ASCII), so the cursor comparison and the ORDER BY agree under any database locale.
    if (search.after !== undefined) {
      query.andWhere(`lower(u.username) COLLATE "C" > :after`, { after: search.after });
    }
    return query
      .orderBy(`lower(u.username) COLLATE "C"`, 'ASC')
      .limit(search.limit + 1)
      .getMany();
  }

  async insertBlock(blockerId: string, blockedId: string): Promise<void> {
    await this.blocks
      .createQueryBuilder()
      .insert()
      .into(UserBlock)
      .values({ blockerId, blockedId })
      .orIgnore()
      .execute();
  }

  async deleteBlock(blockerId: string, blockedId: string): Promise<void> {
    await this.blocks.delete({ blockerId, blockedId });
  }

  async hasBlocked(blockerId: string, blockedId: string): Promise<boolean> {
    return this.blocks.exists({ where: { blockerId, blockedId } });
  }

  async isBlockedEitherWay(a: string, b: string): Promise<boolean> {
    return this.blocks.exists({
      where: [
        { blockerId: a, blockedId: b },
        { blockerId: b, blockedId: a },
      ],
    });
  }

  /** Of `candidateIds`, those who have blocked `blockedId`. */
  async blockersAmong(blockedId: string, candidateIds: string[]): Promise<string[]> {
    if (candidateIds.length === 0) return [];
    const rows = await this.blocks.find({
      select: { blockerId: true },
      where: { blockedId, blockerId: In(candidateIds) },
    });
    return rows.map((row) => row.blockerId);
  }

  async findBlocksBy(blockerId: string): Promise<UserBlock[]> {
    return this.blocks.find({ where: { blockerId }, order: { createdAt: 'DESC' } });
  }
}
