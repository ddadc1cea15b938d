import { mkdtempSync, readdirSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { AppConfig } from '../../config/config';
import { MediaStorage } from './media.storage';
import { UploadReadError } from './upload-errors';

describe('MediaStorage.stage', () => {
  let dir: string;
  let storage: MediaStorage;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-storage-'));
    storage = new MediaStorage({ media: { dir, maxBytes: 1024 } } as AppConfig);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  const staged = (): string[] => readdirSync(join(dir, 'staging'));

  it('writes the upload to a staging file, with its size and SHA-256', async () => {
    const file = await storage.stage(Readable.from([Buffer.from('hello')]));
    expect(file).toEqual({
      path: expect.stringContaining(join(dir, 'staging')),
      size: 5,
      sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    });
  });

  it('blames the upload when it fails while being read, and keeps nothing', async () => {
    const source = new Readable({ read() {} });
    source.on('error', () => undefined); // as @fastify/multipart does on every file stream
    source.push('partial');
    setTimeout(() => source.destroy(new Error('Part terminated early')), 20);
    await expect(storage.stage(source)).rejects.toBeInstanceOf(UploadReadError);
    expect(staged()).toEqual([]);
  });

  it('blames the upload when it had already failed before staging began', async () => {
    const source = new Readable({ read() {} });
    source.on('error', () => undefined);
    source.destroy(new Error('Unexpected end of multipart data'));
    await expect(storage.stage(source)).rejects.toBeInstanceOf(UploadReadError);
    expect(staged()).toEqual([]);
  });

  it('blames the upload when it closes without ending (the client went away)', async () => {
    const source = new Readable({ read() {} });
    source.push('partial');
    setTimeout(() => source.destroy(), 20);
    await expect(storage.stage(source)).rejects.toBeInstanceOf(UploadReadError);
    expect(staged()).toEqual([]);
  });

  it("passes the disk's own failure on as it is (a server error, not the client's)", async () => {
    const full = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    // The module object the storage calls into (an ES namespace import would be a copy).
    const fs = jest.requireActual<typeof import('node:fs')>('node:fs');
    jest
      .spyOn(fs, 'createWriteStream')
      .mockReturnValue(new Writable({ write: (_chunk, _encoding, done) => done(full) }) as WriteStream);
    await expect(storage.stage(Readable.from([Buffer.from('hello')]))).rejects.toBe(full);
  });
});
