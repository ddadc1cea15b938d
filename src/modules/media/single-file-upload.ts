import type { Multipart, MultipartFile } from '@fastify/multipart';
import { AppException } from '../../common/errors/app-exception';
import { uploadReadFailure } from './upload-errors';

/**
 * The parts of one upload request (`request.parts()`): its file, then the rest of the body. An upload takes one
 * file. `request.file()` returned the first and never looked further, so a second file was dropped while the
 * upload answered 201; `end()` reads on and refuses it.
 */
export class SingleFileUpload {
  private readonly parts: AsyncIterator<Multipart>;

  constructor(parts: AsyncIterable<Multipart>) {
    this.parts = parts[Symbol.asyncIterator]();
  }

  /** The first file part; form fields before it are skipped. Undefined when the body holds no file. */
  async file(): Promise<MultipartFile | undefined> {
    for (;;) {
      const part = await this.next();
      if (part === undefined || part.type === 'file') return part;
    }
  }

  /** Reads the body to its end after the file: fields are ignored, another file is a 400 VALIDATION_FAILED. */
  async end(): Promise<void> {
    for (;;) {
      const part = await this.next().catch((error: unknown) => {
        // The multipart limits allow one file: busboy reports a second as FST_FILES_LIMIT instead of a part.
        throw errorCode(error) === 'FST_FILES_LIMIT' ? oneFileOnly() : error;
      });
      if (part === undefined) return;
      if (part.type === 'file') {
        part.file.resume();
        throw oneFileOnly();
      }
    }
  }

  private async next(): Promise<Multipart | undefined> {
    const result = await this.parts.next().catch((error: unknown) => {
      throw uploadReadFailure(error);
    });
    return result.done ? undefined : result.value;
  }
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

function oneFileOnly(): AppException {
  return AppException.validation([{ field: 'file', message: 'an upload takes exactly one file' }]);
}
