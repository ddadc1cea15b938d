import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ErrorCode } from '../../common/errors/error-codes';
import { ApiErrors, ERROR_CODE_MEANINGS } from '../../common/http/api-errors';
import { CurrentUser } from '../../common/http/current-user.decorator';
import { PageQueryDto } from '../../common/http/pagination';
import { UuidParamPipe } from '../../common/http/uuid-param.pipe';
import type { AuthUser } from '../auth/auth-user';
import {
  AddMembersDto,
  ChangesQueryDto,
  CreateRoomDto,
  MarkReadDto,
  MemberDto,
  MemberPageDto,
  RoomChangesDto,
  RoomDto,
  RoomPageDto,
  UpdateMemberDto,
  UpdateRoomDto,
} from './rooms.dto';
import { RoomsService } from './rooms.service';

const roomId = new UuidParamPipe('id');
const memberId = new UuidParamPipe('userId');
const NEEDS_ADMIN = 'The caller is a member without the admin (or owner) role in the room';

@ApiTags('rooms')
@Controller('rooms')
export class RoomsController {
  constructor(private readonly rooms: RoomsService) {}

  /** Creates a group, or opens the direct room with one user (200 with the existing room if there is one). */
  @Post()
  @ApiCreatedResponse({ type: RoomDto, description: 'Room created' })
  @ApiOkResponse({ type: RoomDto, description: 'The direct room of this pair already existed' })
  @ApiErrors({
    403: {
      USER_BLOCKED:
        'A block stands between the caller and the direct peer, or a member has blocked the caller',
    },
    404: { USER_NOT_FOUND: 'One of `memberIds` is not an existing user' },
  })
  async createRoom(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateRoomDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RoomDto> {
    const { room, created } = await this.rooms.create(user.id, dto);
    void reply.status(created ? 201 : 200);
    return room;
  }

  /** The caller's rooms, most recent activity first, each with its last message and unread count. */
  @Get()
  listRooms(@CurrentUser() user: AuthUser, @Query() query: PageQueryDto): Promise<RoomPageDto> {
    return this.rooms.list(user.id, query);
  }

  @Get(':id')
  @ApiErrors({ 404: [ErrorCode.ROOM_NOT_FOUND] })
  getRoom(@CurrentUser() user: AuthUser, @Param('id', roomId) id: string): Promise<RoomDto> {
    return this.rooms.get(user.id, id);
  }

  /** Admin or owner. */
  @Patch(':id')
  @ApiErrors({ 403: { FORBIDDEN: NEEDS_ADMIN }, 404: [ErrorCode.ROOM_NOT_FOUND] })
  updateRoom(
    @CurrentUser() user: AuthUser,
    @Param('id', roomId) id: string,
    @Body() dto: UpdateRoomDto,
  ): Promise<RoomDto> {
    return this.rooms.update(user.id, id, dto);
  }

  /** Owner only. */
  @Delete(':id')
  @HttpCode(204)
  @ApiErrors({
    403: { FORBIDDEN: 'The caller is not an owner of the room' },
    404: [ErrorCode.ROOM_NOT_FOUND],
  })
  deleteRoom(@CurrentUser() user: AuthUser, @Param('id', roomId) id: string): Promise<void> {
    return this.rooms.remove(user.id, id);
  }

  @Get(':id/members')
  @ApiErrors({ 404: [ErrorCode.ROOM_NOT_FOUND] })
  listRoomMembers(
    @CurrentUser() user: AuthUser,
    @Param('id', roomId) id: string,
    @Query() query: PageQueryDto,
  ): Promise<MemberPageDto> {
    return this.rooms.listMembers(user.id, id, query);
  }

  /** Admin or owner. Returns the memberships of the given users. */
  @Post(':id/members')
  @ApiCreatedResponse({ type: [MemberDto] })
  @ApiErrors({
    403: {
      FORBIDDEN: NEEDS_ADMIN,
      USER_BLOCKED: 'One of `userIds` has blocked the caller (named in `details`)',
    },
    404: {
      ROOM_NOT_FOUND: ERROR_CODE_MEANINGS.ROOM_NOT_FOUND,
      USER_NOT_FOUND: 'One of `userIds` is not an existing user',
    },
  })
  addRoomMembers(
    @CurrentUser() user: AuthUser,
    @Param('id', roomId) id: string,
    @Body() dto: AddMembersDto,
  ): Promise<MemberDto[]> {
    return this.rooms.addMembers(user.id, id, dto);
  }

  /** Owner (any role), or admin (member <-> admin, below owner). */
  @Patch(':id/members/:userId')
  @ApiErrors({
    403: {
      FORBIDDEN: 'The caller is not an admin or owner, or an admin tried to give or take the owner role',
    },
    404: [ErrorCode.ROOM_NOT_FOUND, ErrorCode.MEMBER_NOT_FOUND],
    409: [ErrorCode.LAST_OWNER],
  })
  updateRoomMember(
    @CurrentUser() user: AuthUser,
    @Param('id', roomId) id: string,
    @Param('userId', memberId) targetId: string,
    @Body() dto: UpdateMemberDto,
  ): Promise<MemberDto> {
    return this.rooms.updateMember(user.id, id, targetId, dto);
  }

  /** Admin or owner removes someone, or a member leaves (their own id). The last owner cannot leave (409). */
  @Delete(':id/members/:userId')
  @HttpCode(204)
  @ApiErrors({
    403: {
      FORBIDDEN: 'A direct room, or the caller may not remove this member (admins remove members only)',
    },
    404: [ErrorCode.ROOM_NOT_FOUND, ErrorCode.MEMBER_NOT_FOUND],
    409: [ErrorCode.LAST_OWNER],
  })
  removeRoomMember(
    @CurrentUser() user: AuthUser,
    @Param('id', roomId) id: string,
    @Param('userId', memberId) targetId: string,
  ): Promise<void> {
    return this.rooms.removeMember(user.id, id, targetId);
  }

  /** Moves the caller's read position forward (never back); reading implies delivery. */
  @Post(':id/read')
  @HttpCode(204)
  @ApiErrors({ 404: [ErrorCode.ROOM_NOT_FOUND] })
  markRoomRead(
    @CurrentUser() user: AuthUser,
    @Param('id', roomId) id: string,
    @Body() dto: MarkReadDto,
  ): Promise<void> {
    return this.rooms.markRead(user.id, id, dto.seq);
  }

  /** Every message created, edited, deleted or re-reacted after `sinceRev`, in revision order. */
  @Get(':id/changes')
  @ApiErrors({ 404: [ErrorCode.ROOM_NOT_FOUND] })
  listRoomChanges(
    @CurrentUser() user: AuthUser,
    @Param('id', roomId) id: string,
    @Query() query: ChangesQueryDto,
  ): Promise<RoomChangesDto> {
    return this.rooms.changesSince(user.id, id, query.sinceRev, query.limit);
  }
}
