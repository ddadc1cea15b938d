import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { startApp, TestApp } from '../support/app';
import { expectError, Http, HttpResult } from '../support/http';
import { registerUser, RegisteredUser } from '../support/users';
import { sqlRows } from '../conversations/helpers';

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

  it('refuses an image of more than 100 megapixels, which could never get a thumbnail', async () => {
    // A few hundred bytes that declare 10,001 × 10,000 pixels: decoding it would take gigabytes.
    const chunk = (type: string, data: Buffer): Buffer => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(data.length);
      const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(body));
      return Buffer.concat([length, body, crc]);
    };
    const header = Buffer.alloc(13);
    header.writeUInt32BE(10_001, 0);
    header.writeUInt32BE(10_000, 4);
    header[8] = 8; // bit depth
    header[9] = 2; // RGB
    const bomb = Buffer.concat([
      Buffer.from('89504e470d0a1a0a', 'hex'),
      chunk('IHDR', header),
      chunk('IDAT', deflateSync(Buffer.alloc(64))),
      chunk('IEND', Buffer.alloc(0)),
    ]);
    const res = await upload(app, alice.accessToken, bomb, 'huge.png', 'image/png');
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(res.body.details).toEqual([{ field: 'file', message: 'images may have at most 100 megapixels' }]);
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

  it('takes one file per upload: a second file is refused and neither is stored', async () => {
    const user = await registerUser(app);
    const post = (form: FormData) =>
      fetch(`${app.url}/api/v1/media`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.accessToken}` },
        body: form,
      });
    const two = new FormData();
    two.append('file', new Blob(['first']), 'first.txt');
    two.append('file', new Blob(['second']), 'second.txt');
    const refused = await post(two);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'file', message: 'an upload takes exactly one file' }],
    });
    expect(await sqlRows('SELECT id FROM media WHERE owner_id = $1', [user.user.id])).toEqual([]);
    expect(readdirSync(join(app.env.MEDIA_DIR, 'staging'))).toEqual([]);

    // A form field beside the one file is not a second file.
    const one = new FormData();
    one.append('file', new Blob(['only']), 'only.txt');
    one.append('note', 'hello');
    expect((await post(one)).status).toBe(201);
  });

  it('answers 415 to a form sent to a route that takes JSON, and changes nothing', async () => {
    const user = await registerUser(app);
    const form = new FormData();
    form.append('displayName', 'From a form');
    const res = await fetch(`${app.url}/api/v1/users/me`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${user.accessToken}` },
      body: form,
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    const me = await http.get('/api/v1/users/me', { token: user.accessToken });
    expect(me.body.displayName).not.toBe('From a form');
  });

  it('answers 400 for a multipart body without a boundary or cut short, and keeps nothing of it', async () => {
    const part = (body: string): string =>
      `--b1\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n` +
      `Content-Type: text/plain\r\n\r\n${body}`;
    const cases: Array<[contentType: string, body: string]> = [
      ['multipart/form-data', part('hello\r\n--b1--\r\n')],
      ['multipart/form-data; boundary=', part('hello\r\n--b1--\r\n')],
      ['multipart/form-data; boundary=b1', part('hello, and the body ends here')],
      ['multipart/form-data; boundary=b1', part('hello\r\n--b1')],
      ['multipart/form-data; boundary=b1', '--b1\r\n'],
    ];
    const staging = join(app.env.MEDIA_DIR, 'staging');
    for (const [contentType, body] of cases) {
      const res = await http.post('/api/v1/media', undefined, {
        token: alice.accessToken,
        headers: { 'content-type': contentType },
        rawBody: body,
      });
      expectError(res, 400, 'BAD_REQUEST');
    }
    expect(readdirSync(staging)).toEqual([]);
    // The same part, ended properly, is stored.
    const ok = await http.post('/api/v1/media', undefined, {
      token: alice.accessToken,
      headers: { 'content-type': 'multipart/form-data; boundary=b1' },
      rawBody: part('hello\r\n--b1--\r\n'),
    });
    expect(ok.status).toBe(201);
  });

  it('rejects a non-UUID id with 400 and requires a token', async () => {
    expectError(
      await http.get('/api/v1/media/not-a-uuid', { token: alice.accessToken }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await upload(app, undefined, Buffer.from('x'), 'a.txt'), 401);
  });

  describe('as message attachments', () => {
    const send = (user: RegisteredUser, roomId: string, body: Record<string, unknown>) =>
      http.post(`/api/v1/rooms/${roomId}/messages`, body, { token: user.accessToken });

    it('shows attachments on the message and lets room members, and only them, fetch them', async () => {
      const carol = await registerUser(app);
      const room = await http.post(
        '/api/v1/rooms',
        { type: 'group', name: 'photos', memberIds: [bob.user.id] },
        { token: alice.accessToken },
      );
      expect(room.status).toBe(201);
      const photo = (await upload(app, alice.accessToken, await png(40, 30), 'cat.png', 'image/png')).body;
      const notes = (await upload(app, alice.accessToken, Buffer.from('notes'), 'notes.txt')).body;
      expectError(
        await http.get(`/api/v1/media/${photo.id}`, { token: bob.accessToken }),
        404,
        'MEDIA_NOT_FOUND',
      );

      const sent = await send(alice, room.body.id, {
        clientMessageId: 'with-files',
        content: 'look',
        attachmentIds: [notes.id, photo.id],
      });
      expect(sent.status).toBe(201);
      expect(sent.body.attachments).toEqual([
        { id: notes.id, fileName: 'notes.txt', mimeType: 'text/plain', size: 5, hasThumbnail: false },
        expect.objectContaining({
          id: photo.id,
          fileName: 'cat.png',
          mimeType: 'image/png',
          width: 40,
          height: 30,
        }),
      ]);
      const page = await http.get(`/api/v1/rooms/${room.body.id}/messages`, { token: bob.accessToken });
      expect(page.body.items[0].attachments.map((a: { id: string }) => a.id)).toEqual([notes.id, photo.id]);

      expect((await http.get(`/api/v1/media/${photo.id}`, { token: bob.accessToken })).status).toBe(200);
      const bytes = await getBytes(app, `/api/v1/media/${notes.id}/content`, bob.accessToken);
      expect(bytes.bytes.toString()).toBe('notes');
      expectError(
        await http.get(`/api/v1/media/${photo.id}`, { token: carol.accessToken }),
        404,
        'MEDIA_NOT_FOUND',
      );

      // Once the message is deleted, the tombstone carries nothing and members lose sight of the files.
      expect(
        (await http.delete(`/api/v1/messages/${sent.body.id}`, undefined, { token: alice.accessToken }))
          .status,
      ).toBe(204);
      const tombstone = await http.get(`/api/v1/messages/${sent.body.id}`, { token: bob.accessToken });
      expect(tombstone.body.attachments).toEqual([]);
      expectError(
        await http.get(`/api/v1/media/${photo.id}`, { token: bob.accessToken }),
        404,
        'MEDIA_NOT_FOUND',
      );
      expect((await http.get(`/api/v1/media/${photo.id}`, { token: alice.accessToken })).status).toBe(200);
    });

    it("refuses someone else's upload, duplicates and more than ten", async () => {
      const room = await http.post(
        '/api/v1/rooms',
        { type: 'group', name: 'refusals', memberIds: [bob.user.id] },
        { token: alice.accessToken },
      );
      const bobs = (await upload(app, bob.accessToken, Buffer.from('bob file'), 'b.txt')).body;
      const mine = (await upload(app, alice.accessToken, Buffer.from('mine'), 'm.txt')).body;
      const refused = expectError(
        await send(alice, room.body.id, { clientMessageId: 'x1', content: 'x', attachmentIds: [bobs.id] }),
        400,
        'VALIDATION_FAILED',
      );
      expect(refused.details).toEqual([
        { field: 'attachmentIds', message: 'every attachment must be media you uploaded' },
      ]);
      expectError(
        await send(alice, room.body.id, {
          clientMessageId: 'x2',
          content: 'x',
          attachmentIds: [mine.id, mine.id],
        }),
        400,
        'VALIDATION_FAILED',
      );
      const eleven = Array.from({ length: 11 }, () => mine.id);
      expectError(
        await send(alice, room.body.id, { clientMessageId: 'x3', content: 'x', attachmentIds: eleven }),
        400,
        'VALIDATION_FAILED',
      );
      // Nothing was stored by the refused sends.
      expect(
        (await http.get(`/api/v1/rooms/${room.body.id}`, { token: alice.accessToken })).body.lastSeq,
      ).toBe(0);
    });
  });

  describe('as an avatar', () => {
    it('accepts only an own image, and then anyone signed in can fetch it', async () => {
      const carol = await registerUser(app);
      const photo = (await upload(app, carol.accessToken, await png(16, 16), 'me.png', 'image/png')).body;
      const text = (await upload(app, carol.accessToken, Buffer.from('not an image'), 'me.txt')).body;
      const bobsPhoto = (await upload(app, bob.accessToken, await png(8, 8), 'bob.png', 'image/png')).body;
      for (const id of [text.id, bobsPhoto.id]) {
        expectError(
          await http.patch('/api/v1/users/me', { avatarMediaId: id }, { token: carol.accessToken }),
          400,
          'VALIDATION_FAILED',
        );
      }
      const me = await http.patch(
        '/api/v1/users/me',
        { avatarMediaId: photo.id },
        { token: carol.accessToken },
      );
      expect(me.status).toBe(200);
      expect(me.body.avatarMediaId).toBe(photo.id);
      const profile = await http.get(`/api/v1/users/${carol.user.id}`, { token: alice.accessToken });
      expect(profile.body.avatarMediaId).toBe(photo.id);
      expect((await getBytes(app, `/api/v1/media/${photo.id}/content`, alice.accessToken)).status).toBe(200);
    });
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
