import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import { AppException } from '../../common/errors/app-exception';
import { ErrorCode } from '../../common/errors/error-codes';
import { DomainEvents } from '../../common/events/domain-events';
import { decodeOptionalCursor, Page, toPage } from '../../common/http/pagination';
import { AuditService } from '../audit/audit.service';
import { AuditEventType, type ClientInfo } from '../audit/audit.types';
import type { AuthUser } from '../auth/auth-user';
import { LoginFailures } from '../auth/login-failures';
import { PasswordHasher } from '../auth/password.hasher';
import { SessionsService } from '../auth/sessions.service';
import {
  ACCOUNTS_QUEUE,
  FINISH_DELETION_ATTEMPTS,
  FINISH_DELETION_BACKOFF_MS,
  FINISH_DELETION_DELAY_MS,
  FINISH_DELETION_JOB,
} from './account-deletion.constants';
import { PresenceStore } from './presence.store';
import type { User } from './user.entity';
import type {
  ChangePasswordDto,
  MeDto,
  PublicUserDto,
  SearchUsersQueryDto,
  UpdateMeDto,
  UserExportDto,
} from './users.dto';
import './users.events';
import { toMeDto, toPublicUserDto } from './users.mapper';
import { uniqueViolation, UsersRepository } from './users.repository';

export const SETTINGS_MAX_BYTES = 16 * 1024;

/** The name other features see: never an email or a credential. */
export interface UserSummary {
  id: string;
  username: string;
  displayName: string | null;
}

export type ExportSection = (userId: string) => Promise<unknown>;
/** What a feature does with a deleted account's data; must be idempotent (it may run more than once). */
export type DeletionStep = (userId: string) => Promise<void>;
/** Decides whether `userId` may use `mediaId` as avatar; registered by the media feature. */
export type AvatarValidator = (userId: string, mediaId: string) => Promise<boolean>;

function summary(user: User): UserSummary {
  return { id: user.id, username: user.username, displayName: user.displayName };
}

@Injectable()
export class UsersService {
  private readonly logger = new Logger('Users');
  private readonly exportSections = new Map<string, ExportSection>();
  private readonly deletionSteps = new Map<string, DeletionStep>();
  private avatarValidator?: AvatarValidator;

  constructor(
    private readonly users: UsersRepository,
    private readonly presence: PresenceStore,
    private readonly sessions: SessionsService,
    private readonly passwords: PasswordHasher,
    private readonly failures: LoginFailures,
    private readonly events: DomainEvents,
    private readonly audit: AuditService,
    @InjectQueue(ACCOUNTS_QUEUE) private readonly accounts: Queue,
  ) {}

  // ---- for other features ----

  /** Existing (not deleted) users among `ids`. */
  async findActiveByIds(ids: string[]): Promise<UserSummary[]> {
    return (await this.users.findExistingByIds([...new Set(ids)])).map(summary);
  }

  /** Existing users whose username matches one of `usernames` case-insensitively (for @mentions). */
  async findByUsernamesCaseInsensitive(usernames: string[]): Promise<UserSummary[]> {
    return (await this.users.findExistingByUsernames([...new Set(usernames)])).map(summary);
  }

  isBlockedEitherWay(a: string, b: string): Promise<boolean> {
    return this.users.isBlockedEitherWay(a, b);
  }

  hasBlocked(blockerId: string, blockedId: string): Promise<boolean> {
    return this.users.hasBlocked(blockerId, blockedId);
  }

  /** Of `candidateIds`, those who have blocked `blockedId`. */
  blockersAmong(blockedId: string, candidateIds: string[]): Promise<string[]> {
    return this.users.blockersAmong(blockedId, candidateIds);
  }

  touchLastSeen(userId: string, at: Date): Promise<void> {
    return this.users.touchLastSeen(userId, at);
  }

  /** Adds `name` to GET /users/me/export, so features can export their data without users depending on them. */
  registerExportSection(name: string, fn: ExportSection): void {
    if (['exportedAt', 'profile', 'sessions', 'blocks', 'auditEvents'].includes(name)) {
      throw new Error(`Export section name "${name}" is reserved`);
    }
    this.exportSections.set(name, fn);
  }

  /**
   * Adds what a feature does when an account is deleted (tombstone its messages, leave its groups), so users does
   * not depend on the features. Steps run, in the order registered, before DELETE /users/me answers.
   */
  registerDeletionStep(name: string, step: DeletionStep): void {
    this.deletionSteps.set(name, step);
  }

  /**
   * Runs every deletion step for the account, each even if another failed; throws if any failed (the queued job
   * then retries them all: they are idempotent).
   */
  async finishDeletion(userId: string): Promise<void> {
    const failed: string[] = [];
    for (const [name, step] of this.deletionSteps) {
      try {
        await step(userId);
      } catch (error) {
        failed.push(name);
        this.logger.error({ err: error, userId, step: name }, 'Account deletion step failed');
      }
    }
    if (failed.length > 0) throw new Error(`Account deletion steps failed: ${failed.join(', ')}`);
  }

  /** Until one is registered, only a null avatar is accepted. */
  registerAvatarValidator(fn: AvatarValidator): void {
    this.avatarValidator = fn;
  }

  // ---- registration (called by auth) ----

  /** Creates an account; 409 USERNAME_TAKEN / EMAIL_TAKEN (case-insensitive), checked before hashing. */
  async create(input: {
    username: string;
    email: string;
    password: string;
    displayName?: string;
  }): Promise<User> {
    if (await this.users.usernameExists(input.username)) {
      throw AppException.conflict(ErrorCode.USERNAME_TAKEN, 'Username is already taken');
    }
    if (await this.users.emailExists(input.email)) {
      throw AppException.conflict(ErrorCode.EMAIL_TAKEN, 'Email is already registered');
    }
    const passwordHash = await this.passwords.hash(input.password);
    try {
      return await this.users.insert({
        id: randomUUID(),
        username: input.username,
        email: input.email,
        displayName: input.displayName || null,
        passwordHash,
      });
    } catch (error) {
      // Two registrations racing for the same name: the unique index decides.
      const taken = uniqueViolation(error);
      if (taken === 'username')
        throw AppException.conflict(ErrorCode.USERNAME_TAKEN, 'Username is already taken');
      if (taken === 'email')
        throw AppException.conflict(ErrorCode.EMAIL_TAKEN, 'Email is already registered');
      throw error;
    }
  }

  /** Login lookup: usernames cannot contain `@`, so a login with one is an email. Deleted accounts never match. */
  async findForLogin(login: string): Promise<User | null> {
    const value = login.trim();
    return value.includes('@')
      ? this.users.findExistingByEmail(value.toLowerCase())
      : this.users.findExistingByUsername(value);
  }

  /** An account that may hold sessions: existing and not disabled. */
  async findActiveAccount(id: string): Promise<User | null> {
    const user = await this.users.findExistingById(id);
    return user && !user.disabled ? user : null;
  }

  // ---- the caller's own account ----

  private async requireSelf(userId: string): Promise<User> {
    const user = await this.users.findExistingById(userId);
    if (!user) throw AppException.unauthorized();
    return user;
  }

  async getMe(userId: string): Promise<MeDto> {
    return toMeDto(await this.requireSelf(userId));
  }

  async updateMe(userId: string, dto: UpdateMeDto): Promise<MeDto> {
    await this.requireSelf(userId);
    const changes: Parameters<UsersRepository['updateProfile']>[1] = {};
    if (dto.displayName !== undefined) changes.displayName = dto.displayName;
    if (dto.avatarMediaId !== undefined) {
      if (dto.avatarMediaId !== null) {
        const allowed = this.avatarValidator ? await this.avatarValidator(userId, dto.avatarMediaId) : false;
        if (!allowed) {
          throw AppException.validation([
            { field: 'avatarMediaId', message: 'avatarMediaId must be an image you uploaded' },
          ]);
        }
      }
      changes.avatarMediaId = dto.avatarMediaId;
    }
    if (dto.settings !== undefined) {
      if (Buffer.byteLength(JSON.stringify(dto.settings), 'utf8') > SETTINGS_MAX_BYTES) {
        throw AppException.validation([
          { field: 'settings', message: `settings must be at most ${SETTINGS_MAX_BYTES} bytes as JSON` },
        ]);
      }
      changes.settings = dto.settings;
    }
    if (Object.keys(changes).length > 0) {
      await this.users.updateProfile(userId, changes);
      if (changes.displayName !== undefined || changes.avatarMediaId !== undefined) {
        this.events.publish('user.updated', { userId });
      }
    }
    return toMeDto(await this.requireSelf(userId));
  }

  /**
   * Confirms the caller's password for a sensitive change. Wrong answers count towards the same lock as failed
   * logins, so a stolen access token cannot be used to guess the password.
   */
  private async confirmPassword(user: User, password: string): Promise<void> {
    const subject = `user:${user.id}`;
    await this.failures.assertNotLocked(subject);
    if (!(await this.passwords.verify(user.passwordHash, password))) {
      await this.failures.recordFailure(subject);
      throw AppException.forbidden(ErrorCode.INVALID_CREDENTIALS, 'Password is incorrect');
    }
    await this.failures.reset(subject);
  }

  /** Changes the password and signs out every other session. */
  async changePassword(caller: AuthUser, dto: ChangePasswordDto, client: ClientInfo): Promise<void> {
    const user = await this.requireSelf(caller.id);
    await this.confirmPassword(user, dto.currentPassword);
    await this.users.updateProfile(user.id, { passwordHash: await this.passwords.hash(dto.newPassword) });
    const revoked = await this.sessions.revoke(user.id, 'password_changed', {
      exceptSessionId: caller.sessionId,
    });
    await this.audit.record({
      type: AuditEventType.passwordChanged,
      actorId: user.id,
      targetId: user.id,
      client,
      details: { revokedSessions: revoked.length },
    });
  }

  /**
   * Deletes the account: anonymised, sessions revoked, and every deletion step (its messages tombstoned, its
   * groups left) done before it answers. A job queued first finishes the steps if this is interrupted after the
   * account is gone (the process dies, a dependency is down): the caller can no longer retry by then.
   */
  async deleteMe(caller: AuthUser, password: string, client: ClientInfo): Promise<void> {
    const user = await this.requireSelf(caller.id);
    await this.confirmPassword(user, password);
    await this.accounts.add(
      FINISH_DELETION_JOB,
      { userId: user.id },
      {
        jobId: `${FINISH_DELETION_JOB}:${user.id}`,
        delay: FINISH_DELETION_DELAY_MS,
        attempts: FINISH_DELETION_ATTEMPTS,
        backoff: { type: 'exponential', delay: FINISH_DELETION_BACKOFF_MS },
      },
    );
    await this.users.anonymise(user.id);
    const revoked = await this.sessions.revoke(user.id, 'user_deleted');
    await this.audit.record({
      type: AuditEventType.accountDeleted,
      actorId: user.id,
      targetId: user.id,
      client,
      details: { revokedSessions: revoked.length },
    });
    // A step that fails here is logged; the queued job retries it.
    await this.finishDeletion(user.id).catch(() => undefined);
  }

  /** `currentSessionId`: the session asking, marked `current` among the sessions. */
  async exportMe(userId: string, currentSessionId: string): Promise<UserExportDto> {
    const user = await this.requireSelf(userId);
    const [sessions, blocks, auditEvents] = await Promise.all([
      this.sessions.listAllForExport(userId, currentSessionId),
      this.users.findBlocksBy(userId),
      this.audit.listForUser(userId),
    ]);
    const result: UserExportDto = {
      exportedAt: new Date().toISOString(),
      profile: toMeDto(user),
      sessions: sessions.map((session) => ({ ...session })),
      blocks: blocks.map((block) => ({ userId: block.blockedId, createdAt: block.createdAt.toISOString() })),
      auditEvents: auditEvents.map((event) => ({ ...event })),
    };
    for (const [name, section] of this.exportSections) {
      try {
        result[name] = await section(userId);
      } catch (error) {
        // An incomplete export must not look complete.
        this.logger.error({ err: error, section: name }, 'Export section failed');
        throw AppException.unavailable(`Export is temporarily unavailable (${name})`);
      }
    }
    return result;
  }

  // ---- other users ----

  async search(query: SearchUsersQueryDto): Promise<Page<PublicUserDto>> {
    const after = decodeOptionalCursor(query.cursor, (value): value is string => typeof value === 'string');
    const prefix = query.q?.trim();
    const rows = await this.users.search({
      prefix: prefix || undefined,
      after,
      limit: query.limit,
      includeInactive: false,
    });
    const shown = rows.slice(0, query.limit);
    const online = await this.presence.onlineUserIds(shown.map((user) => user.id));
    return toPage(
      rows,
      query.limit,
      (user) => user.username.toLowerCase(),
      (user) => toPublicUserDto(user, online.has(user.id)),
    );
  }

  async getPublicProfile(id: string): Promise<PublicUserDto> {
    const user = await this.users.findExistingById(id);
    if (!user) throw AppException.notFound(ErrorCode.USER_NOT_FOUND, 'User not found');
    return toPublicUserDto(user, await this.presence.isOnline(id));
  }

  async block(callerId: string, targetId: string): Promise<void> {
    if (callerId === targetId)
      throw AppException.badRequest(ErrorCode.CANNOT_BLOCK_SELF, 'You cannot block yourself');
    if (!(await this.users.findExistingById(targetId))) {
      throw AppException.notFound(ErrorCode.USER_NOT_FOUND, 'User not found');
    }
    await this.users.insertBlock(callerId, targetId);
  }

  async unblock(callerId: string, targetId: string): Promise<void> {
    if (callerId === targetId)
      throw AppException.badRequest(ErrorCode.CANNOT_BLOCK_SELF, 'You cannot block yourself');
    if (!(await this.users.findExistingById(targetId))) {
      throw AppException.notFound(ErrorCode.USER_NOT_FOUND, 'User not found');
    }
    await this.users.deleteBlock(callerId, targetId);
  }
}
