import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MessagesRepository, NewMessage, StoreOutcome } from '../../src/modules/messages/messages.repository';
import { SendPool } from '../../src/modules/messages/send-pool';
import { buildConfig } from '../../src/config/config';
import { TestApp } from '../support/app';
import { Http } from '../support/http';
import { runEnv } from '../support/run-env';
import { RegisteredUser } from '../support/users';
import { Api, registerUsers, sqlRows, startConversationsApp } from './helpers';

/**
 * The group-commit statement (MessagesRepository.storeBatch) driven directly against this run's database with
 * hand-made batch compositions that concurrent HTTP sends only produce by chance: duplicates inside one batch,
 * resends of stored messages, several rooms interleaved, refused items next to good ones.
 */
describe('storing a batch of sends in one statement', () => {
  let app: TestApp;
  let api: Api;
  let http: Http;
  let dataSource: DataSource;
  let sendPool: SendPool;
  let repository: MessagesRepository;

  beforeAll(async () => {
    app = await startConversationsApp();
    api = new Api(app);
    http = Http.for(app);
    dataSource = new DataSource({ type: 'postgres', url: runEnv().databaseUrl, extra: { max: 4 } });
    await dataSource.initialize();
    // The app's own send-pool settings (generic plan, no sequential scans), on this run's database.
    sendPool = new SendPool(buildConfig({ NODE_ENV: 'test', DATABASE_URL: runEnv().databaseUrl }));
    repository = new MessagesRepository(dataSource, sendPool);
  });
  afterAll(async () => {
    await sendPool?.onApplicationShutdown();
    await dataSource?.destroy();
    await app.stop();
  });

  function send(sender: RegisteredUser, roomId: string, extra: Partial<NewMessage> = {}): NewMessage {
    return {
      roomId,
      senderId: sender.user.id,
      clientMessageId: randomUUID(),
      content: `hello ${randomUUID()}`,
      parentId: null,
      mentions: [],
      attachments: [],
      ...extra,
    };
  }

  const summary = (outcome: StoreOutcome) =>
    outcome.kind === 'created' || outcome.kind === 'existing'
      ? [outcome.kind, outcome.record.seq]
      : [outcome.kind];

  it('numbers each room consecutively in submission order and moves its counters', async () => {
    const [owner, member] = await registerUsers(app, 2);
    const first = await api.createGroup(owner, [member], 'first');
    const second = await api.createGroup(owner, [member], 'second');
    await api.send(owner, second.id, 'already there');

    const outcomes = await repository.storeBatch([
      send(owner, first.id),
      send(member, second.id),
      send(member, first.id),
      send(owner, second.id),
      send(owner, first.id),
    ]);

    expect(outcomes.map(summary)).toEqual([
      ['created', 1],
      ['created', 2],
      ['created', 2],
      ['created', 3],
      ['created', 3],
    ]);
    expect(outcomes.map((outcome) => (outcome.kind === 'created' ? outcome.record.rev : null))).toEqual([
      1, 2, 2, 3, 3,
    ]);
    expect(await api.room(owner, first.id)).toMatchObject({ lastSeq: 3, rev: 3 });
    expect(await api.room(owner, second.id)).toMatchObject({ lastSeq: 3, rev: 3 });
    const stored = await api.allMessages(member, first.id);
    expect(stored.map((message) => [message.seq, message.senderId])).toEqual([
      [1, owner.user.id],
      [2, member.user.id],
      [3, owner.user.id],
    ]);
  });

  it('answers duplicates inside the batch and resends of stored messages without taking a seq', async () => {
    const [owner, member] = await registerUsers(app, 2);
    const room = await api.createGroup(owner, [member]);
    const earlier = await api.send(owner, room.id, 'stored before');
    const twin = send(member, room.id);

    const outcomes = await repository.storeBatch([
      twin,
      send(owner, room.id, { clientMessageId: earlier.clientMessageId, content: 'a resend' }),
      { ...twin, content: 'the same send again' },
      send(owner, room.id),
    ]);

    expect(outcomes.map(summary)).toEqual([
      ['created', 2],
      ['existing', 1],
      ['existing', 2],
      ['created', 3],
    ]);
    const [created, resend, again] = outcomes as Array<Extract<StoreOutcome, { record: unknown }>>;
    expect(again.record.id).toBe(created.record.id);
    expect(again.record.content).toBe(twin.content);
    expect(resend.record).toMatchObject({ id: earlier.id, content: 'stored before' });
    expect((await api.allMessages(owner, room.id)).map((message) => message.seq)).toEqual([1, 2, 3]);
  });

  it('refuses non-members, deleted rooms and blocked direct rooms item by item, and stores the rest', async () => {
    const [owner, member, outsider, blocker] = await registerUsers(app, 4);
    const room = await api.createGroup(owner, [member]);
    const doomed = await api.createGroup(owner, [member], 'doomed');
    const direct = (await api.createDirect(member, blocker)).body;
    expect(
      (await http.delete(`/api/v1/rooms/${doomed.id}`, undefined, { token: owner.accessToken })).status,
    ).toBe(204);
    const block = await http.post(`/api/v1/users/${member.user.id}/block`, undefined, {
      token: blocker.accessToken,
    });
    expect(block.status).toBeLessThan(300);

    const outcomes = await repository.storeBatch([
      send(outsider, room.id),
      send(member, doomed.id),
      send(member, direct.id),
      send(member, randomUUID()),
      send(member, room.id),
    ]);

    expect(outcomes.map(summary)).toEqual([
      ['room-gone'],
      ['room-gone'],
      ['blocked'],
      ['room-gone'],
      ['created', 1],
    ]);
    expect(await api.room(member, direct.id)).toMatchObject({ lastSeq: 0, rev: 0 });
  });

  it('counts the replies of a batch on their thread parent', async () => {
    const [owner, member] = await registerUsers(app, 2);
    const room = await api.createGroup(owner, [member]);
    const parent = await api.send(owner, room.id, 'a thread');

    await repository.storeBatch([
      send(member, room.id, { parentId: parent.id }),
      send(owner, room.id),
      send(owner, room.id, { parentId: parent.id }),
    ]);

    const thread = await api.page(member, room.id, `?parentId=${parent.id}`);
    expect(thread.items).toHaveLength(2);
    const [row] = await sqlRows('SELECT thread_reply_count FROM messages WHERE id = $1', [parent.id]);
    expect(row.thread_reply_count).toBe(2);
  });

  it('stores a send racing its twin in another batch once; the loser fails on the unique index or answers it', async () => {
    const [owner, member] = await registerUsers(app, 2);
    const room = await api.createGroup(owner, [member]);
    const twin = send(member, room.id);

    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () =>
        repository.storeBatch([send(owner, room.id), twin, send(member, room.id)]),
      ),
    );

    for (const result of results) {
      if (result.status === 'rejected') {
        expect(result.reason).toMatchObject({ code: '23505', constraint: 'UQ_messages_client_message' });
      } else {
        expect(result.value.map((outcome) => outcome.kind)).toEqual([
          'created',
          expect.stringMatching(/^(created|existing)$/),
          'created',
        ]);
      }
    }
    const stored = await sqlRows<{ seq: number; client_message_id: string }>(
      'SELECT seq, client_message_id FROM messages WHERE room_id = $1 ORDER BY seq',
      [room.id],
    );
    expect(stored.filter((row) => row.client_message_id === twin.clientMessageId)).toHaveLength(1);
    expect(stored.map((row) => row.seq)).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1));
  });
});
