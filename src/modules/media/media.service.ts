import { InjectQueue } from '@nestjs/bull';
import { HttpStatus, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import sharp from 'sharp';
import { AppException } from '../../common/errors/app-exception';
import { ErrorCode } from '../../common/errors/error-codes';
import { UsersService } from '../users/users.service';
import { parseByteRange } from './byte-range';
import { detectMimeType } from './detect-type';
import { contentDisposition, sanitizeFileName } from './file-name';
import {
  ALLOWED_MIME_TYPES,
  INLINE_MIME_TYPES,
  MAX_IMAGE_PIXELS,
  MEDIA_QUEUE,
  THUMBNAIL_JOB,
  THUMBNAIL_MIME_TYPES,
} from './media.constants';
import { MediaDto, MediaSummary, toMediaDto, toMediaSummary } from './media.dto';
import type { Media } from './media.entity';
import { MediaRepository } from './media.repository';
import { MediaStorage } from './media.storage';
import { UploadReadError, uploadReadFailure } from './upload-errors';

export interface UploadedPart {
  fieldname: string;
  filename: string;
  file: Readable & { truncated?: boolean };
}

export interface MediaContent {
  status: 200 | 206;
  headers: Record<string, string>;
  body: Readable;
}

@Injectable()
export class MediaService implements OnModuleInit {
  private readonly logger = new Logger('Media');

  constructor(
    private readonly repository: MediaRepository,
    private readonly storage: MediaStorage,
    private readonly users: UsersService,
    @InjectQueue(MEDIA_QUEUE) private readonly queue: Queue,
  ) {}

  /**
   * Streams an upload to disk, accepts it only if its bytes are an allowed type, and queues its thumbnail.
   * `readRest` reads what follows the file in the request and throws if the upload must be refused for it.
   */
  async upload(
    ownerId: string,
    part: UploadedPart | undefined,
    readRest: () => Promise<void> = async () => undefined,
  ): Promise<MediaDto> {
    if (!part || part.fieldname !== 'file') {
      part?.file.resume(); // drain it so the connection is not left hanging
      throw AppException.validation([{ field: 'file', message: 'a multipart field "file" is required' }]);
    }
    const staged = await this.storage.stage(part.file).catch((error: unknown) => {
      throw error instanceof UploadReadError ? uploadReadFailure(error.cause) : error;
    });
    try {
      if (part.file.truncated) throw this.tooLarge();
      await readRest();
      if (staged.size === 0) throw AppException.validation([{ field: 'file', message: 'file is empty' }]);
      const mimeType = await detectMimeType(await this.storage.head(staged.path));
      if (!ALLOWED_MIME_TYPES.has(mimeType)) {
        throw new AppException(
          HttpStatus.UNSUPPORTED_MEDIA_TYPE,
          ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          `Files of type ${mimeType} are not accepted`,
        );
      }
      let width: number | null = null;
      let height: number | null = null;
      if (THUMBNAIL_MIME_TYPES.has(mimeType)) {
        const metadata = await sharp(staged.path)
          .metadata()
          .catch(() => undefined);
        if (!metadata?.width || !metadata.height) {
          throw AppException.validation([{ field: 'file', message: 'image could not be decoded' }]);
        }
        if (metadata.width * metadata.height > MAX_IMAGE_PIXELS) {
          throw AppException.validation([
            { field: 'file', message: `images may have at most ${MAX_IMAGE_PIXELS / 1_000_000} megapixels` },
          ]);
        }
        width = metadata.width;
        height = metadata.height;
      }
      const id = randomUUID();
      const storageKey = this.storage.keyFor(id);
      await this.storage.commit(staged.path, storageKey);
      const media = await this.repository.insert({
        id,
        ownerId,
        fileName: sanitizeFileName(part.filename),
        mimeType,
        size: staged.size,
        sha256: staged.sha256,
        width,
        height,
        hasThumbnail: false,
        storageKey,
      });
      if (THUMBNAIL_MIME_TYPES.has(mimeType)) {
        // jobId = media id: a retried upload path or a duplicate enqueue never makes two jobs.
        await this.queue.add(THUMBNAIL_JOB, { mediaId: id }, { jobId: id }).catch((error: unknown) => {
          this.logger.warn(`thumbnail for ${id} not queued: ${String(error)}`);
        });
      }
      return toMediaDto(media);
    } finally {
      await this.storage.discard(staged.path);
    }
  }

  async get(viewerId: string, id: string): Promise<MediaDto> {
    return toMediaDto(await this.findVisible(viewerId, id));
  }

  async openContent(viewerId: string, id: string, rangeHeader: string | undefined): Promise<MediaContent> {
    const media = await this.findVisible(viewerId, id);
    const disposition = INLINE_MIME_TYPES.has(media.mimeType) ? 'inline' : 'attachment';
    const headers: Record<string, string> = {
      'content-type': media.mimeType,
      'content-disposition': contentDisposition(disposition, media.fileName),
      'accept-ranges': 'bytes',
      etag: `"${media.sha256}"`,
      'cache-control': 'private, max-age=31536000, immutable',
    };
    const range = parseByteRange(rangeHeader, media.size);
    if (range === 'unsatisfiable') {
      throw new AppException(
        HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
        ErrorCode.RANGE_NOT_SATISFIABLE,
        'Range not satisfiable',
        undefined,
        {
          'Content-Range': `bytes */${media.size}`,
        },
      );
    }
    if (!range) {
      return {
        status: 200,
        headers: { ...headers, 'content-length': String(media.size) },
        body: this.storage.read(media.storageKey),
      };
    }
    return {
      status: 206,
      headers: {
        ...headers,
        'content-range': `bytes ${range.start}-${range.end}/${media.size}`,
        'content-length': String(range.end - range.start + 1),
      },
      body: this.storage.read(media.storageKey, range),
    };
  }

  async openThumbnail(viewerId: string, id: string): Promise<MediaContent> {
    const media = await this.findVisible(viewerId, id);
    if (!media.hasThumbnail)
      throw AppException.notFound(ErrorCode.THUMBNAIL_NOT_READY, 'No thumbnail for this media (yet)');
    return {
      status: 200,
      headers: { 'content-type': 'image/webp', 'cache-control': 'private, max-age=31536000, immutable' },
      body: this.storage.read(this.storage.thumbnailKeyFor(media.id)),
    };
  }

  /**
   * The caller's own uploads among `ids`, in the order given, for attaching to a message; 400 if any is not
   * theirs (or does not exist), so nobody can attach, and thereby reveal, someone else's file.
   */
  async findOwnedForAttachment(ownerId: string, ids: string[]): Promise<MediaSummary[]> {
    if (ids.length === 0) return [];
    const owned = new Map((await this.repository.findOwned(ids, ownerId)).map((media) => [media.id, media]));
    if (owned.size !== new Set(ids).size) {
      throw AppException.validation([
        { field: 'attachmentIds', message: 'every attachment must be media you uploaded' },
      ]);
    }
    return ids.map((id) => toMediaSummary(owned.get(id)!));
  }

  onModuleInit(): void {
    this.users.registerExportSection('media', async (userId) =>
      (await this.repository.findByOwner(userId)).map(toMediaDto),
    );
    this.users.registerAvatarValidator(async (userId, mediaId) => {
      const [media] = await this.repository.findOwned([mediaId], userId);
      return media !== undefined && THUMBNAIL_MIME_TYPES.has(media.mimeType);
    });
  }

  private async findVisible(viewerId: string, id: string): Promise<Media> {
    const media = await this.repository.findVisible(id, viewerId);
    if (!media) throw AppException.notFound(ErrorCode.MEDIA_NOT_FOUND, 'Media not found');
    return media;
  }

  private tooLarge(): AppException {
    return new AppException(
      HttpStatus.PAYLOAD_TOO_LARGE,
      ErrorCode.PAYLOAD_TOO_LARGE,
      'File is larger than the upload limit',
    );
  }
}
