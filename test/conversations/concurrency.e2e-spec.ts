import { randomUUID } from 'node:crypto';
import { TestApp } from '../support/app';
import { Http } from '../support/http';
import { RegisteredUser } from '../support/users';
import { Api, registerUsers, startConversationsApp } from './helpers';

describe('conversations under concurrency', () => {
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

  it('gives 20 concurrent senders x 50 messages the seqs 1..1000 exactly, with strictly increasing revs', async () => {
    const senders = await registerUsers(app, 20);
    const room = await api.createGroup(senders[0], senders.slice(1), 'stress');

    await Promise.all(
      senders.map(async (sender, s) => {
        for (let i = 0; i < 50; i += 1) await api.send(sender, room.id, `sender ${s} message ${i}`);
      }),
    );

    const all = await api.allMessages(senders[3], room.id);
    expect(all.map((m) => m.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(new Set(all.map((m) => m.id)).size).toBe(1000);
    const revs = all.map((m) => m.rev);
    expect(new Set(revs).size).toBe(1000);
    for (let i = 1; i < revs.length; i += 1) expect(revs[i]).toBeGreaterThan(revs[i - 1]);
    // Each sender's messages keep the order in which that sender sent them.
    senders.forEach((sender, s) => {
      const own = all.filter((m) => m.senderId === sender.user.id).map((m) => m.content);
      expect(own).toEqual(Array.from({ length: 50 }, (_, i) => `sender ${s} message ${i}`));
    });
    expect(await api.room(senders[0], room.id)).toMatchObject({ lastSeq: 1000, rev: 1000 });
    const changes = await api.changes(senders[5], room.id, 990);
    expect(changes.messages.map((m: any) => m.seq)).toEqual([
      991, 992, 993, 994, 995, 996, 997, 998, 999, 1000,
    ]);
  });

  it('stores racing duplicate sends once: one 201, the rest 200 with the same message, and no seq gap', async () => {
    const users = await registerUsers(app, 4);
    const room = await api.createGroup(users[0], users.slice(1));
    const duplicates = users.map((user) => ({ user, clientMessageId: randomUUID() }));

    const results = await Promise.all(
      duplicates.flatMap(({ user, clientMessageId }) => [
        ...Array.from({ length: 10 }, () => api.sendRaw(user, room.id, { clientMessageId, content: 'once' })),
        // Unrelated sends race alongside, so duplicates share batches with real messages.
        api.sendRaw(user, room.id, { clientMessageId: randomUUID(), content: 'other' }),
      ]),
    );

    for (const { user, clientMessageId } of duplicates) {
      const mine = results.filter(
        (r) => r.body.senderId === user.user.id && r.body.clientMessageId === clientMessageId,
      );
      expect(mine).toHaveLength(10);
      expect(mine.filter((r) => r.status === 201)).toHaveLength(1);
      expect(mine.filter((r) => r.status === 200)).toHaveLength(9);
      expect(new Set(mine.map((r) => r.body.id)).size).toBe(1);
    }
    const all = await api.allMessages(users[0], room.id);
    expect(all.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(all.filter((m) => m.content === 'once')).toHaveLength(4);
  });

  it('pages without skipping or repeating while another sender keeps adding', async () => {
    const [reader, writer] = await registerUsers(app, 2);
    const room = await api.createGroup(reader, [writer]);
    for (let i = 0; i < 60; i += 1) await api.send(writer, room.id, `seed ${i}`);

    let writing = true;
    const background = (async () => {
      let i = 0;
      while (writing) await api.send(writer, room.id, `live ${(i += 1)}`);
    })();

    try {
      // Backwards from the newest page with `before` cursors.
      const first = await api.page(reader, room.id, '?limit=7');
      const top = first.items[0].seq;
      const backwards = first.items.map((m: any) => m.seq);
      let cursor = first.nextCursor;
      while (cursor) {
        const page = await api.page(reader, room.id, `?limit=7&cursor=${cursor}`);
        backwards.push(...page.items.map((m: any) => m.seq));
        cursor = page.nextCursor;
      }
      expect(backwards).toEqual(Array.from({ length: top }, (_, i) => top - i));

      // Forwards with `after` while the tail keeps growing.
      const forwards: number[] = [];
      let after = 0;
      for (let round = 0; round < 12; round += 1) {
        const page = await api.page(reader, room.id, `?after=${after}&limit=9`);
        forwards.push(...page.items.map((m: any) => m.seq));
        if (page.items.length > 0) after = page.items[page.items.length - 1].seq;
      }
      expect(forwards).toEqual(Array.from({ length: forwards.length }, (_, i) => i + 1));
    } finally {
      writing = false;
      await background;
    }
  });

  it('converges racing direct-room creations on one room', async () => {
    const [a, b] = await registerUsers(app, 2);
    const results = await Promise.all([
      ...Array.from({ length: 5 }, () => api.createDirect(a, b)),
      ...Array.from({ length: 5 }, () => api.createDirect(b, a)),
    ]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(9);
  });

  it('keeps read positions monotonic under racing reads', async () => {
    const [reader, writer] = await registerUsers(app, 2);
    const room = await api.createGroup(writer, [reader]);
    for (let i = 0; i < 10; i += 1) await api.send(writer, room.id, `m${i}`);
    const seqs = [3, 10, 1, 7, 10, 2, 9];
    const results = await Promise.all(
      seqs.map((seq) => http.post(`/api/v1/rooms/${room.id}/read`, { seq }, { token: reader.accessToken })),
    );
    expect(results.map((r) => r.status)).toEqual(seqs.map(() => 204));
    const me = (await api.members(writer, room.id)).find((m: any) => m.userId === reader.user.id);
    expect(me).toMatchObject({ lastReadSeq: 10, lastDeliveredSeq: 10 });
    const list = await api.myRooms(reader as RegisteredUser);
    expect(list.items[0]).toMatchObject({ id: room.id, unreadCount: 0 });
  });
});
