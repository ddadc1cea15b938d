import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ErrorCode } from '../../common/errors/error-codes';
import { ApiErrors, ERROR_CODE_MEANINGS } from '../../common/http/api-errors';
import { CurrentUser } from '../../common/http/current-user.decorator';
import { asJsonReply, JsonText } from '../../common/http/json-text';
import { PageQueryDto } from '../../common/http/pagination';
import { UuidParamPipe } from '../../common/http/uuid-param.pipe';
import type { AuthUser } from '../auth/auth-user';
import {
  EditMessageDto,
  ListMessagesQueryDto,
  MessageDto,
  MessagePageDto,
  MessageVersionPageDto,
  SearchMessagesQueryDto,
  SendMessageDto,
} from './messages.dto';
import { MessagesService } from './messages.service';

const uuid = new UuidParamPipe('id');
const BLOCKED = 'A direct room, and one of its two members has blocked the other';
const EMOJI_PARAM = {
  name: 'emoji',
  description: '1–32 characters, no whitespace or control characters (URL-encoded)',
};

@ApiTags('messages')
@Controller()
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  /** Sends a message. The same clientMessageId again answers 200 with the stored message, nothing duplicated. */
  @Post('rooms/:id/messages')
  @ApiCreatedResponse({ type: MessageDto, description: 'Stored' })
  @ApiOkResponse({
    type: MessageDto,
    description: 'Already stored by an earlier send with this clientMessageId',
  })
  @ApiErrors({
    400: [ErrorCode.INVALID_PARENT],
    403: { USER_BLOCKED: BLOCKED },
    404: [ErrorCode.ROOM_NOT_FOUND],
  })
  async sendMessage(
    @CurrentUser() user: AuthUser,
    @Param('id', uuid) roomId: string,
    @Body() dto: SendMessageDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<MessageDto> {
    const { message, created } = await this.messages.send(user.id, roomId, dto);
    void reply.status(created ? 201 : 200);
    return message;
  }

  /** A page by seq: newest first (default, or `before`), oldest first with `after`; `parentId` lists a thread. */
  @Get('rooms/:id/messages')
  @ApiOkResponse({ type: MessagePageDto })
  @ApiErrors({
    404: {
      ROOM_NOT_FOUND: ERROR_CODE_MEANINGS.ROOM_NOT_FOUND,
      MESSAGE_NOT_FOUND: 'No such thread (`parentId`) in this room',
    },
  })
  async listRoomMessages(
    @CurrentUser() user: AuthUser,
    @Param('id', uuid) roomId: string,
    @Query() query: ListMessagesQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JsonText<MessagePageDto>> {
    // The page arrives as JSON text from the database: sent as it is, never parsed and stringified again.
    return asJsonReply(reply, await this.messages.list(user.id, roomId, query));
  }

  // Declared before `messages/:id` so "search" is never taken for an id.
  /** Full-text search in the caller's rooms, best match first; deleted messages never match. */
  @Get('messages/search')
  @ApiErrors({ 404: { ROOM_NOT_FOUND: '`roomId` is not a room the caller is a member of' } })
  searchMessages(
    @CurrentUser() user: AuthUser,
    @Query() query: SearchMessagesQueryDto,
  ): Promise<MessagePageDto> {
    return this.messages.search(user.id, query);
  }

  @Get('messages/:id')
  @ApiErrors({ 404: [ErrorCode.MESSAGE_NOT_FOUND] })
  getMessage(@CurrentUser() user: AuthUser, @Param('id', uuid) id: string): Promise<MessageDto> {
    return this.messages.get(user.id, id);
  }

  /** What an edited message said before, most recently replaced first (empty for deleted messages). */
  @Get('messages/:id/versions')
  @ApiErrors({ 404: [ErrorCode.MESSAGE_NOT_FOUND] })
  listMessageVersions(
    @CurrentUser() user: AuthUser,
    @Param('id', uuid) id: string,
    @Query() query: PageQueryDto,
  ): Promise<MessageVersionPageDto> {
    return this.messages.versions(user.id, id, query);
  }

  /** The sender edits the content (`editedAt` set; previous versions kept: GET /messages/:id/versions). */
  @Patch('messages/:id')
  @ApiErrors({
    403: { FORBIDDEN: 'The caller is not the sender', USER_BLOCKED: BLOCKED },
    404: [ErrorCode.MESSAGE_NOT_FOUND],
    409: [ErrorCode.MESSAGE_DELETED],
  })
  editMessage(
    @CurrentUser() user: AuthUser,
    @Param('id', uuid) id: string,
    @Body() dto: EditMessageDto,
  ): Promise<MessageDto> {
    return this.messages.edit(user.id, id, dto);
  }

  /** The sender or a room admin/owner deletes; the message stays as a tombstone so seqs have no holes. */
  @Delete('messages/:id')
  @HttpCode(204)
  @ApiErrors({
    403: { FORBIDDEN: 'The caller is neither the sender nor an admin or owner of the room' },
    404: [ErrorCode.MESSAGE_NOT_FOUND],
  })
  deleteMessage(@CurrentUser() user: AuthUser, @Param('id', uuid) id: string): Promise<void> {
    return this.messages.remove(user.id, id);
  }

  /** Adds the caller's reaction; idempotent. */
  @Put('messages/:id/reactions/:emoji')
  @HttpCode(204)
  @ApiParam(EMOJI_PARAM)
  @ApiErrors({
    403: { USER_BLOCKED: BLOCKED },
    404: [ErrorCode.MESSAGE_NOT_FOUND],
    409: [ErrorCode.MESSAGE_DELETED],
  })
  addReaction(
    @CurrentUser() user: AuthUser,
    @Param('id', uuid) id: string,
    @Param('emoji') emoji: string,
  ): Promise<void> {
    return this.messages.addReaction(user.id, id, emoji);
  }

  /** Removes the caller's reaction; idempotent. */
  @Delete('messages/:id/reactions/:emoji')
  @HttpCode(204)
  @ApiParam(EMOJI_PARAM)
  @ApiErrors({ 404: [ErrorCode.MESSAGE_NOT_FOUND] })
  removeReaction(
    @CurrentUser() user: AuthUser,
    @Param('id', uuid) id: string,
    @Param('emoji') emoji: string,
  ): Promise<void> {
    return this.messages.removeReaction(user.id, id, emoji);
  }
}
