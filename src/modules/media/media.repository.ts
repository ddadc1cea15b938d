import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Repository } from 'typeorm';
import { Media } from './media.entity';

@Injectable()
export class MediaRepository {
  constructor(
    @InjectRepository(Media) private readonly media: Repository<Media>,
    private readonly dataSource: DataSource,
  ) {}

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
  async findVisible(id: string, viewerId: string): Promise<Media | null> {
    const rows: Array<{ id: string }> = await this.dataSource.query(
      `SELECT m.id FROM media m
        WHERE m.id = $1
          AND (m.owner_id = $2 OR EXISTS (
                SELECT 1 FROM message_attachments a
                  JOIN messages msg ON msg.id = a.message_id AND msg.deleted_at IS NULL
                  JOIN room_members rm ON rm.room_id = msg.room_id AND rm.user_id = $2
                 WHERE a.media_id = m.id)
            OR EXISTS (SELECT 1 FROM users u WHERE u.avatar_media_id = m.id AND u.deleted_at IS NULL))`,
      [id, viewerId],
    );
    return rows.length ? this.findById(id) : null;
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
