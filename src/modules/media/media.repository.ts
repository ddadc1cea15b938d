import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { Media } from './media.entity';

@Injectable()
export class MediaRepository {
  constructor(@InjectRepository(Media) private readonly media: Repository<Media>) {}

  async insert(row: Omit<Media, 'createdAt'>): Promise<Media> {
    return this.media.save(this.media.create(row));
  }

  findById(id: string): Promise<Media | null> {
    return this.media.findOneBy({ id });
  }

  /**
   * The media row if `viewerId` may see it: the uploader; a member of a room where a live message carries it as
   * an attachment; or anyone, for a user's current avatar (shown on public profiles).
   */
  findVisible(id: string, viewerId: string): Promise<Media | null> {
    return this.media
      .createQueryBuilder('m')
      .where('m.id = :id', { id })
      .andWhere(
        `(m.owner_id = :viewerId
          OR EXISTS (SELECT 1 FROM message_attachments a
                       JOIN messages msg ON msg.id = a.message_id AND msg.deleted_at IS NULL
                       JOIN room_members rm ON rm.room_id = msg.room_id AND rm.user_id = :viewerId
                      WHERE a.media_id = m.id)
          OR EXISTS (SELECT 1 FROM users u WHERE u.avatar_media_id = m.id AND u.deleted_at IS NULL))`,
        { viewerId },
      )
      .getOne();
  }

  /** Of `ids`, those uploaded by `ownerId`. */
  async findOwned(ids: string[], ownerId: string): Promise<Media[]> {
    if (ids.length === 0) return [];
    return this.media.findBy({ id: In(ids), ownerId });
  }

  findByOwner(ownerId: string): Promise<Media[]> {
    return this.media.find({ where: { ownerId }, order: { createdAt: 'ASC' } });
  }

  async markThumbnailReady(id: string): Promise<void> {
    await this.media.update({ id }, { hasThumbnail: true });
  }
}
