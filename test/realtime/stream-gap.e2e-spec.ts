import Redis from 'ioredis';
import { Http } from '../support/http';
import { runEnv } from '../support/run-env';
import { record } from '../support/socket';
import {
  closeAll,
  connectSocket,
  createGroup,
  delay,
  disconnected,
  emitAck,
  receivedMessage,
  registerUser,
  sendOverRest,
  settle,
  startRealtimeApp,
  type RegisteredUser,
  type Socket,
  type TestApp,
} from './helpers';

/**
 * Instances hand each other's broadcasts over a Redis stream that keeps them for SOCKET_STREAM_RETENTION_SECONDS.
 * An instance that falls further behind than that (stalled, overloaded) may find broadcasts trimmed before it read
 * them: its sockets must not silently miss messages, so it drops their connections and clients catch up.
 */
describe('an instance that falls behind the Socket.IO stream', () => {
  // Its own stream (key prefix) with a short retention, so the trim below touches no other suite's servers.
  const env = {
    SOCKET_STREAM_RETENTION_SECONDS: '2',
    REDIS_KEY_PREFIX: `${runEnv().redisPrefix}stream-gap:`,
  };
  const stream = `${env.REDIS_KEY_PREFIX}socket.io`;
  let nodeA: TestApp;
  let nodeB: TestApp;
  let redis: Redis;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;
  const opened: Socket[] = [];

  beforeAll(async () => {
    redis = new Redis(runEnv().redisUrl);
    [nodeA, nodeB] = await Promise.all([startRealtimeApp(env), startRealtimeApp(env)]);
    [alice, bob] = await Promise.all([registerUser(nodeA), registerUser(nodeA)]);
    roomId = await createGroup(nodeA, alice, [bob]);
  });

  afterAll(async () => {
    closeAll(opened);
    if (nodeB?.process.signalCode === null) nodeB.process.kill('SIGCONT');
    await Promise.all([nodeA?.stop(), nodeB?.stop()]);
    redis?.disconnect();
  });

  it('drops its connections, so clients reconnect by themselves and sync what was trimmed', async () => {
    const aliceOnA = await connectSocket(nodeA, alice.accessToken);
    opened.push(aliceOnA);
    const { bobOnB, revBefore } = await bobReadingOnB('before the stall');
    const seenOnB = record<{ id: string }>(bobOnB, 'message:created');
    const dropped = disconnected(bobOnB, 20_000);

    // B stalls. A read it may have had waiting takes the first entry; the message after it is trimmed while B
    // is more than half the retention behind.
    nodeB.process.kill('SIGSTOP');
    let missedId: string;
    try {
      await redis.xadd(stream, '*', 'filler', '1');
      missedId = (await sendOverRest(nodeA, alice, roomId, 'sent while B was stalled')).id as string;
      await delay(1_500);
      await redis.xtrim(stream, 'MINID', String(Date.now() + 1_000));
    } finally {
      nodeB.process.kill('SIGCONT');
    }

    // A transport close (not a server disconnect): Socket.IO clients reconnect on their own after it.
    expect(await dropped).toBe('transport close');
    expect(seenOnB.map((message) => message.id)).not.toContain(missedId);
    const { again, synced } = await syncOnB(revBefore);
    expect(synced).toEqual([expect.objectContaining({ id: missedId, content: 'sent while B was stalled' })]);

    // B reads the stream again: a new message from A reaches Bob's new socket.
    await settle([again], aliceOnA, roomId);
    const metrics = await Http.for(nodeB).get('/metrics');
    expect(metrics.text).toMatch(/^websocket_stream_gaps_total\{reason="trimmed"\} 1$/m);
  });

  it('drops its connections when another instance could not publish to it', async () => {
    const { bobOnB, revBefore } = await bobReadingOnB('before the refusal');
    const dropped = disconnected(bobOnB, 20_000);

    // Redis refuses the stream writes (the key holds a string), as it would during an outage longer than the
    // client's retries: the broadcast of this message never reaches B.
    const failedBefore = await failedStreamWrites();
    await redis.set(stream, 'not a stream');
    let refusedId: string;
    try {
      refusedId = (await sendOverRest(nodeA, alice, roomId, 'sent while Redis refused')).id as string;
      while ((await failedStreamWrites()) === failedBefore) await delay(20);
    } finally {
      await redis.del(stream);
    }
    // Nothing else is sent: A, quiet now, still tells B, with a marker once Redis takes writes again.
    expect(await dropped).toBe('transport close');
    const { synced } = await syncOnB(revBefore);
    expect(synced.map((message) => message.id)).toContain(refusedId);
    const metrics = await Http.for(nodeB).get('/metrics');
    expect(metrics.text).toMatch(/^websocket_stream_gaps_total\{reason="lost-publish"\} [1-9]/m);
  });

  it('drops its connections when Redis comes back without the stream it was reading', async () => {
    const { bobOnB, revBefore } = await bobReadingOnB('before the restart');
    const seenOnB = record<{ id: string }>(bobOnB, 'message:created');
    const dropped = disconnected(bobOnB, 20_000);

    // As when Redis restarts without its data while B has yet to read a broadcast: B stalls (a read it may have had
    // waiting takes a filler entry), the next broadcast goes into the stream, the stream is lost and the stream
    // readers' connections are cut.
    nodeB.process.kill('SIGSTOP');
    let lostId: string;
    try {
      await redis.xadd(stream, '*', 'filler', '1');
      lostId = (await sendOverRest(nodeA, alice, roomId, 'lost with the stream')).id as string;
      await redis.del(stream);
      await cutStreamReaders();
    } finally {
      nodeB.process.kill('SIGCONT');
    }

    expect(await dropped).toBe('transport close');
    expect(seenOnB.map((message) => message.id)).not.toContain(lostId);
    const { again, synced } = await syncOnB(revBefore);
    expect(synced).toEqual([expect.objectContaining({ id: lostId, content: 'lost with the stream' })]);

    // B reads the new stream: a message sent on A reaches Bob's new socket.
    const next = receivedMessage(again, (message) => message.content === 'after the restart');
    await sendOverRest(nodeA, alice, roomId, 'after the restart');
    await next;
    const metrics = await Http.for(nodeB).get('/metrics');
    expect(metrics.text).toMatch(/^websocket_stream_gaps_total\{reason="reset"\} 1$/m);
  });

  /** Connects Bob to B and waits until B has read a message sent on A from the stream; `revBefore` is its rev. */
  async function bobReadingOnB(content: string): Promise<{ bobOnB: Socket; revBefore: number }> {
    const bobOnB = await connectSocket(nodeB, bob.accessToken);
    opened.push(bobOnB);
    const arrived = receivedMessage(bobOnB, (message) => message.content === content);
    const revBefore = (await sendOverRest(nodeA, alice, roomId, content)).rev as number;
    await arrived;
    return { bobOnB, revBefore };
  }

  /** What Bob, connecting to B again, gets from `sync` of the room since `revBefore`. */
  async function syncOnB(
    revBefore: number,
  ): Promise<{ again: Socket; synced: Array<{ id: string; content: string }> }> {
    const again = await connectSocket(nodeB, bob.accessToken);
    opened.push(again);
    const synced = await emitAck(again, 'sync', { rooms: { [roomId]: revBefore } });
    expect(synced.ok).toBe(true);
    return { again, synced: synced.data.rooms[roomId].messages };
  }

  /** Closes the stream readers' Redis connections (this suite's instances are the only Parley servers running). */
  async function cutStreamReaders(): Promise<void> {
    const clients = (await redis.client('LIST')) as string;
    const readers = clients
      .split('\n')
      .filter((line) => / name=parley:socket\.io-reader /.test(line))
      .map((line) => /^id=(\d+)/.exec(line)![1]);
    expect(readers.length).toBeGreaterThanOrEqual(2);
    for (const id of readers) await redis.client('KILL', 'ID', id);
  }

  /** XADDs Redis has refused so far (any client: the refusal above is the only cause in this suite). */
  async function failedStreamWrites(): Promise<number> {
    const stats = await redis.info('commandstats');
    return Number(/^cmdstat_xadd:.*failed_calls=(\d+)/m.exec(stats)?.[1] ?? 0);
  }
});
