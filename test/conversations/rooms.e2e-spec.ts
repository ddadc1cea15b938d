import { randomUUID } from 'node:crypto';
import { TestApp } from '../support/app';
import { expectError, Http } from '../support/http';
import { registerUser, RegisteredUser } from '../support/users';
import { Api, registerUsers, startConversationsApp } from './helpers';

describe('rooms and membership', () => {
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

  describe('groups', () => {
    it('creates a group with the caller as owner and the others as members', async () => {
      const [owner, a, b] = await registerUsers(app, 3);
      const res = await http.post(
        '/api/v1/rooms',
        { type: 'group', name: '  Launch  ', description: 'Ship it', memberIds: [a.user.id, b.user.id] },
        { token: owner.accessToken },
      );
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        type: 'group',
        name: 'Launch',
        description: 'Ship it',
        createdAt: expect.any(String),
        lastSeq: 0,
        rev: 0,
        memberCount: 3,
        myRole: 'owner',
        peerId: null,
      });
      const members = await api.members(a, res.body.id);
      expect(Object.fromEntries(members.map((m) => [m.userId, m.role]))).toEqual({
        [owner.user.id]: 'owner',
        [a.user.id]: 'member',
        [b.user.id]: 'member',
      });
      expect(members[0]).toEqual({
        userId: expect.any(String),
        username: expect.any(String),
        displayName: null,
        role: expect.any(String),
        joinedAt: expect.any(String),
        lastDeliveredSeq: 0,
        lastReadSeq: 0,
      });
      expect((await api.room(a, res.body.id)).myRole).toBe('member');
    });

    it('validates the body', async () => {
      const owner = await registerUser(app);
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ type: 'group', memberIds: [] }, 'name'],
        [{ type: 'channel', name: 'x', memberIds: [] }, 'type'],
        [{ type: 'group', name: '', memberIds: [] }, 'name'],
        [{ type: 'group', name: null, memberIds: [] }, 'name'],
        [{ type: 'group', name: 'x'.repeat(101), memberIds: [] }, 'name'],
        [{ type: 'group', name: 'ok', memberIds: ['not-a-uuid'] }, 'memberIds'],
        [{ type: 'group', name: 'ok' }, 'memberIds'],
        [{ type: 'group', name: 'ok', memberIds: [], extra: 1 }, 'extra'],
      ];
      for (const [body, field] of cases) {
        const res = await http.post('/api/v1/rooms', body, { token: owner.accessToken });
        const error = expectError(res, 400, 'VALIDATION_FAILED');
        expect(error.details.map((d: { field: string }) => d.field)).toContain(field);
      }
    });

    it('answers 404 USER_NOT_FOUND for unknown members', async () => {
      const owner = await registerUser(app);
      const res = await http.post(
        '/api/v1/rooms',
        { type: 'group', name: 'x', memberIds: [randomUUID()] },
        { token: owner.accessToken },
      );
      expectError(res, 404, 'USER_NOT_FOUND');
    });

    it('lets admins rename and describe; owners delete; then everything about it is 404', async () => {
      const [owner, admin, member] = await registerUsers(app, 3);
      const room = await api.createGroup(owner, [admin, member]);
      await api.setRole(owner, room.id, admin, 'admin');

      const renamed = await http.patch(
        `/api/v1/rooms/${room.id}`,
        { name: 'Renamed', description: 'About' },
        { token: admin.accessToken },
      );
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ name: 'Renamed', description: 'About', myRole: 'admin' });
      const cleared = await http.patch(
        `/api/v1/rooms/${room.id}`,
        { description: null },
        { token: owner.accessToken },
      );
      expect(cleared.body).toMatchObject({ name: 'Renamed', description: null });
      // A description can be cleared, a group's name cannot.
      const unnamed = await http.patch(
        `/api/v1/rooms/${room.id}`,
        { name: null },
        { token: owner.accessToken },
      );
      expect(expectError(unnamed, 400, 'VALIDATION_FAILED').details[0].field).toBe('name');
      expect((await http.get(`/api/v1/rooms/${room.id}`, { token: owner.accessToken })).body.name).toBe(
        'Renamed',
      );

      const message = await api.send(member, room.id, 'before the end');
      expect(
        (await http.delete(`/api/v1/rooms/${room.id}`, undefined, { token: owner.accessToken })).status,
      ).toBe(204);
      for (const user of [owner, admin, member]) {
        expectError(
          await http.get(`/api/v1/rooms/${room.id}`, { token: user.accessToken }),
          404,
          'ROOM_NOT_FOUND',
        );
        expectError(
          await http.get(`/api/v1/rooms/${room.id}/messages`, { token: user.accessToken }),
          404,
          'ROOM_NOT_FOUND',
        );
        expectError(
          await http.get(`/api/v1/messages/${message.id}`, { token: user.accessToken }),
          404,
          'MESSAGE_NOT_FOUND',
        );
        expectError(
          await api.sendRaw(user, room.id, { clientMessageId: 'x', content: 'hi' }),
          404,
          'ROOM_NOT_FOUND',
        );
        const list = await api.myRooms(user);
        expect(list.items.map((r: { id: string }) => r.id)).not.toContain(room.id);
      }
      expectError(
        await http.delete(`/api/v1/rooms/${room.id}`, undefined, { token: owner.accessToken }),
        404,
      );
    });

    it('answers 400 for malformed room ids', async () => {
      const user = await registerUser(app);
      expectError(
        await http.get('/api/v1/rooms/not-a-uuid', { token: user.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('requires a token', async () => {
      expectError(await http.get('/api/v1/rooms'), 401);
      expectError(await http.post('/api/v1/rooms', { type: 'group', name: 'x', memberIds: [] }), 401);
    });
  });

  it('refuses room and display names that are not one line, which could forge lines in notification emails', async () => {
    const [owner, member] = await registerUsers(app, 2);
    const broken = ['Team\r\nBcc: evil@example.test', 'tab\there', 'Team\u2028two'];
    for (const name of broken) {
      const created = await http.post(
        '/api/v1/rooms',
        { type: 'group', name, memberIds: [member.user.id] },
        { token: owner.accessToken },
      );
      expect(expectError(created, 400, 'VALIDATION_FAILED').details).toEqual([
        { field: 'name', message: 'name must be one line of text, without control characters' },
      ]);
      expectError(
        await http.patch('/api/v1/users/me', { displayName: name }, { token: owner.accessToken }),
        400,
      );
      const username = `nl${randomUUID().slice(0, 8)}`;
      expectError(
        await http.post('/api/v1/auth/register', {
          username,
          email: `${username}@example.test`,
          password: 'long enough password',
          displayName: name,
        }),
        400,
        'VALIDATION_FAILED',
      );
    }
    const room = await api.createGroup(owner, [member], 'Fine name');
    expectError(
      await http.patch(`/api/v1/rooms/${room.id}`, { name: 'a\nb' }, { token: owner.accessToken }),
      400,
      'VALIDATION_FAILED',
    );
    expect((await api.room(owner, room.id)).name).toBe('Fine name');
  });

  describe('direct rooms', () => {
    it('has exactly two members and is unique per pair: opening it again returns it with 200', async () => {
      const [a, b] = await registerUsers(app, 2);
      const first = await api.createDirect(a, b);
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        type: 'direct',
        name: null,
        memberCount: 2,
        myRole: 'member',
        peerId: b.user.id,
      });
      const again = await api.createDirect(a, b);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
      const reverse = await api.createDirect(b, a);
      expect(reverse.status).toBe(200);
      expect(reverse.body).toMatchObject({ id: first.body.id, peerId: a.user.id });
    });

    it('needs exactly one other member, and no name', async () => {
      const [a, b, c] = await registerUsers(app, 3);
      for (const body of [
        { type: 'direct', memberIds: [] },
        { type: 'direct', memberIds: [a.user.id] },
        { type: 'direct', memberIds: [b.user.id, c.user.id] },
        { type: 'direct', name: 'x', memberIds: [b.user.id] },
      ]) {
        expectError(
          await http.post('/api/v1/rooms', body, { token: a.accessToken }),
          400,
          'VALIDATION_FAILED',
        );
      }
      expectError(
        await http.post(
          '/api/v1/rooms',
          { type: 'direct', memberIds: [randomUUID()] },
          { token: a.accessToken },
        ),
        404,
        'USER_NOT_FOUND',
      );
    });

    it('cannot be opened or written to across a block, either way', async () => {
      const [blocker, blocked, other] = await registerUsers(app, 3);
      const room = (await api.createDirect(blocked, blocker)).body;
      await api.send(blocked, room.id, 'hello before the block');
      const block = await http.post(`/api/v1/users/${blocked.user.id}/block`, undefined, {
        token: blocker.accessToken,
      });
      expect(block.status).toBe(204);

      expectError(await api.createDirect(blocked, blocker), 403, 'USER_BLOCKED');
      expectError(await api.createDirect(blocker, blocked), 403, 'USER_BLOCKED');
      expectError(
        await api.sendRaw(blocked, room.id, { clientMessageId: randomUUID(), content: 'hi' }),
        403,
        'USER_BLOCKED',
      );
      expectError(
        await api.sendRaw(blocker, room.id, { clientMessageId: randomUUID(), content: 'hi' }),
        403,
        'USER_BLOCKED',
      );
      // Groups the blocker joins are not affected by blocks, and the history stays readable.
      const group = await api.createGroup(blocker, [blocked, other]);
      await api.send(blocked, group.id, 'still fine in groups');
      expect((await api.page(blocker, room.id)).items).toHaveLength(1);
      // But the blocked user cannot pull the blocker into a room: not a new group, not an existing one.
      const refusedGroup = await http.post(
        '/api/v1/rooms',
        { type: 'group', name: 'Again', memberIds: [blocker.user.id, other.user.id] },
        { token: blocked.accessToken },
      );
      expect(expectError(refusedGroup, 403, 'USER_BLOCKED').details).toEqual([
        { field: 'memberIds', message: 'this user has blocked you', userId: blocker.user.id },
      ]);
      const own = await api.createGroup(blocked, [other]);
      const refusedAdd = await http.post(
        `/api/v1/rooms/${own.id}/members`,
        { userIds: [blocker.user.id] },
        { token: blocked.accessToken },
      );
      expectError(refusedAdd, 403, 'USER_BLOCKED');
      const members = await http.get(`/api/v1/rooms/${own.id}/members`, { token: blocked.accessToken });
      expect(members.body.items.map((member: { userId: string }) => member.userId)).not.toContain(
        blocker.user.id,
      );

      await http.delete(`/api/v1/users/${blocked.user.id}/block`, undefined, { token: blocker.accessToken });
      await api.send(blocked, room.id, 'after the unblock');
    });

    it('cannot be renamed, deleted, left or extended', async () => {
      const [a, b, c] = await registerUsers(app, 3);
      const room = (await api.createDirect(a, b)).body;
      expectError(await http.patch(`/api/v1/rooms/${room.id}`, { name: 'x' }, { token: a.accessToken }), 403);
      expectError(await http.delete(`/api/v1/rooms/${room.id}`, undefined, { token: a.accessToken }), 403);
      expectError(
        await http.post(
          `/api/v1/rooms/${room.id}/members`,
          { userIds: [c.user.id] },
          { token: a.accessToken },
        ),
        403,
      );
      expectError(
        await http.delete(`/api/v1/rooms/${room.id}/members/${a.user.id}`, undefined, {
          token: a.accessToken,
        }),
        403,
      );
    });
  });

  describe('members', () => {
    it('adds members (idempotently), announces only the new ones, and lists them paginated', async () => {
      const [owner, a, b, c] = await registerUsers(app, 4);
      const room = await api.createGroup(owner, [a]);
      const added = await http.post(
        `/api/v1/rooms/${room.id}/members`,
        { userIds: [a.user.id, b.user.id, c.user.id] },
        { token: owner.accessToken },
      );
      expect(added.status).toBe(201);
      expect(added.body.map((m: { userId: string }) => m.userId).sort()).toEqual(
        [a.user.id, b.user.id, c.user.id].sort(),
      );
      expect((await api.room(owner, room.id)).memberCount).toBe(4);

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=1&cursor=${cursor}` : '?limit=1';
        const page = await http.get(`/api/v1/rooms/${room.id}/members${query}`, { token: b.accessToken });
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(1);
        seen.push(...page.body.items.map((m: { userId: string }) => m.userId));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen.sort()).toEqual([owner.user.id, a.user.id, b.user.id, c.user.id].sort());

      expectError(
        await http.get(`/api/v1/rooms/${room.id}/members?cursor=bogus`, { token: b.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await http.post(`/api/v1/rooms/${room.id}/members`, { userIds: [] }, { token: owner.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await http.post(
          `/api/v1/rooms/${room.id}/members`,
          { userIds: [randomUUID()] },
          { token: owner.accessToken },
        ),
        404,
        'USER_NOT_FOUND',
      );
    });

    it('changes roles: owner any, admin between member and admin only', async () => {
      const [owner, admin, m1, m2] = await registerUsers(app, 4);
      const room = await api.createGroup(owner, [admin, m1, m2]);
      await api.setRole(owner, room.id, admin, 'admin');
      const promoted = await http.patch(
        `/api/v1/rooms/${room.id}/members/${m1.user.id}`,
        { role: 'admin' },
        { token: admin.accessToken },
      );
      expect(promoted.status).toBe(200);
      expect(promoted.body).toMatchObject({ userId: m1.user.id, role: 'admin' });
      expectError(
        await http.patch(
          `/api/v1/rooms/${room.id}/members/${m2.user.id}`,
          { role: 'owner' },
          { token: admin.accessToken },
        ),
        403,
        'FORBIDDEN',
      );
      expectError(
        await http.patch(
          `/api/v1/rooms/${room.id}/members/${owner.user.id}`,
          { role: 'member' },
          { token: admin.accessToken },
        ),
        403,
      );
      expectError(
        await http.patch(
          `/api/v1/rooms/${room.id}/members/${m2.user.id}`,
          { role: 'god' },
          { token: owner.accessToken },
        ),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await http.patch(
          `/api/v1/rooms/${room.id}/members/${randomUUID()}`,
          { role: 'admin' },
          { token: owner.accessToken },
        ),
        404,
        'MEMBER_NOT_FOUND',
      );
    });

    it('keeps at least one owner: the last owner cannot leave or step down until handing over', async () => {
      const [owner, heir] = await registerUsers(app, 2);
      const room = await api.createGroup(owner, [heir]);
      expectError(
        await http.delete(`/api/v1/rooms/${room.id}/members/${owner.user.id}`, undefined, {
          token: owner.accessToken,
        }),
        409,
        'LAST_OWNER',
      );
      expectError(
        await http.patch(
          `/api/v1/rooms/${room.id}/members/${owner.user.id}`,
          { role: 'admin' },
          { token: owner.accessToken },
        ),
        409,
        'LAST_OWNER',
      );
      await api.setRole(owner, room.id, heir, 'owner');
      const left = await http.delete(`/api/v1/rooms/${room.id}/members/${owner.user.id}`, undefined, {
        token: owner.accessToken,
      });
      expect(left.status).toBe(204);
      expectError(
        await http.get(`/api/v1/rooms/${room.id}`, { token: owner.accessToken }),
        404,
        'ROOM_NOT_FOUND',
      );
      expect((await api.members(heir, room.id)).map((m) => [m.userId, m.role])).toEqual([
        [heir.user.id, 'owner'],
      ]);
    });

    it('takes access away from a removed member at once', async () => {
      const [owner, member] = await registerUsers(app, 2);
      const room = await api.createGroup(owner, [member]);
      const message = await api.send(member, room.id, 'mine');
      const removed = await http.delete(`/api/v1/rooms/${room.id}/members/${member.user.id}`, undefined, {
        token: owner.accessToken,
      });
      expect(removed.status).toBe(204);
      expectError(
        await http.get(`/api/v1/rooms/${room.id}`, { token: member.accessToken }),
        404,
        'ROOM_NOT_FOUND',
      );
      expectError(
        await http.get(`/api/v1/messages/${message.id}`, { token: member.accessToken }),
        404,
        'MESSAGE_NOT_FOUND',
      );
      expectError(
        await api.sendRaw(member, room.id, { clientMessageId: 'x', content: 'hi' }),
        404,
        'ROOM_NOT_FOUND',
      );
      expectError(
        await http.get(`/api/v1/rooms/${room.id}/changes?sinceRev=0`, { token: member.accessToken }),
        404,
        'ROOM_NOT_FOUND',
      );
      expect((await api.myRooms(member)).items).toEqual([]);
      expectError(
        await http.delete(`/api/v1/rooms/${room.id}/members/${member.user.id}`, undefined, {
          token: owner.accessToken,
        }),
        404,
        'MEMBER_NOT_FOUND',
      );
    });
  });

  describe('read positions and the room list', () => {
    it('counts unread messages from others, moves read positions only forward, and read implies delivered', async () => {
      const [alice, bob] = await registerUsers(app, 2);
      const room = await api.createGroup(alice, [bob]);
      const unread = async (user: RegisteredUser): Promise<number> =>
        (await api.myRooms(user)).items.find((r: { id: string }) => r.id === room.id).unreadCount;

      await api.send(alice, room.id, 'one');
      await api.send(alice, room.id, 'two');
      const third = await api.send(alice, room.id, 'three');
      await api.send(bob, room.id, 'from bob');
      expect(await unread(bob)).toBe(3);
      expect(await unread(alice)).toBe(1);

      const read = await http.post(`/api/v1/rooms/${room.id}/read`, { seq: 2 }, { token: bob.accessToken });
      expect(read.status).toBe(204);
      expect(await unread(bob)).toBe(1);
      await http.post(`/api/v1/rooms/${room.id}/read`, { seq: 1 }, { token: bob.accessToken });
      const bobMember = (await api.members(alice, room.id)).find((m) => m.userId === bob.user.id);
      expect(bobMember).toMatchObject({ lastReadSeq: 2, lastDeliveredSeq: 2 });

      // Deleted messages are not unread.
      await http.delete(`/api/v1/messages/${third.id}`, undefined, { token: alice.accessToken });
      expect(await unread(bob)).toBe(0);

      expectError(
        await http.post(`/api/v1/rooms/${room.id}/read`, { seq: 5 }, { token: bob.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await http.post(`/api/v1/rooms/${room.id}/read`, { seq: -1 }, { token: bob.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await http.post(`/api/v1/rooms/${room.id}/read`, { seq: '2' }, { token: bob.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
      await http.post(`/api/v1/rooms/${room.id}/read`, { seq: 4 }, { token: bob.accessToken });
      expect(await unread(bob)).toBe(0);
    });

    it("lists the caller's rooms by last activity with the last message, paginated without repeats", async () => {
      const [me, other] = await registerUsers(app, 2);
      const r1 = await api.createGroup(me, [other], 'one');
      const r2 = await api.createGroup(other, [me], 'two');
      const r3 = (await api.createDirect(me, other)).body;
      await api.send(other, r1.id, 'newest in one');
      const deleted = await api.send(me, r3.id, 'soon gone');
      await http.delete(`/api/v1/messages/${deleted.id}`, undefined, { token: me.accessToken });
      const latest = await api.send(other, r2.id, 'hello @' + me.user.username);

      const list = await api.myRooms(me);
      expect(list.items.map((r: { id: string }) => r.id)).toEqual([r2.id, r3.id, r1.id]);
      expect(list.nextCursor).toBeNull();
      expect(list.items[0]).toMatchObject({
        name: 'two',
        myRole: 'member',
        unreadCount: 1,
        lastMessage: { id: latest.id, seq: 1, mentions: [me.user.id] },
      });
      expect(list.items[1]).toMatchObject({
        type: 'direct',
        peerId: other.user.id,
        unreadCount: 0,
        lastMessage: { id: deleted.id, content: null, deletedAt: expect.any(String) },
      });

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await api.myRooms(me, cursor ? `?limit=2&cursor=${cursor}` : '?limit=2');
        seen.push(...page.items.map((r: { id: string }) => r.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual([r2.id, r3.id, r1.id]);

      const empty = await registerUser(app);
      expect(await api.myRooms(empty)).toEqual({ items: [], nextCursor: null });
      expectError(
        await http.get('/api/v1/rooms?limit=0', { token: me.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await http.get('/api/v1/rooms?limit=101', { token: me.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await http.get('/api/v1/rooms?cursor=abc', { token: me.accessToken }),
        400,
        'VALIDATION_FAILED',
      );
    });
  });
});
