import { Controller, Get, Headers, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiPartialContentResponse,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentUser } from '../../common/http/current-user.decorator';
import { UuidParamPipe } from '../../common/http/uuid-param.pipe';
import type { AuthUser } from '../auth/auth-user';
import { MediaDto } from './media.dto';
import { MediaContent, MediaService } from './media.service';

function send(reply: FastifyReply, content: MediaContent): FastifyReply {
  return reply.status(content.status).headers(content.headers).send(content.body);
}

@ApiTags('media')
@Controller('media')
export class MediaController {
  constructor(private readonly media: MediaService) {}

  /** Uploads one file (multipart field `file`). Its type is decided from its bytes. */
  @Post()
  @HttpCode(201)
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' } },
    },
  })
  @ApiPayloadTooLargeResponse({ description: 'Larger than MEDIA_MAX_BYTES' })
  @ApiUnsupportedMediaTypeResponse({ description: 'Not multipart, or a file type outside the allow-list' })
  async uploadMedia(@CurrentUser() user: AuthUser, @Req() request: FastifyRequest): Promise<MediaDto> {
    return this.media.upload(user.id, await request.file());
  }

  /** Metadata of an upload visible to the caller (their own, or attached in one of their rooms). */
  @Get(':id')
  getMedia(@CurrentUser() user: AuthUser, @Param('id', UuidParamPipe) id: string): Promise<MediaDto> {
    return this.media.get(user.id, id);
  }

  /** The file's bytes, with HTTP Range support. */
  @Get(':id/content')
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The whole file', schema: { type: 'string', format: 'binary' } })
  @ApiPartialContentResponse({
    description: 'The requested byte range',
    schema: { type: 'string', format: 'binary' },
  })
  async getMediaContent(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParamPipe) id: string,
    @Headers('range') range: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return send(reply, await this.media.openContent(user.id, id, range));
  }

  /** A WebP thumbnail of an image upload; 404 until it has been made. */
  @Get(':id/thumbnail')
  @ApiProduces('image/webp')
  @ApiOkResponse({ description: 'WebP thumbnail', schema: { type: 'string', format: 'binary' } })
  async getMediaThumbnail(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParamPipe) id: string,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return send(reply, await this.media.openThumbnail(user.id, id));
  }
}
