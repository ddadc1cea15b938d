import { Process, Processor } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import type { Job } from 'bull';
import sharp from 'sharp';
import { MAX_IMAGE_PIXELS, MEDIA_QUEUE, THUMBNAIL_JOB, THUMBNAIL_SIZE } from './media.constants';
import { MediaRepository } from './media.repository';
import { MediaStorage } from './media.storage';

/** Makes thumbnails on whichever instance picks the job up; safe to run twice (it overwrites the same file). */
@Processor(MEDIA_QUEUE)
export class MediaProcessor {
  private readonly logger = new Logger('MediaProcessor');

  constructor(
    private readonly repository: MediaRepository,
    private readonly storage: MediaStorage,
  ) {}

  @Process(THUMBNAIL_JOB)
  async makeThumbnail(job: Job<{ mediaId: string }>): Promise<void> {
    const media = await this.repository.findById(job.data.mediaId);
    if (!media || media.hasThumbnail) return;
    // limitInputPixels guards against decompression bombs (a tiny file that decodes to gigapixels).
    await sharp(this.storage.pathOf(media.storageKey), {
      limitInputPixels: MAX_IMAGE_PIXELS,
      animated: false,
    })
      .rotate()
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 75 })
      .toFile(this.storage.pathOf(this.storage.thumbnailKeyFor(media.id)));
    await this.repository.markThumbnailReady(media.id);
    this.logger.debug(`thumbnail ready for ${media.id}`);
  }
}
