import type { Media } from './media.entity';

export class MediaDto {
  id!: string;
  /** The uploader's file name, sanitised. */
  fileName!: string;
  /** Decided from the file's bytes, not the declared type. */
  mimeType!: string;
  /** Bytes. */
  size!: number;
  /** Hex SHA-256 of the content. */
  sha256!: string;
  /** Pixels, for images. */
  width?: number;
  /** Pixels, for images. */
  height?: number;
  /** True once GET /media/:id/thumbnail can serve a thumbnail. */
  hasThumbnail!: boolean;
  createdAt!: string;
}

export function toMediaDto(media: Media): MediaDto {
  const dto: MediaDto = {
    id: media.id,
    fileName: media.fileName,
    mimeType: media.mimeType,
    size: media.size,
    sha256: media.sha256,
    hasThumbnail: media.hasThumbnail,
    createdAt: media.createdAt.toISOString(),
  };
  if (media.width !== null) dto.width = media.width;
  if (media.height !== null) dto.height = media.height;
  return dto;
}

/** What a message shows of an attached upload. */
export interface MediaSummary {
  id: string;
  fileName: string;
  mimeType: string;
  size: number;
  width: number | null;
  height: number | null;
  hasThumbnail: boolean;
}

export function toMediaSummary(media: Media): MediaSummary {
  return {
    id: media.id,
    fileName: media.fileName,
    mimeType: media.mimeType,
    size: media.size,
    width: media.width,
    height: media.height,
    hasThumbnail: media.hasThumbnail,
  };
}
