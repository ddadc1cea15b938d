import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { startApp, TestApp } from '../support/app';
import { expectError, Http, HttpResult } from '../support/http';
import { registerUser, RegisteredUser } from '../support/users';

async function upload(
  app: TestApp,
  token: string | undefined,
  bytes: Buffer,
  fileName = 'file.bin',
  declaredType = 'application/octet-stream',
  field = 'file',
): Promise<HttpResult<any>> {
  const form = new FormData();
  form.append(field, new Blob([new Uint8Array(bytes)], { type: declaredType }), fileName);
  const response = await fetch(`${app.url}/api/v1/media`, {
    method: 'POST',
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body: form,
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: text ? JSON.parse(text) : undefined,
  };
}

async function getBytes(app: TestApp, path: string, token: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${app.url}${path}`, {
    headers: { authorization: `Bearer ${token}`, ...headers },
  });
  return {
    status: response.status,
    headers: response.headers,
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

const png = (width: number, height: number): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 30 } } })
    .png()
    .toBuffer();

describe('media', () => {
  let app: TestApp;
  let http: Http;
  let alice: RegisteredUser;
  let bob: RegisteredUser;

  beforeAll(async () => {
    app = await startApp();
    http = Http.for(app);
    alice = await registerUser(app);
    bob = await registerUser(app);
  });
  afterAll(async () => {
    await app.stop();
  });

  it('stores an image, deciding its type from the bytes rather than the declared type', async () => {
    const image = await png(64, 48);
    const res = await upload(app, alice.accessToken, image, 'holiday.txt', 'text/plain');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      fileName: 'holiday.txt',
      mimeType: 'image/png',
      size: image.length,
      sha256: createHash('sha256').update(image).digest('hex'),
      width: 64,
      height: 48,
      hasThumbnail: false,
      createdAt: expect.any(String),
    });
    const meta = await http.get(`/api/v1/media/${res.body.id}`, { token: alice.accessToken });
    expect(meta.status).toBe(200);
    expect(meta.body.id).toBe(res.body.id);
  });

  it('serves the bytes with type, disposition and byte ranges', async () => {
    const text = Buffer.from('hello, привет, 0123456789\n');
    const { body } = await upload(app, alice.accessToken, text, 'отчёт.txt', 'application/octet-stream');
    expect(body.mimeType).toBe('text/plain');

    const whole = await getBytes(app, `/api/v1/media/${body.id}/content`, alice.accessToken);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toContain('text/plain');
    expect(whole.headers.get('content-disposition')).toContain(
      `filename*=UTF-8''${encodeURIComponent('отчёт.txt')}`,
    );
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.bytes.equals(text)).toBe(true);

    const part = await getBytes(app, `/api/v1/media/${body.id}/content`, alice.accessToken, {
      range: 'bytes=0-4',
    });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-4/${text.length}`);
    expect(part.bytes.toString()).toBe('hello');

    const tail = await getBytes(app, `/api/v1/media/${body.id}/content`, alice.accessToken, {
      range: 'bytes=-3',
    });
    expect(tail.status).toBe(206);
    expect(tail.bytes.equals(text.subarray(text.length - 3))).toBe(true);

    const outside = await http.get(`/api/v1/media/${body.id}/content`, {
      token: alice.accessToken,
      headers: { range: `bytes=${text.length + 10}-` },
    });
    expectError(outside, 416, 'RANGE_NOT_SATISFIABLE');
    expect(outside.headers.get('content-range')).toBe(`bytes */${text.length}`);
  });

  it('makes a thumbnail for images once the queued job has run', async () => {
    const { body } = await upload(app, alice.accessToken, await png(800, 600), 'big.png', 'image/png');
    let thumb = await getBytes(app, `/api/v1/media/${body.id}/thumbnail`, alice.accessToken);
    for (let attempt = 0; thumb.status === 404 && attempt < 100; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      thumb = await getBytes(app, `/api/v1/media/${body.id}/thumbnail`, alice.accessToken);
    }
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    const meta = await sharp(thumb.bytes).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(320);
    expect((await http.get(`/api/v1/media/${body.id}`, { token: alice.accessToken })).body.hasThumbnail).toBe(
      true,
    );
  });

  it('has no thumbnail for non-images', async () => {
    const { body } = await upload(app, alice.accessToken, Buffer.from('just text'), 'a.txt');
    expectError(
      await http.get(`/api/v1/media/${body.id}/thumbnail`, { token: alice.accessToken }),
      404,
      'THUMBNAIL_NOT_READY',
    );
  });

  it("hides another user's upload as not found", async () => {
    const { body } = await upload(app, alice.accessToken, Buffer.from('private'), 'secret.txt');
    expectError(
      await http.get(`/api/v1/media/${body.id}`, { token: bob.accessToken }),
      404,
      'MEDIA_NOT_FOUND',
    );
    expectError(
      await http.get(`/api/v1/media/${body.id}/content`, { token: bob.accessToken }),
      404,
      'MEDIA_NOT_FOUND',
    );
    expectError(
      await http.get(`/api/v1/media/${body.id}/thumbnail`, { token: bob.accessToken }),
      404,
      'MEDIA_NOT_FOUND',
    );
  });

  it('refuses types outside the allow-list with 415, whatever is declared', async () => {
    const zip = Buffer.from('504b0304140000000800', 'hex');
    expectError(
      await upload(app, alice.accessToken, zip, 'photo.png', 'image/png'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    const binary = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0xff]);
    expectError(
      await upload(app, alice.accessToken, binary, 'tool', 'text/plain'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('answers 415 for a request that is not multipart, and 400 without a file or with an empty one', async () => {
    expectError(
      await http.post('/api/v1/media', { file: 'x' }, { token: alice.accessToken }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(
      await upload(app, alice.accessToken, Buffer.from('x'), 'a.txt', 'text/plain', 'other'),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await upload(app, alice.accessToken, Buffer.alloc(0), 'empty.txt'), 400, 'VALIDATION_FAILED');
  });

  it('rejects a non-UUID id with 400 and requires a token', async () => {
    expectError(
      await http.get('/api/v1/media/not-a-uuid', { token: alice.accessToken }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await upload(app, undefined, Buffer.from('x'), 'a.txt'), 401);
  });

  describe('with a small upload limit', () => {
    let small: TestApp;
    beforeAll(async () => {
      small = await startApp({ MEDIA_MAX_BYTES: '2048', MEDIA_DIR: join(app.env.MEDIA_DIR, 'small') });
    });
    afterAll(async () => {
      await small.stop();
    });

    it('answers 413 over the limit and keeps nothing of the rejected upload', async () => {
      const user = await registerUser(small);
      const res = await upload(small, user.accessToken, Buffer.alloc(4096, 'a'), 'big.txt', 'text/plain');
      expectError(res, 413, 'PAYLOAD_TOO_LARGE');
      expect(readdirSync(join(small.env.MEDIA_DIR, 'staging'))).toEqual([]);
      const ok = await upload(small, user.accessToken, Buffer.alloc(1024, 'a'), 'ok.txt', 'text/plain');
      expect(ok.status).toBe(201);
    });
  });
});
