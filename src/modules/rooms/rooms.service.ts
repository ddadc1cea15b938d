import { HttpStatus, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { AppException } from '../../common/errors/app-exception';
import { ErrorCode } from '../../common/errors/error-codes';
import { DomainEvents } from '../../common/events/domain-events';
import { decodeOptionalCursor, isTimeIdKey, Page, PageQueryDto, toPage } from '../../common/http/pagination';
import { MessageDto, toMessageDto } from '../messages/messages.dto';
import { MessagesRepository } from '../messages/messages.repository';
import '../users/users.events';
import { UsersService } from '../users/users.service';
import type { RoomRole } from './room-member.entity';
import { canChangeRole, canRemoveMember, hasRole } from './room-roles';
import {
  AddMembersDto,
  CreateRoomDto,
  MAX_CHANGES_LIMIT,
  MemberDto,
  RoomDto,
  RoomListItemDto,
  UpdateMemberDto,
  UpdateRoomDto,
} from './rooms.dto';
import './rooms.events';
import type { RoomEventDto } from './rooms.events';
import { MemberRecord, Membership, RoomsRepository, RoomView } from './rooms.repository';

const MAX_SEQ = 2_147_483_647;

function toRoomDto(view: RoomView): RoomDto {
  return {
    id: view.id,
    type: view.type,
    name: view.name,
    description: view.description,
    createdAt: view.createdAt.toISOString(),
    lastSeq: view.lastSeq,
    rev: view.rev,
    memberCount: view.memberCount,
    myRole: view.myRole,
    peerId: view.peerId,
  };
}

function toRoomEventDto(view: RoomView): RoomEventDto {
  const { myRole: _role, peerId: _peer, ...room } = toRoomDto(view);
  return room;
}

function toMemberDto(member: MemberRecord): MemberDto {
  return {
    userId: member.userId,
    username: member.username,
    displayName: member.displayName,
    role: member.role,
    joinedAt: member.joinedAt.toISOString(),
    lastDeliveredSeq: member.lastDeliveredSeq,
    lastReadSeq: member.lastReadSeq,
  };
}

const roomNotFound = (): AppException => AppException.notFound(ErrorCode.ROOM_NOT_FOUND, 'Room not found');
const memberNotFound = (): AppException =>
  AppException.notFound(ErrorCode.MEMBER_NOT_FOUND, 'That user is not a member of this room');
const lastOwner = (): AppException =>
  AppException.conflict(
    ErrorCode.LAST_OWNER,
    'The last owner cannot leave or step down; make someone else owner first',
  );

function assertPosition(seq: number): void {
  if (!Number.isSafeInteger(seq) || seq < 0 || seq > MAX_SEQ) {
    throw AppException.validation([{ field: 'seq', message: `seq must be an integer from 0 to ${MAX_SEQ}` }]);
  }
}

/**
 * Rooms, membership and read/delivered positions. Anything about a room the caller is not a member of answers
 * 404 ROOM_NOT_FOUND (existence does not leak); a member lacking the role gets 403. REST and Socket.IO share
 * these methods.
 */
@Injectable()
export class RoomsService implements OnModuleInit {
  private readonly logger = new Logger('Rooms');

  constructor(
    private readonly rooms: RoomsRepository,
    private readonly messages: MessagesRepository,
    private readonly users: UsersService,
    private readonly events: DomainEvents,
  ) {}

  onModuleInit(): void {
    this.users.registerExportSection('rooms', async (userId) =>
      (await this.rooms.exportForUser(userId)).map((room) => ({
        ...room,
        createdAt: room.createdAt.toISOString(),
        joinedAt: room.joinedAt.toISOString(),
      })),
    );
    this.users.registerDeletionStep('rooms', (userId) => this.onUserDeleted(userId));
  }

  // ---- access checks shared with messages and real-time ----

  /** The caller's membership, or 404 ROOM_NOT_FOUND. */
  async assertMember(userId: string, roomId: string): Promise<Membership> {
    // Ids from sockets skip the HTTP pipes; a malformed one is simply not found (and never reaches SQL).
    const membership = isUUID(roomId) ? await this.rooms.findMembership(roomId, userId) : null;
    if (!membership) throw roomNotFound();
    return membership;
  }

  /** Membership plus the block rule: nobody writes in a direct room across a block (403 USER_BLOCKED). */
  async assertCanWrite(userId: string, roomId: string): Promise<Membership> {
    const membership = await this.assertMember(userId, roomId);
    if (membership.peerId && (await this.users.isBlockedEitherWay(userId, membership.peerId))) {
      throw AppException.forbidden(ErrorCode.USER_BLOCKED, 'You cannot write to this user');
    }
    return membership;
  }

  roomIdsForUser(userId: string): Promise<string[]> {
    return this.rooms.roomIdsForUser(userId);
  }

  memberIdsOf(roomId: string): Promise<string[]> {
    return this.rooms.memberIdsOf(roomId);
  }

  /** Of `userIds`, those who are members of the room. */
  async membersAmong(roomId: string, userIds: string[]): Promise<Set<string>> {
    return new Set(await this.rooms.membersAmong(roomId, userIds));
  }

  // ---- rooms ----

  /** Creates a room. A direct room that exists for the pair is returned instead (`created: false`). */
  async create(userId: string, dto: CreateRoomDto): Promise<{ room: RoomDto; created: boolean }> {
    const others = [...new Set(dto.memberIds)].filter((id) => id !== userId);
    if (dto.type === 'direct') {
      const problems = [];
      if (others.length !== 1) {
        problems.push({ field: 'memberIds', message: 'a direct room needs exactly one other member' });
      }
      if (dto.name !== undefined) problems.push({ field: 'name', message: 'direct rooms have no name' });
      if (dto.description !== undefined) {
        problems.push({ field: 'description', message: 'direct rooms have no description' });
      }
      if (problems.length > 0) throw AppException.validation(problems);
      const peerId = others[0];
      await this.assertUsersExist([peerId]);
      if (await this.users.isBlockedEitherWay(userId, peerId)) {
        throw AppException.forbidden(ErrorCode.USER_BLOCKED, 'You cannot open a direct room with this user');
      }
      const { id, created } = await this.rooms.findOrCreateDirect(userId, peerId);
      return { room: await this.publishCreated(id, userId, created), created };
    }
    if (dto.name === undefined) {
      throw AppException.validation([{ field: 'name', message: 'name is required for a group' }]);
    }
    await this.assertUsersExist(others);
    await this.assertNotBlockedBy(userId, others, 'memberIds');
    const id = await this.rooms.createGroup(userId, dto.name, dto.description ?? null, others);
    return { room: await this.publishCreated(id, userId, true), created: true };
  }

  /**
   * Someone who blocked the caller cannot be put in a room by them: otherwise a block would only keep them out of
   * direct rooms, and the blocked user could pull the blocker into group after group to reach them.
   */
  private async assertNotBlockedBy(userId: string, userIds: string[], field: string): Promise<void> {
    const blockers = await this.users.blockersAmong(userId, userIds);
    if (blockers.length > 0) {
      throw new AppException(
        HttpStatus.FORBIDDEN,
        ErrorCode.USER_BLOCKED,
        'Some of these users do not accept being added to rooms by you',
        blockers.map((id) => ({ field, message: 'this user has blocked you', userId: id })),
      );
    }
  }

  private async publishCreated(roomId: string, userId: string, created: boolean): Promise<RoomDto> {
    const view = await this.rooms.findView(roomId, userId);
    if (!view) throw roomNotFound();
    if (created) {
      await this.events.publishAndWait('room.created', {
        room: toRoomEventDto(view),
        memberIds: await this.rooms.memberIdsOf(roomId),
      });
    }
    return toRoomDto(view);
  }

  private async assertUsersExist(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const found = new Set((await this.users.findActiveByIds(ids)).map((user) => user.id));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw AppException.notFound(ErrorCode.USER_NOT_FOUND, `Unknown user: ${missing.join(', ')}`);
    }
  }

  /** The caller's rooms, most recent activity first, with last message and unread count. */
  async list(userId: string, query: PageQueryDto): Promise<Page<RoomListItemDto>> {
    const after = decodeOptionalCursor(query.cursor, isTimeIdKey);
    const entries = await this.rooms.listForUser(userId, after, query.limit + 1);
    const lastMessages = await this.messages.withDetails(
      entries.flatMap((entry) => (entry.lastMessage ? [entry.lastMessage] : [])),
      userId,
    );
    const byId = new Map(lastMessages.map((message) => [message.id, message]));
    return toPage(
      entries,
      query.limit,
      (entry) => entry.key,
      (entry) => {
        const last = entry.lastMessage && byId.get(entry.lastMessage.id);
        return {
          ...toRoomDto(entry),
          lastMessage: last ? toMessageDto(last) : null,
          unreadCount: entry.unreadCount,
        };
      },
    );
  }

  async get(userId: string, roomId: string): Promise<RoomDto> {
    const view = isUUID(roomId) ? await this.rooms.findView(roomId, userId) : null;
    if (!view) throw roomNotFound();
    return toRoomDto(view);
  }

  async update(userId: string, roomId: string, dto: UpdateRoomDto): Promise<RoomDto> {
    const membership = await this.assertMember(userId, roomId);
    this.requireRole(membership, 'admin');
    await this.rooms.update(roomId, dto);
    const view = await this.rooms.findView(roomId, userId);
    if (!view) throw roomNotFound();
    if (dto.name !== undefined || dto.description !== undefined) {
      this.events.publish('room.updated', {
        room: toRoomEventDto(view),
        memberIds: await this.rooms.memberIdsOf(roomId),
      });
    }
    return toRoomDto(view);
  }

  /** Owner only. Soft delete: from now on everything about the room answers 404. */
  async remove(userId: string, roomId: string): Promise<void> {
    const membership = await this.assertMember(userId, roomId);
    this.requireRole(membership, 'owner');
    const memberIds = await this.rooms.memberIdsOf(roomId);
    if (await this.rooms.softDelete(roomId))
      await this.events.publishAndWait('room.deleted', { roomId, memberIds });
  }

  private requireRole(membership: Membership, role: RoomRole): void {
    // Direct rooms have no owner or admins: both people are plain members and the room cannot be changed.
    if (!hasRole(membership.role, role)) {
      throw AppException.forbidden(ErrorCode.FORBIDDEN, `This needs the ${role} role in the room`);
    }
  }

  // ---- members ----

  async listMembers(userId: string, roomId: string, query: PageQueryDto): Promise<Page<MemberDto>> {
    await this.assertMember(userId, roomId);
    const after = decodeOptionalCursor(query.cursor, isTimeIdKey);
    const members = await this.rooms.listMembers(roomId, after, query.limit + 1);
    return toPage(members, query.limit, (member) => member.key, toMemberDto);
  }

  /** Admin+. Users already in the room are left as they are. Returns the memberships of all `userIds`. */
  async addMembers(userId: string, roomId: string, dto: AddMembersDto): Promise<MemberDto[]> {
    const membership = await this.assertMember(userId, roomId);
    this.requireRole(membership, 'admin');
    const userIds = [...new Set(dto.userIds)];
    await this.assertUsersExist(userIds);
    await this.assertNotBlockedBy(userId, userIds, 'userIds');
    const added = await this.rooms.addMembers(roomId, userIds);
    if (added === null) throw roomNotFound();
    if (added.length > 0) {
      await this.events.publishAndWait('member.added', {
        roomId,
        userIds: added,
        memberIds: await this.rooms.memberIdsOf(roomId),
      });
    }
    return (await this.rooms.findMembers(roomId, userIds)).map(toMemberDto);
  }

  async updateMember(
    userId: string,
    roomId: string,
    targetId: string,
    dto: UpdateMemberDto,
  ): Promise<MemberDto> {
    const membership = await this.assertMember(userId, roomId);
    this.requireRole(membership, 'admin');
    const [target] = await this.rooms.findMembers(roomId, [targetId]);
    if (!target) throw memberNotFound();
    if (!canChangeRole(membership.role, target.role, dto.role)) {
      throw AppException.forbidden(ErrorCode.FORBIDDEN, 'You cannot give or take this role');
    }
    if (target.role !== dto.role) {
      const result = await this.rooms.changeRole(roomId, targetId, dto.role);
      if (result === 'room-gone') throw roomNotFound();
      if (result === 'not-member') throw memberNotFound();
      if (result === 'last-owner') throw lastOwner();
      this.events.publish('member.updated', { roomId, userId: targetId, role: dto.role });
    }
    const [updated] = await this.rooms.findMembers(roomId, [targetId]);
    if (!updated) throw memberNotFound();
    return toMemberDto(updated);
  }

  /** Removes a member (admin+) or leaves (the member themself). The last owner must hand over first. */
  async removeMember(userId: string, roomId: string, targetId: string): Promise<void> {
    const membership = await this.assertMember(userId, roomId);
    const self = targetId === userId;
    if (membership.roomType === 'direct') {
      throw AppException.forbidden(ErrorCode.FORBIDDEN, 'Nobody can leave or be removed from a direct room');
    }
    if (!self) this.requireRole(membership, 'admin');
    const [target] = self ? [{ role: membership.role }] : await this.rooms.findMembers(roomId, [targetId]);
    if (!target) throw memberNotFound();
    if (!canRemoveMember(membership.role, target.role, self)) {
      throw AppException.forbidden(ErrorCode.FORBIDDEN, 'You cannot remove this member');
    }
    const result = await this.rooms.removeMember(roomId, targetId);
    if (result === 'room-gone') throw roomNotFound();
    if (result === 'not-member') throw memberNotFound();
    if (result === 'last-owner') throw lastOwner();
    await this.events.publishAndWait('member.removed', {
      roomId,
      userId: targetId,
      memberIds: await this.rooms.memberIdsOf(roomId),
    });
  }

  // ---- positions and changes ----

  /**
   * Moves the caller's read (and delivered) position forward; a lower seq is a no-op. seq > lastSeq: 400. The room
   * hears `room:read`, and `room:delivered` first when the delivered position moved with it.
   */
  async markRead(userId: string, roomId: string, seq: number): Promise<void> {
    assertPosition(seq);
    const membership = await this.assertMember(userId, roomId);
    this.assertWithinRoom(membership, seq);
    const moved = await this.rooms.advanceRead(roomId, userId, seq);
    if (!moved) return;
    // Delivered first: a client that tracks both sees them in the order the positions imply.
    if (moved.delivered) this.events.publish('room.delivered', { roomId, userId, seq });
    this.events.publish('room.read', { roomId, userId, seq });
  }

  /** Moves the caller's delivered position forward; a lower seq is a no-op. seq > lastSeq: 400. */
  async markDelivered(userId: string, roomId: string, seq: number): Promise<void> {
    assertPosition(seq);
    const membership = await this.assertMember(userId, roomId);
    this.assertWithinRoom(membership, seq);
    if (await this.rooms.advanceDelivered(roomId, userId, seq)) {
      this.events.publish('room.delivered', { roomId, userId, seq });
    }
  }

  private assertWithinRoom(membership: Membership, seq: number): void {
    if (seq > membership.lastSeq) {
      throw AppException.validation([
        { field: 'seq', message: `seq must not exceed the room's last seq (${membership.lastSeq})` },
      ]);
    }
  }

  /**
   * Every message whose rev is above `sinceRev`, in rev order (edits, deletions and reaction changes included),
   * at most `limit`. `rev` is the highest rev returned, or the room's current rev when nothing changed.
   */
  async changesSince(
    userId: string,
    roomId: string,
    sinceRev: number,
    limit: number,
  ): Promise<{ messages: MessageDto[]; rev: number; hasMore: boolean }> {
    if (!Number.isSafeInteger(sinceRev) || sinceRev < 0) {
      throw AppException.validation([{ field: 'sinceRev', message: 'sinceRev must be an integer >= 0' }]);
    }
    const [changes] = await this.changesSinceMany(userId, [{ roomId, sinceRev }], limit);
    if (!changes) throw roomNotFound();
    return changes;
  }

  /**
   * `changesSince` for several rooms in one statement (`sync`): per request, in order, the changes, or null when
   * the room is not visible to the user (not a member, deleted, or never existed: indistinguishable). Revisions
   * must already be validated integers >= 0.
   */
  async changesSinceMany(
    userId: string,
    requests: ReadonlyArray<{ roomId: string; sinceRev: number }>,
    limit: number,
  ): Promise<Array<{ messages: MessageDto[]; rev: number; hasMore: boolean } | null>> {
    const size = Math.min(Math.max(Math.trunc(limit) || 1, 1), MAX_CHANGES_LIMIT);
    // Ids from sockets skip the HTTP pipes; a malformed one is simply not found (and never reaches SQL).
    // Membership is checked by the same statement: null for non-members and deleted rooms alike. The reads of
    // one call (and of every other socket's sync made meanwhile) go to PostgreSQL as one statement.
    const found = await Promise.all(
      requests.map((request) =>
        isUUID(request.roomId)
          ? this.messages.findChangesSince({ ...request, viewerId: userId, limit: size + 1 })
          : null,
      ),
    );
    return found.map((changes) => {
      if (!changes) return null;
      const shown = changes.messages.slice(0, size);
      return {
        messages: shown.map(toMessageDto),
        rev: shown.length > 0 ? shown[shown.length - 1].rev : changes.roomRev,
        hasMore: changes.messages.length > size,
      };
    });
  }

  // ---- account deletion ----

  private async onUserDeleted(userId: string): Promise<void> {
    const departures = await this.rooms.leaveAllGroups(userId);
    for (const departure of departures) {
      if (departure.promotedUserId) {
        this.events.publish('member.updated', {
          roomId: departure.roomId,
          userId: departure.promotedUserId,
          role: 'owner',
        });
      }
      await this.events.publishAndWait('member.removed', {
        roomId: departure.roomId,
        userId,
        memberIds: departure.remainingIds,
      });
      if (departure.roomDeleted)
        await this.events.publishAndWait('room.deleted', { roomId: departure.roomId, memberIds: [] });
    }
    this.logger.log({ userId, rooms: departures.length }, 'Deleted account left its groups');
  }
}
