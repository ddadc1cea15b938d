import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, ReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import { UploadReadError } from './upload-errors';

export interface StagedFile {
  path: string;
  size: number;
  sha256: string;
}

/**
 * Files on disk below MEDIA_DIR (a volume shared by every instance). Uploads are streamed to a staging file while
 * hashed and counted, and only moved into place once accepted, so a rejected upload leaves nothing behind.
 */
@Injectable()
export class MediaStorage {
  private readonly root: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.root = resolve(config.media.dir);
  }

  keyFor(id: string): string {
    return join(id.slice(0, 2), id);
  }

  thumbnailKeyFor(id: string): string {
    return `${this.keyFor(id)}.thumb.webp`;
  }

  pathOf(key: string): string {
    return join(this.root, key);
  }

  async stage(source: Readable): Promise<StagedFile> {
    const path = join(this.root, 'staging', randomUUID());
    await mkdir(dirname(path), { recursive: true });
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    const sink = createWriteStream(path, { mode: 0o640 });
    // A failing pipeline destroys every stream in it with the same error, so which failed is told by which
    // failed first. The upload may have failed before this (busboy destroys a part cut short as soon as the
    // body ends), or may close without an error (the client went away).
    let failedFirst: 'upload' | 'disk' | undefined = source.destroyed ? 'upload' : undefined;
    source.once('error', () => (failedFirst ??= 'upload'));
    source.once('close', () => {
      if (!source.readableEnded) failedFirst ??= 'upload';
    });
    sink.once('error', () => (failedFirst ??= 'disk'));
    try {
      await pipeline(source, meter, sink);
    } catch (error) {
      // The file may still be opening: removed before that, it would be created afterwards and stay.
      if (!sink.closed) await new Promise<void>((resolve) => sink.once('close', () => resolve()));
      await this.discard(path);
      throw failedFirst === 'upload' ? new UploadReadError(error) : error;
    }
    return { path, size, sha256: hash.digest('hex') };
  }

  /** The first bytes of a staged file, for content sniffing. */
  async head(path: string, bytes = 8192): Promise<Buffer> {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(bytes);
      const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async commit(stagedPath: string, key: string): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    await rename(stagedPath, target);
  }

  async discard(path: string): Promise<void> {
    await rm(path, { force: true });
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.pathOf(key));
      return true;
    } catch {
      return false;
    }
  }

  read(key: string, range?: { start: number; end: number }): ReadStream {
    return createReadStream(this.pathOf(key), range);
  }
}
