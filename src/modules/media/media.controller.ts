import { Controller, Get, Headers, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiPartialContentResponse,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode } from '../../common/errors/error-codes';
import { ApiErrors } from '../../common/http/api-errors';
import { CurrentUser } from '../../common/http/current-user.decorator';
import { TakesMultipart } from '../../common/http/multipart';
import { UuidParamPipe } from '../../common/http/uuid-param.pipe';
import type { AuthUser } from '../auth/auth-user';
import { MediaDto } from './media.dto';
import { MediaContent, MediaService } from './media.service';
import { SingleFileUpload } from './single-file-upload';

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
  @TakesMultipart()
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' } },
    },
  })
  @ApiErrors({
    400: {
      VALIDATION_FAILED:
        'No `file` field, more than one file, an empty file, or an image that cannot be decoded or has more than 100 megapixels',
      BAD_REQUEST: 'A multipart body without a boundary, or one that ends before its closing boundary',
    },
    413: { PAYLOAD_TOO_LARGE: 'The file is larger than MEDIA_MAX_BYTES (10 MiB by default)' },
    415: { UNSUPPORTED_MEDIA_TYPE: 'Not `multipart/form-data`, or a file type outside the allow-list' },
  })
  async uploadMedia(@CurrentUser() user: AuthUser, @Req() request: FastifyRequest): Promise<MediaDto> {
    const upload = new SingleFileUpload(request.parts());
    return this.media.upload(user.id, await upload.file(), () => upload.end());
  }

  /** Metadata of an upload visible to the caller (their own, or attached in one of their rooms). */
  @Get(':id')
  @ApiErrors({ 404: [ErrorCode.MEDIA_NOT_FOUND] })
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
  @ApiErrors({ 404: [ErrorCode.MEDIA_NOT_FOUND], 416: [ErrorCode.RANGE_NOT_SATISFIABLE] })
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
  @ApiErrors({ 404: [ErrorCode.MEDIA_NOT_FOUND, ErrorCode.THUMBNAIL_NOT_READY] })
  async getMediaThumbnail(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParamPipe) id: string,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return send(reply, await this.media.openThumbnail(user.id, id));
  }
}
