import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { TestApp } from '../support/app';
import { expectError, Http } from '../support/http';
import { registerUser, RegisteredUser } from '../support/users';
import { Api, eventually, registerUsers, sqlRows, startConversationsApp } from './helpers';

describe('messages', () => {
  let app: TestApp;
  let http: Http;
  let api: Api;

  beforeAll(async () => {
    app = await startConversationsApp();
    http = Http.for(app);
    api = new Api(app);
  });
  afterAll(async () => {
    await app.stop();
  });

  async function upload(user: RegisteredUser, fileName: string, bytes: Buffer, type: string): Promise<any> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)], { type }), fileName);
    const response = await fetch(`${app.url}/api/v1/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.accessToken}` },
      body: form,
    });
    if (response.status !== 201) throw new Error(`upload: ${response.status} ${await response.text()}`);
    return response.json();
  }
  const uploadText = (user: RegisteredUser, fileName: string, text: string) =>
    upload(user, fileName, Buffer.from(text), 'text/plain');
  const uploadPng = async (user: RegisteredUser, fileName: string, width: number, height: number) =>
    upload(
      user,
      fileName,
      await sharp({ create: { width, height, channels: 3, background: { r: 20, g: 120, b: 200 } } })
        .png()
        .toBuffer(),
      'image/png',
    );

  async function group(size: number): Promise<{ room: any; users: RegisteredUser[] }> {
    const users = await registerUsers(app, size);
    const room = await api.createGroup(users[0], users.slice(1));
    return { room, users };
  }

  describe('send', () => {
    it('refuses text with an unpaired surrogate instead of storing it altered', async () => {
      const { room, users } = await group(2);
      const [alice] = users;
      // Both ids would have been stored as 'k\uFFFD', answering the second send with the first message.
      for (const body of [
        { clientMessageId: 'k\uD800', content: 'first' },
        { clientMessageId: 'k\uDBFF', content: 'second' },
        { clientMessageId: randomUUID(), content: 'lone \uDC00 half' },
      ]) {
        const res = await api.sendRaw(alice, room.id, body);
        expectError(res, 400, 'VALIDATION_FAILED');
      }
      expect((await api.page(alice, room.id)).items).toEqual([]);
    });

    it('stores a message with seq and rev, trimmed, with mentions of room members', async () => {
      const { room, users } = await group(3);
      const [alice, bob, carol] = users;
      const outsider = await registerUser(app);
      const clientMessageId = randomUUID();
      const res = await api.sendRaw(alice, room.id, {
        clientMessageId,
        content: `  hi @${bob.user.username.toUpperCase()} and @${carol.user.username}, not @${outsider.user.username}  `,
        attachmentIds: [],
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        roomId: room.id,
        seq: 1,
        rev: 1,
        senderId: alice.user.id,
        clientMessageId,
        content: `hi @${bob.user.username.toUpperCase()} and @${carol.user.username}, not @${outsider.user.username}`,
        parentId: null,
        threadReplyCount: 0,
        attachments: [],
        reactions: [],
        mentions: [bob.user.id, carol.user.id],
        createdAt: expect.any(String),
        editedAt: null,
        deletedAt: null,
      });
      expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
      expect((await api.room(alice, room.id)).lastSeq).toBe(1);
      const fetched = await http.get(`/api/v1/messages/${res.body.id}`, { token: bob.accessToken });
      expect(fetched.status).toBe(200);
      expect(fetched.body).toEqual(res.body);
    });

    it('gives messages time-ordered UUIDv7 ids: one stored later sorts after one stored earlier', async () => {
      const { room, users } = await group(2);
      const ids: string[] = [];
      for (const content of ['one', 'two', 'three', 'four']) {
        ids.push((await api.send(users[0], room.id, content)).id);
      }
      const version7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
      for (const id of ids) expect(id).toMatch(version7);
      expect([...ids].sort()).toEqual(ids);
    });

    it('is idempotent per sender and clientMessageId: a resend answers 200 with the original', async () => {
      const { room, users } = await group(2);
      const [alice, bob] = users;
      const first = await api.sendRaw(alice, room.id, { clientMessageId: 'same', content: 'original' });
      const again = await api.sendRaw(alice, room.id, { clientMessageId: 'same', content: 'changed text' });
      expect(first.status).toBe(201);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      // Another sender may use the same clientMessageId.
      const bobs = await api.sendRaw(bob, room.id, { clientMessageId: 'same', content: 'bob' });
      expect(bobs.status).toBe(201);
      expect(bobs.body.seq).toBe(2);
      expect((await api.allMessages(alice, room.id)).map((m) => m.content)).toEqual(['original', 'bob']);
    });

    it('validates content, clientMessageId, parentId and attachments', async () => {
      const { room, users } = await group(1);
      const [alice] = users;
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ clientMessageId: 'a', content: '   ' }, 'content'],
        [{ clientMessageId: 'a', content: '' }, 'content'],
        [{ clientMessageId: 'a', content: 'x'.repeat(4001) }, 'content'],
        [{ clientMessageId: 'a', content: 42 }, 'content'],
        [{ clientMessageId: 'a', content: 'nul \u0000 byte' }, 'content'],
        [{ clientMessageId: '', content: 'x' }, 'clientMessageId'],
        [{ clientMessageId: 'x'.repeat(65), content: 'x' }, 'clientMessageId'],
        [{ content: 'x' }, 'clientMessageId'],
        [{ clientMessageId: 'a', content: 'x', parentId: 'nope' }, 'parentId'],
        [{ clientMessageId: 'a', content: 'x', attachmentIds: 'nope' }, 'attachmentIds'],
        [{ clientMessageId: 'a', content: 'x', senderId: alice.user.id }, 'senderId'],
      ];
      for (const [body, field] of cases) {
        const error = expectError(await api.sendRaw(alice, room.id, body), 400, 'VALIDATION_FAILED');
        expect(error.details.map((d: { field: string }) => d.field)).toContain(field);
      }
      const attachments = expectError(
        await api.sendRaw(alice, room.id, {
          clientMessageId: 'a',
          content: 'x',
          attachmentIds: [randomUUID()],
        }),
        400,
        'VALIDATION_FAILED',
      );
      // An id that is not one of the sender's uploads (here: no upload at all) is refused.
      expect(attachments.details).toEqual([
        { field: 'attachmentIds', message: 'every attachment must be media you uploaded' },
      ]);
      // Exactly 4000 characters (after trimming) is fine, as is a 64-character clientMessageId.
      await api.send(alice, room.id, ` ${'y'.repeat(4000)} `, { clientMessageId: 'c'.repeat(64) });
      expect((await api.room(alice, room.id)).lastSeq).toBe(1);
    });

    it('answers 404 for rooms the caller is not in', async () => {
      const { room } = await group(1);
      const outsider = await registerUser(app);
      expectError(
        await api.sendRaw(outsider, room.id, { clientMessageId: 'a', content: 'x' }),
        404,
        'ROOM_NOT_FOUND',
      );
      expectError(
        await api.sendRaw(outsider, randomUUID(), { clientMessageId: 'a', content: 'x' }),
        404,
        'ROOM_NOT_FOUND',
      );
    });
  });

  describe('pages and threads', () => {
    it('pages newest first with before, oldest first with after, and follows cursors', async () => {
      const { room, users } = await group(1);
      const [alice] = users;
      for (let i = 1; i <= 7; i += 1) await api.send(alice, room.id, `m${i}`);

      const newest = await api.page(alice, room.id, '?limit=3');
      expect(newest.items.map((m: any) => m.seq)).toEqual([7, 6, 5]);
      const older = await api.page(alice, room.id, `?limit=3&cursor=${newest.nextCursor}`);
      expect(older.items.map((m: any) => m.seq)).toEqual([4, 3, 2]);
      const oldest = await api.page(alice, room.id, `?limit=3&cursor=${older.nextCursor}`);
      expect(oldest.items.map((m: any) => m.seq)).toEqual([1]);
      expect(oldest.nextCursor).toBeNull();

      expect((await api.page(alice, room.id, '?before=3')).items.map((m: any) => m.seq)).toEqual([2, 1]);
      const forward = await api.page(alice, room.id, '?after=2&limit=3');
      expect(forward.items.map((m: any) => m.seq)).toEqual([3, 4, 5]);
      const rest = await api.page(alice, room.id, `?limit=3&cursor=${forward.nextCursor}`);
      expect(rest.items.map((m: any) => m.seq)).toEqual([6, 7]);
      expect(rest.nextCursor).toBeNull();
      expect((await api.page(alice, room.id, '?after=7')).items).toEqual([]);

      for (const query of [
        '?before=2&after=1',
        '?before=0',
        '?after=-1',
        '?after=x',
        '?limit=500',
        '?cursor=zzz',
      ]) {
        expectError(
          await http.get(`/api/v1/rooms/${room.id}/messages${query}`, { token: alice.accessToken }),
          400,
          'VALIDATION_FAILED',
        );
      }
    });

    it('keeps threads: replies to top-level messages of the same room, counted on the parent', async () => {
      const { room, users } = await group(2);
      const [alice, bob] = users;
      const parent = await api.send(alice, room.id, 'topic');
      const r1 = await api.send(bob, room.id, 'reply one', { parentId: parent.id });
      await api.send(alice, room.id, 'unrelated');
      const r2 = await api.send(alice, room.id, 'reply two', { parentId: parent.id });
      expect(r1).toMatchObject({ parentId: parent.id, seq: 2 });

      const thread = await api.page(bob, room.id, `?parentId=${parent.id}&after=0`);
      expect(thread.items.map((m: any) => m.id)).toEqual([r1.id, r2.id]);
      expect(
        (await http.get(`/api/v1/messages/${parent.id}`, { token: bob.accessToken })).body.threadReplyCount,
      ).toBe(2);
      // The room's own timeline has every message, replies included, so `after` misses nothing.
      expect((await api.allMessages(bob, room.id)).map((m) => m.seq)).toEqual([1, 2, 3, 4]);

      await http.delete(`/api/v1/messages/${r2.id}`, undefined, { token: alice.accessToken });
      expect(
        (await http.get(`/api/v1/messages/${parent.id}`, { token: bob.accessToken })).body.threadReplyCount,
      ).toBe(1);

      // A resend of a reply still answers with the stored reply after its thread's parent is gone.
      const topic = await api.send(alice, room.id, 'short-lived topic');
      const reply = { clientMessageId: randomUUID(), content: 'a reply', parentId: topic.id };
      const stored = await api.sendRaw(bob, room.id, reply);
      await http.delete(`/api/v1/messages/${topic.id}`, undefined, { token: alice.accessToken });
      const resent = await api.sendRaw(bob, room.id, reply);
      expect([stored.status, resent.status]).toEqual([201, 200]);
      expect(resent.body.id).toBe(stored.body.id);
      expectError(
        await api.sendRaw(bob, room.id, { ...reply, clientMessageId: randomUUID() }),
        400,
        'INVALID_PARENT',
      );

      const other = await group(1);
      const foreign = await api.send(other.users[0], other.room.id, 'elsewhere');
      for (const parentId of [r1.id, foreign.id, randomUUID()]) {
        expectError(
          await api.sendRaw(alice, room.id, { clientMessageId: randomUUID(), content: 'x', parentId }),
          400,
          'INVALID_PARENT',
        );
      }
      expectError(
        await http.get(`/api/v1/rooms/${room.id}/messages?parentId=${foreign.id}`, {
          token: alice.accessToken,
        }),
        404,
        'MESSAGE_NOT_FOUND',
      );
    });

    it('shows each message in a page exactly as GET /messages/:id shows it to the same viewer', async () => {
      const { room, users } = await group(3);
      const [alice, bob, carol] = users;
      const notes = await uploadText(alice, 'notes.txt', 'some notes');
      const photo = await uploadPng(alice, 'cat.png', 40, 30);
      // The thumbnail is made in the background: wait for it, so both reads below see the same media.
      await eventually(async () => {
        const media = await http.get(`/api/v1/media/${photo.id}`, { token: alice.accessToken });
        return media.body.hasThumbnail ? true : undefined;
      }, 'the thumbnail');
      const topic = await api.send(alice, room.id, `hi @${bob.user.username}`, {
        attachmentIds: [photo.id, notes.id],
      });
      const react = (user: RegisteredUser, id: string, emoji: string) =>
        http.put(`/api/v1/messages/${id}/reactions/${encodeURIComponent(emoji)}`, undefined, {
          token: user.accessToken,
        });
      await react(carol, topic.id, 'party');
      await react(bob, topic.id, '👍');
      await react(carol, topic.id, '👍');
      const reply = await api.send(carol, room.id, 'a "quoted" reply\nwith ünïcödé 👋', {
        parentId: topic.id,
      });
      const edited = await api.send(bob, room.id, 'first draft');
      await http.patch(
        `/api/v1/messages/${edited.id}`,
        { content: 'second draft' },
        { token: bob.accessToken },
      );
      const doomed = await api.send(alice, room.id, `bye @${carol.user.username}`, { attachmentIds: [] });
      await react(bob, doomed.id, 'ok');
      await http.delete(`/api/v1/messages/${doomed.id}`, undefined, { token: alice.accessToken });

      for (const viewer of users) {
        for (const query of ['?limit=100', '?after=0&limit=2', `?parentId=${topic.id}`]) {
          const res = await http.get(`/api/v1/rooms/${room.id}/messages${query}`, {
            token: viewer.accessToken,
          });
          expect(res.status).toBe(200);
          expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
          expect(res.body.items.length).toBeGreaterThan(0);
          for (const item of res.body.items) {
            const single = await http.get(`/api/v1/messages/${item.id}`, { token: viewer.accessToken });
            // Same fields, same values, same order.
            expect(JSON.stringify(item)).toBe(JSON.stringify(single.body));
          }
        }
      }

      const asCarol = await api.page(carol, room.id);
      expect(asCarol.items.map((m: any) => m.id)).toEqual([doomed.id, edited.id, reply.id, topic.id]);
      const [tombstone, second, , first] = asCarol.items;
      expect(tombstone).toMatchObject({ content: null, mentions: [], reactions: [], attachments: [] });
      expect(second).toMatchObject({ content: 'second draft', editedAt: expect.any(String) });
      expect(first.reactions).toEqual([
        { emoji: 'party', count: 1, me: true },
        { emoji: '👍', count: 2, me: true },
      ]);
      expect(first.attachments).toEqual([
        {
          id: photo.id,
          fileName: 'cat.png',
          mimeType: 'image/png',
          size: photo.size,
          hasThumbnail: true,
          width: 40,
          height: 30,
        },
        { id: notes.id, fileName: 'notes.txt', mimeType: 'text/plain', size: 10, hasThumbnail: false },
      ]);
      expect(first.mentions).toEqual([bob.user.id]);
      expect((await api.page(alice, room.id)).items[3].reactions.map((r: any) => r.me)).toEqual([
        false,
        false,
      ]);
    });

    it('answers anyone but a member 404 before looking at the cursor', async () => {
      const { room, users } = await group(1);
      const [alice] = users;
      const outsider = await registerUser(app);
      await api.send(alice, room.id, 'hello');
      for (const query of ['?cursor=zzz', `?before=5&cursor=${encodeURIComponent('WyJhZnRlciIsMV0')}`]) {
        expectError(
          await http.get(`/api/v1/rooms/${room.id}/messages${query}`, { token: alice.accessToken }),
          400,
          'VALIDATION_FAILED',
        );
        expectError(
          await http.get(`/api/v1/rooms/${room.id}/messages${query}`, { token: outsider.accessToken }),
          404,
          'ROOM_NOT_FOUND',
        );
      }
      expectError(
        await http.get(`/api/v1/rooms/${room.id}/messages?parentId=${randomUUID()}`, {
          token: outsider.accessToken,
        }),
        404,
        'ROOM_NOT_FOUND',
      );
      expect(
        await api.page(alice, room.id, `?parentId=${(await api.page(alice, room.id)).items[0].id}`),
      ).toEqual({
        items: [],
        nextCursor: null,
      });
    });
  });

  describe('edit and delete', () => {
    it('lets the sender edit, keeping previous versions, and re-parses mentions', async () => {
      const { room, users } = await group(2);
      const [alice, bob] = users;
      const message = await api.send(alice, room.id, 'first draft');
      const edited = await http.patch(
        `/api/v1/messages/${message.id}`,
        { content: ` second, cc @${bob.user.username} ` },
        { token: alice.accessToken },
      );
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({
        id: message.id,
        seq: 1,
        rev: 2,
        content: `second, cc @${bob.user.username}`,
        mentions: [bob.user.id],
        editedAt: expect.any(String),
        deletedAt: null,
      });
      expectError(
        await http.patch(`/api/v1/messages/${message.id}`, { content: 'hijack' }, { token: bob.accessToken }),
        403,
        'FORBIDDEN',
      );
      expectError(
        await http.patch(`/api/v1/messages/${message.id}`, { content: '  ' }, { token: alice.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
      const versions = await sqlRows(
        'SELECT content FROM message_edits WHERE message_id = $1 ORDER BY replaced_at',
        [message.id],
      );
      expect(versions.map((v) => v.content)).toEqual(['first draft']);
    });

    it('lists previous versions to members, most recently replaced first, page by page', async () => {
      const { room, users } = await group(2);
      const [alice, bob] = users;
      const [outsider] = await registerUsers(app, 1);
      const message = await api.send(alice, room.id, 'version 1');
      for (const content of ['version 2', 'version 3', 'version 4']) {
        const res = await http.patch(
          `/api/v1/messages/${message.id}`,
          { content },
          { token: alice.accessToken },
        );
        expect(res.status).toBe(200);
      }
      const versionsUrl = `/api/v1/messages/${message.id}/versions`;

      const first = await http.get(`${versionsUrl}?limit=2`, { token: bob.accessToken });
      expect(first.status).toBe(200);
      expect(first.body.items).toEqual([
        { content: 'version 3', replacedAt: expect.any(String) },
        { content: 'version 2', replacedAt: expect.any(String) },
      ]);
      expect(Date.parse(first.body.items[0].replacedAt)).toBeGreaterThanOrEqual(
        Date.parse(first.body.items[1].replacedAt),
      );
      const second = await http.get(`${versionsUrl}?limit=2&cursor=${first.body.nextCursor}`, {
        token: bob.accessToken,
      });
      expect(second.body).toEqual({
        items: [{ content: 'version 1', replacedAt: expect.any(String) }],
        nextCursor: null,
      });

      const never = await api.send(alice, room.id, 'never edited');
      expect(
        (await http.get(`/api/v1/messages/${never.id}/versions`, { token: bob.accessToken })).body,
      ).toEqual({
        items: [],
        nextCursor: null,
      });
      expectError(await http.get(versionsUrl, { token: outsider.accessToken }), 404, 'MESSAGE_NOT_FOUND');
      expectError(
        await http.get(`${versionsUrl}?cursor=not-a-cursor`, { token: bob.accessToken }),
        400,
        'VALIDATION_FAILED',
      );

      // A tombstone keeps no versions.
      expect(
        (await http.delete(`/api/v1/messages/${message.id}`, undefined, { token: alice.accessToken })).status,
      ).toBe(204);
      expect((await http.get(versionsUrl, { token: bob.accessToken })).body.items).toEqual([]);
    });

    it('deletes to a tombstone that keeps its seq; sender or admin+, idempotent', async () => {
      const { room, users } = await group(3);
      const [owner, member, other] = users;
      const mine = await api.send(member, room.id, 'mine');
      const theirs = await api.send(other, room.id, 'theirs');
      await api.send(other, room.id, 'last');

      expectError(
        await http.delete(`/api/v1/messages/${theirs.id}`, undefined, { token: member.accessToken }),
        403,
      );
      expect(
        (await http.delete(`/api/v1/messages/${mine.id}`, undefined, { token: member.accessToken })).status,
      ).toBe(204);
      expect(
        (await http.delete(`/api/v1/messages/${theirs.id}`, undefined, { token: owner.accessToken })).status,
      ).toBe(204);
      expect(
        (await http.delete(`/api/v1/messages/${mine.id}`, undefined, { token: member.accessToken })).status,
      ).toBe(204);

      const all = await api.allMessages(other, room.id);
      expect(all.map((m) => m.seq)).toEqual([1, 2, 3]);
      expect(all[0]).toMatchObject({
        id: mine.id,
        content: null,
        mentions: [],
        deletedAt: expect.any(String),
      });
      expect(all[1]).toMatchObject({ id: theirs.id, content: null, deletedAt: expect.any(String) });
      expect(all[2]).toMatchObject({ content: 'last', deletedAt: null });
      // Two deletions took two revs; the repeated delete took none.
      expect((await api.room(owner, room.id)).rev).toBe(5);

      expectError(
        await http.patch(
          `/api/v1/messages/${mine.id}`,
          { content: 'resurrect' },
          { token: member.accessToken },
        ),
        409,
        'MESSAGE_DELETED',
      );
      expectError(
        await http.put(`/api/v1/messages/${mine.id}/reactions/${encodeURIComponent('👍')}`, undefined, {
          token: other.accessToken,
        }),
        409,
        'MESSAGE_DELETED',
      );
    });
  });

  describe('reactions', () => {
    it('adds and removes idempotently, summarised per emoji relative to the viewer', async () => {
      const { room, users } = await group(3);
      const [alice, bob, carol] = users;
      const message = await api.send(alice, room.id, 'react to me');
      const thumbs = encodeURIComponent('👍');
      const put = (user: RegisteredUser, emoji: string) =>
        http.put(`/api/v1/messages/${message.id}/reactions/${emoji}`, undefined, { token: user.accessToken });

      expect((await put(bob, thumbs)).status).toBe(204);
      expect((await put(bob, thumbs)).status).toBe(204);
      expect((await put(carol, thumbs)).status).toBe(204);
      expect((await put(carol, 'party')).status).toBe(204);

      const asBob = (await http.get(`/api/v1/messages/${message.id}`, { token: bob.accessToken })).body;
      expect(asBob.reactions).toEqual([
        { emoji: '👍', count: 2, me: true },
        { emoji: 'party', count: 1, me: false },
      ]);
      // 1 create + 3 real reaction changes; the repeated PUT took no rev.
      expect(asBob.rev).toBe(4);
      const asAlice = (await http.get(`/api/v1/messages/${message.id}`, { token: alice.accessToken })).body;
      expect(asAlice.reactions.map((r: any) => r.me)).toEqual([false, false]);

      const del = (user: RegisteredUser, emoji: string) =>
        http.delete(`/api/v1/messages/${message.id}/reactions/${emoji}`, undefined, {
          token: user.accessToken,
        });
      expect((await del(bob, thumbs)).status).toBe(204);
      expect((await del(bob, thumbs)).status).toBe(204);
      expect((await del(alice, 'never-added')).status).toBe(204);
      const after = (await http.get(`/api/v1/messages/${message.id}`, { token: bob.accessToken })).body;
      expect(after.reactions).toEqual([
        { emoji: '👍', count: 1, me: false },
        { emoji: 'party', count: 1, me: false },
      ]);
      expect(after.rev).toBe(5);

      // The history page and the changes feed (which skip messages without reactions) agree with GET /messages/:id.
      const shown = async () => ({
        page: (await api.page(bob, room.id)).items[0].reactions,
        changes: (await api.changes(bob, room.id, 0)).messages[0].reactions,
      });
      expect(await shown()).toEqual({ page: after.reactions, changes: after.reactions });
      expect((await del(carol, thumbs)).status).toBe(204);
      expect((await del(carol, 'party')).status).toBe(204);
      expect(await shown()).toEqual({ page: [], changes: [] });
      expect((await put(bob, 'party')).status).toBe(204);
      const again = [{ emoji: 'party', count: 1, me: true }];
      expect(await shown()).toEqual({ page: again, changes: again });
    });

    it('validates the emoji path parameter', async () => {
      const { room, users } = await group(1);
      const [alice] = users;
      const message = await api.send(alice, room.id, 'x');
      for (const emoji of [
        encodeURIComponent('a b'),
        encodeURIComponent('tab\t'),
        encodeURIComponent('\u0007'),
        'x'.repeat(33),
      ]) {
        expectError(
          await http.put(`/api/v1/messages/${message.id}/reactions/${emoji}`, undefined, {
            token: alice.accessToken,
          }),
          400,
          'VALIDATION_FAILED',
        );
      }
      const family = encodeURIComponent('👨‍👩‍👧‍👦');
      expect(
        (
          await http.put(`/api/v1/messages/${message.id}/reactions/${family}`, undefined, {
            token: alice.accessToken,
          })
        ).status,
      ).toBe(204);
    });
  });

  describe('changes feed', () => {
    it('returns every create, edit, delete and reaction change after sinceRev, in rev order', async () => {
      const { room, users } = await group(2);
      const [alice, bob] = users;
      const m1 = await api.send(alice, room.id, 'one');
      const m2 = await api.send(bob, room.id, 'two');
      const m3 = await api.send(alice, room.id, 'three');
      const start = await api.changes(bob, room.id, 0);
      expect(start).toMatchObject({ rev: 3, hasMore: false });
      expect(start.messages.map((m: any) => m.id)).toEqual([m1.id, m2.id, m3.id]);

      await http.patch(`/api/v1/messages/${m1.id}`, { content: 'one, edited' }, { token: alice.accessToken }); // rev 4
      await http.put(`/api/v1/messages/${m2.id}/reactions/ok`, undefined, { token: alice.accessToken }); // rev 5
      await http.delete(`/api/v1/messages/${m3.id}`, undefined, { token: alice.accessToken }); // rev 6
      await http.delete(`/api/v1/messages/${m2.id}/reactions/ok`, undefined, { token: alice.accessToken }); // rev 7
      const m4 = await api.send(bob, room.id, 'four'); // rev 8

      const changes = await api.changes(bob, room.id, 3);
      expect(changes.rev).toBe(8);
      expect(changes.hasMore).toBe(false);
      expect(changes.messages.map((m: any) => [m.id, m.rev])).toEqual([
        [m1.id, 4],
        [m3.id, 6],
        [m2.id, 7],
        [m4.id, 8],
      ]);
      expect(changes.messages[0]).toMatchObject({ content: 'one, edited', editedAt: expect.any(String) });
      expect(changes.messages[1]).toMatchObject({ content: null, deletedAt: expect.any(String) });
      expect(changes.messages[2]).toMatchObject({ reactions: [] });

      const firstHalf = await api.changes(bob, room.id, 3, 2);
      expect(firstHalf).toMatchObject({ rev: 6, hasMore: true });
      expect(firstHalf.messages.map((m: any) => m.rev)).toEqual([4, 6]);
      const secondHalf = await api.changes(bob, room.id, firstHalf.rev, 2);
      expect(secondHalf).toMatchObject({ rev: 8, hasMore: false });
      expect(secondHalf.messages.map((m: any) => m.rev)).toEqual([7, 8]);
      expect(await api.changes(bob, room.id, 8)).toEqual({ messages: [], rev: 8, hasMore: false });

      for (const query of ['sinceRev=-1', 'sinceRev=x', 'limit=0', 'limit=1001']) {
        expectError(
          await http.get(`/api/v1/rooms/${room.id}/changes?${query}`, { token: bob.accessToken }),
          400,
          'VALIDATION_FAILED',
        );
      }
    });
  });

  describe('search', () => {
    it("finds Latin and Cyrillic words, best match first, only in the caller's rooms, never deleted content", async () => {
      const [alice, bob, carol] = await registerUsers(app, 3);
      const shared = await api.createGroup(alice, [bob]);
      const private_ = await api.createGroup(alice, [carol]);
      const tag = `zq${randomUUID().slice(0, 8)}`;
      const hello = await api.send(alice, shared.id, `Привет мир ${tag}`);
      const strong = await api.send(bob, shared.id, `${tag} ${tag} ${tag} hello world`);
      const weak = await api.send(alice, shared.id, `hello there ${tag}`);
      const hidden = await api.send(carol, private_.id, `привет from the private room ${tag}`);
      const doomed = await api.send(bob, shared.id, `secret ${tag} plan`);

      const ids = async (user: RegisteredUser, query: string): Promise<string[]> => {
        const res = await api.search(user, query);
        expect(res.status).toBe(200);
        return res.body.items.map((m: any) => m.id);
      };

      expect(await ids(bob, `q=${encodeURIComponent('ПРИВЕТ ' + tag)}`)).toEqual([hello.id]);
      expect((await ids(alice, `q=${encodeURIComponent('привет ' + tag)}`)).sort()).toEqual(
        [hidden.id, hello.id].sort(),
      );
      expect(await ids(bob, `q=${encodeURIComponent('привет мир')}&roomId=${shared.id}`)).toContain(hello.id);
      expect(await ids(carol, `q=${encodeURIComponent('мир ' + tag)}`)).toEqual([]);
      expect(await ids(bob, `q=${encodeURIComponent('hello ' + tag)}`)).toEqual([strong.id, weak.id]);
      expect(await ids(bob, `q=${encodeURIComponent('secret ' + tag)}`)).toEqual([doomed.id]);

      await http.delete(`/api/v1/messages/${doomed.id}`, undefined, { token: bob.accessToken });
      expect(await ids(bob, `q=${encodeURIComponent('secret ' + tag)}`)).toEqual([]);

      // Paging walks every hit exactly once, in the same order.
      const all = await ids(alice, `q=${tag}&limit=100`);
      expect(all).toHaveLength(4);
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const res: any = await api.search(alice, `q=${tag}&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        paged.push(...res.body.items.map((m: any) => m.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(paged).toEqual(all);

      expectError(await api.search(carol, `q=${tag}&roomId=${shared.id}`), 404, 'ROOM_NOT_FOUND');
      expectError(await api.search(carol, 'q='), 400, 'VALIDATION_FAILED');
      expectError(await api.search(carol, ''), 400, 'VALIDATION_FAILED');
      expectError(await api.search(carol, 'q=x&roomId=nope'), 400, 'VALIDATION_FAILED');
      expectError(await api.search(carol, 'q=x&cursor=nope'), 400, 'VALIDATION_FAILED');
      // Query syntax a user might type never breaks the search.
      for (const q of ['"unterminated', 'a & | ! (', '-', 'or']) {
        expect((await api.search(alice, `q=${encodeURIComponent(q)}`)).status).toBe(200);
      }
    });

    it('finds words inside Chinese, Japanese and Korean text, which has no spaces between words', async () => {
      const { room, users } = await group(2);
      const [alice, bob] = users;
      const tag = `zq${randomUUID().slice(0, 8)}`;
      const chinese = await api.send(alice, room.id, `明天的会议在三点。${tag}`);
      const japanese = await api.send(bob, room.id, `会議室は３階です ${tag}`);
      const korean = await api.send(alice, room.id, `회의는 내일입니다 ${tag}`);
      const mixed = await api.send(bob, room.id, `Parley的设计文档 ${tag}`);

      const ids = async (query: string): Promise<string[]> => {
        const res = await api.search(alice, `q=${encodeURIComponent(query)}&roomId=${room.id}`);
        expect(res.status).toBe(200);
        return res.body.items.map((m: any) => m.id);
      };

      expect(await ids('会议')).toEqual([chinese.id]);
      expect(await ids('会議室')).toEqual([japanese.id]);
      expect(await ids('회의')).toEqual([korean.id]);
      expect(await ids('设计')).toEqual([mixed.id]);
      expect(await ids('parley')).toEqual([mixed.id]);
      // The characters must stand together and in order, as in a substring search.
      expect(await ids('议会')).toEqual([]);
      expect(await ids('明会')).toEqual([]);
      // Quoted phrases, alternatives and exclusions work with them as with any word.
      expect(await ids(`"三点" ${tag}`)).toEqual([chinese.id]);
      expect((await ids('会议 or 회의')).sort()).toEqual([chinese.id, korean.id].sort());
      expect((await ids(`${tag} -会议 -设计`)).sort()).toEqual([japanese.id, korean.id].sort());
    });
  });

  describe('account deletion and export', () => {
    it("exports the caller's rooms and own messages", async () => {
      const { room, users } = await group(2);
      const [alice, bob] = users;
      const mine = await api.send(alice, room.id, 'export me');
      await api.send(bob, room.id, 'not mine');
      const res = await http.get('/api/v1/users/me/export', { token: alice.accessToken });
      expect(res.status).toBe(200);
      expect(res.body.rooms).toEqual([
        expect.objectContaining({ id: room.id, role: 'owner', type: 'group' }),
      ]);
      expect(res.body.messages).toEqual([
        expect.objectContaining({ id: mine.id, roomId: room.id, seq: 1, content: 'export me' }),
      ]);
    });

    it('tombstones every message of a deleted account, each with a new rev, and hands ownership over', async () => {
      const { room, users } = await group(2);
      const [leaver, stayer] = users;
      const direct = (await api.createDirect(leaver, stayer)).body;
      await api.send(leaver, room.id, 'one');
      await api.send(stayer, room.id, 'two');
      await api.send(leaver, room.id, 'three');
      await api.send(leaver, direct.id, 'direct');
      const before = await api.changes(stayer, room.id, 0);

      const deleted = await http.delete(
        '/api/v1/users/me',
        { password: leaver.password },
        { token: leaver.accessToken },
      );
      expect(deleted.status).toBe(204);

      // Done by the time the deletion is answered (API.md: "204; account is deleted: … own messages
      // tombstoned"), not some time later.
      const changes = await api.changes(stayer, room.id, before.rev);
      expect(changes.messages.map((m: any) => [m.seq, m.content, m.rev])).toEqual([
        [1, null, before.rev + 1],
        [3, null, before.rev + 2],
      ]);
      const directMessages = (await api.page(stayer, direct.id)).items;
      expect(directMessages[0]).toMatchObject({ content: null, deletedAt: expect.any(String) });
      const timeline = await api.allMessages(stayer, room.id);
      expect(timeline.map((m) => m.content)).toEqual([null, 'two', null]);

      const members = await api.members(stayer, room.id);
      expect(members).toEqual([expect.objectContaining({ userId: stayer.user.id, role: 'owner' })]);
    });
  });
});
