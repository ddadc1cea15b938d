import { randomUUID } from 'node:crypto';
import http from 'node:http';
import autocannon from 'autocannon';
import { Pool } from 'pg';
import WebSocket from 'ws';
import { Histogram } from './lib/histogram';
import {
  AutocannonArgs,
  ClientSpec,
  ConnectArgs,
  ConnectResult,
  CpuReport,
  DeliveryReport,
  GenRequest,
  GenResponse,
  HttpThroughput,
  LoadArgs,
  LoadResult,
  OpenLoopHttpArgs,
  OpenLoopHttpResult,
  PgInsertArgs,
  StormArgs,
  StormReport,
  StormReportArgs,
  StormResult,
  benchContent,
  nowMs,
  parseBenchContent,
} from './lib/protocol';
import { WireClient } from './lib/wire-client';

/**
 * A load-generator process (forked by bench/run.ts). It holds Socket.IO clients, sends on an open-loop schedule,
 * records what each client receives, and runs HTTP load; it answers the orchestrator's commands over IPC.
 */

interface MessageEvent {
  id?: string;
  roomId: string;
  seq: number;
  rev: number;
  clientMessageId: string;
  content: string | null;
}

interface SyncAck {
  ok: boolean;
  data?: { rooms: Record<string, { messages: MessageEvent[]; rev: number; hasMore: boolean }> };
  error?: { code: string };
}

class Client {
  wire: WireClient;
  /** Highest rev seen per room. */
  readonly revs = new Map<string, number>();
  /**
   * What `sync` asks from after a drop: the highest revs seen BEFORE the drop. Live events that arrive between
   * reconnecting and the sync answer carry newer revs; syncing from those would skip what was missed meanwhile.
   */
  syncFrom = new Map<string, number>();
  /** seqs received live per room since the last reset (duplicate detection). */
  seen = new Map<string, Set<number>>();
  /** Highest seq received live per room (order check). */
  highestSeq = new Map<string, number>();
  /** First time each clientMessageId reached this client (reconnect storm only). */
  received?: Map<string, number>;
  connectedAt = 0;
  syncedAt = 0;

  constructor(
    readonly spec: ClientSpec,
    url: string,
    localAddress: string,
    timeoutMs: number,
    trackIds: boolean,
  ) {
    if (trackIds) this.received = new Map();
    this.wire = new WireClient(
      { url, auth: { token: spec.token }, localAddress, connectTimeoutMs: timeoutMs },
      (event, data) => onEvent(this, event, data),
      (frame) => onRawEvent(this, frame),
    );
  }
}

const clients: Client[] = [];
const rawSockets: WebSocket[] = [];

// Per step (cleared by `reset`): latency, volume, CPU.
let deliveryHist = new Histogram();
let stepDelivered = 0;
let stepOutOfSeqOrder = 0;
let lastDeliveryAt = 0;
let measureFrom = 0;
let stepCpu = cpuMeter();
/** Worst delivery latency per second of the step: shows periodic stalls (GC, timers) that p99 alone hides. */
let timeline: number[] = [];
// Per connected set of clients (cleared by `closeAll`): what each message reached, so a late delivery still
// counts for its message and a repeated one is caught whenever it comes.
let deliveryCounts = new Map<string, number>();
let deliveredTotal = 0;
let duplicates = 0;
let liveDuplicates = 0;

/** Every server event by name (presence, member:added, …): what else the server sends besides messages. */
let eventCounts = new Map<string, number>();
let lastEventAt = 0;

function onEvent(client: Client, event: string, data: unknown): void {
  eventCounts.set(event, (eventCounts.get(event) ?? 0) + 1);
  lastEventAt = nowMs();
  if (event !== 'message:created') return;
  const message = data as MessageEvent;
  recordMessage(client, message, true);
}

const CREATED_PREFIX = '42["message:created",{';

function stringField(frame: string, key: string): string | undefined {
  const marker = `"${key}":"`;
  const start = frame.indexOf(marker);
  if (start < 0) return undefined;
  const from = start + marker.length;
  const end = frame.indexOf('"', from);
  return end < 0 ? undefined : frame.slice(from, end);
}

function numberField(frame: string, key: string): number | undefined {
  const marker = `"${key}":`;
  const start = frame.indexOf(marker);
  if (start < 0) return undefined;
  const value = parseInt(frame.slice(start + marker.length, start + marker.length + 16), 10);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Fast path for `message:created`: a 5k-member fan-out makes the generator read every frame 5k times, and
 * JSON.parse of each one made the generator, not the server, the limit. The fields the bench needs are read
 * with indexOf instead (falls back to JSON.parse if any is missing).
 */
function onRawEvent(client: Client, frame: string): boolean {
  if (!frame.startsWith(CREATED_PREFIX)) return false;
  const roomId = stringField(frame, 'roomId');
  const clientMessageId = stringField(frame, 'clientMessageId');
  const content = stringField(frame, 'content');
  const seq = numberField(frame, 'seq');
  const rev = numberField(frame, 'rev');
  if (!roomId || !clientMessageId || seq === undefined || rev === undefined) return false;
  eventCounts.set('message:created', (eventCounts.get('message:created') ?? 0) + 1);
  lastEventAt = nowMs();
  recordMessage(client, { roomId, clientMessageId, content: content ?? null, seq, rev }, true);
  return true;
}

function recordMessage(client: Client, message: MessageEvent, live: boolean): void {
  const now = nowMs();
  if ((client.revs.get(message.roomId) ?? 0) < message.rev) client.revs.set(message.roomId, message.rev);
  if (client.received && !client.received.has(message.clientMessageId)) {
    client.received.set(message.clientMessageId, now);
  }
  if (!live) return;
  let seqs = client.seen.get(message.roomId);
  if (!seqs) client.seen.set(message.roomId, (seqs = new Set()));
  if (seqs.has(message.seq)) {
    duplicates++;
    liveDuplicates++;
  } else seqs.add(message.seq);
  const highest = client.highestSeq.get(message.roomId) ?? 0;
  if (message.seq < highest) stepOutOfSeqOrder++;
  else client.highestSeq.set(message.roomId, message.seq);
  deliveredTotal++;
  stepDelivered++;
  lastDeliveryAt = now;
  deliveryCounts.set(message.clientMessageId, (deliveryCounts.get(message.clientMessageId) ?? 0) + 1);
  const sentAt = parseBenchContent(message.content);
  if (sentAt !== undefined && sentAt >= measureFrom) {
    const latency = now - sentAt;
    deliveryHist.record(latency);
    const second = Math.floor((now - measureFrom) / 1000);
    if (second < 600 && !(timeline[second] >= latency)) timeline[second] = latency;
  }
}

function cpuMeter(): () => CpuReport {
  const start = process.cpuUsage();
  const wallStart = performance.now();
  return () => {
    const used = process.cpuUsage(start);
    const wallMs = performance.now() - wallStart;
    const userMs = used.user / 1000;
    const systemMs = used.system / 1000;
    return {
      percent: wallMs > 0 ? Math.round(((userMs + systemMs) / wallMs) * 1000) / 10 : 0,
      userMs: Math.round(userMs),
      systemMs: Math.round(systemMs),
      wallMs: Math.round(wallMs),
    };
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `task` over `items` with at most `limit` in flight. */
async function eachLimit<T>(items: T[], limit: number, task: (item: T, index: number) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index], index);
    }
  });
  await Promise.all(workers);
}

function countError(errors: Record<string, number>, error: unknown): void {
  const key = (error instanceof Error ? error.message : String(error)).slice(0, 80);
  errors[key] = (errors[key] ?? 0) + 1;
}

async function connect(args: ConnectArgs): Promise<ConnectResult> {
  const cpu = cpuMeter();
  const started = performance.now();
  const errors: Record<string, number> = {};
  const fresh = args.clients.map(
    (spec, index) =>
      new Client(
        spec,
        args.url,
        args.localAddresses[(clients.length + index) % args.localAddresses.length],
        args.timeoutMs,
        args.trackIds ?? false,
      ),
  );
  let connected = 0;
  await eachLimit(fresh, args.concurrency, async (client) => {
    try {
      await client.wire.connect();
      client.connectedAt = nowMs();
      connected++;
    } catch (error) {
      countError(errors, error);
    }
  });
  clients.push(...fresh);
  return {
    connected,
    failed: fresh.length - connected,
    errors,
    ms: Math.round(performance.now() - started),
    cpu: cpu(),
  };
}

async function connectRaw(args: {
  url: string;
  count: number;
  localAddresses: string[];
  concurrency: number;
}): Promise<ConnectResult> {
  const cpu = cpuMeter();
  const started = performance.now();
  const errors: Record<string, number> = {};
  let connected = 0;
  await eachLimit(
    Array.from({ length: args.count }, (_, index) => index),
    args.concurrency,
    (index) =>
      new Promise<void>((resolve) => {
        const ws = new WebSocket(args.url, {
          localAddress: args.localAddresses[index % args.localAddresses.length],
          perMessageDeflate: false,
        });
        ws.once('open', () => {
          connected++;
          rawSockets.push(ws);
          resolve();
        });
        ws.once('error', (error) => {
          countError(errors, error);
          resolve();
        });
      }),
  );
  return {
    connected,
    failed: args.count - connected,
    errors,
    ms: Math.round(performance.now() - started),
    cpu: cpu(),
  };
}

function reset(): { ok: true } {
  deliveryHist = new Histogram();
  stepDelivered = 0;
  stepOutOfSeqOrder = 0;
  lastDeliveryAt = 0;
  measureFrom = nowMs();
  stepCpu = cpuMeter();
  timeline = [];
  return { ok: true };
}

function clearTracking(): void {
  eventCounts = new Map();
  deliveryCounts = new Map();
  deliveredTotal = 0;
  duplicates = 0;
  liveDuplicates = 0;
  reset();
}

/** Open-loop sends: message i is due at start + i/rate whatever happened to earlier ones. */
async function load(args: LoadArgs): Promise<LoadResult> {
  const cpu = cpuMeter();
  const ackHist = new Histogram();
  const ackFailures: Record<string, number> = {};
  const ackedIds: [string, string][] = [];
  const unackedIds: string[] = [];
  const senders = args.senders.map((index) => clients[index]).filter((client) => client?.spec.rooms.length);
  const roomCursor = new Array<number>(senders.length).fill(0);
  const total = Math.floor((args.rate * args.durationMs) / 1000);
  const start = nowMs() + 5;
  let scheduled = 0;
  let sent = 0;
  let acked = 0;
  let outstanding = 0;
  let maxLag = 0;
  if (senders.length === 0) throw new Error('no connected senders');

  const sendOne = (index: number, dueAt: number): void => {
    const senderIndex = index % senders.length;
    const sender = senders[senderIndex];
    const rooms = sender.spec.rooms;
    const roomId = rooms[roomCursor[senderIndex]++ % rooms.length];
    const clientMessageId = randomUUID();
    const content = benchContent(args.tag, dueAt, args.contentBytes);
    outstanding++;
    sent++;
    let done = false;
    const finish = (response: unknown): void => {
      if (done) return;
      done = true;
      outstanding--;
      const ack = response as { ok?: boolean; error?: { code?: string } };
      if (ack?.ok) {
        acked++;
        ackHist.record(nowMs() - dueAt);
        ackedIds.push([clientMessageId, roomId]);
      } else {
        const code = ack?.error?.code ?? 'NO_ACK';
        ackFailures[code] = (ackFailures[code] ?? 0) + 1;
        unackedIds.push(clientMessageId);
      }
    };
    const timer = setTimeout(() => finish({ ok: false, error: { code: 'ACK_TIMEOUT' } }), args.ackTimeoutMs);
    sender.wire.emit('message:send', { roomId, clientMessageId, content }, (response) => {
      clearTimeout(timer);
      finish(response);
    });
  };

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = nowMs();
      const due = Math.min(total, Math.floor(((now - start) * args.rate) / 1000) + 1);
      while (scheduled < due) {
        const dueAt = start + (scheduled * 1000) / args.rate;
        maxLag = Math.max(maxLag, now - dueAt);
        sendOne(scheduled, dueAt);
        scheduled++;
      }
      if (scheduled >= total) resolve();
      else setTimeout(tick, 1);
    };
    setTimeout(tick, Math.max(0, start - nowMs()));
  });
  const deadline = Date.now() + args.ackTimeoutMs + 1000;
  while (outstanding > 0 && Date.now() < deadline) await sleep(10);
  return {
    scheduled,
    sent,
    acked,
    ackFailures,
    ackHist: ackHist.toJSON(),
    ackedIds,
    unackedIds,
    maxScheduleLagMs: Math.round(maxLag * 10) / 10,
    cpu: cpu(),
  };
}

function deliveries(): DeliveryReport {
  return {
    total: deliveredTotal,
    stepTotal: stepDelivered,
    duplicates,
    outOfSeqOrder: stepOutOfSeqOrder,
    hist: deliveryHist.toJSON(),
    counts: [...deliveryCounts.entries()],
    lastAt: lastDeliveryAt,
    disconnects: clients.filter((client) => client.wire.droppedByServer).length,
    cpu: stepCpu(),
    timeline: Array.from(timeline, (value) => Math.round(value ?? 0)),
  };
}

/** Drops clients [from, from + count) and connects them again: what a burst of (re)connects costs the server. */
async function cycle(args: { from: number; count: number; concurrency: number }): Promise<ConnectResult> {
  const cpu = cpuMeter();
  const subset = clients.slice(args.from, args.from + args.count);
  for (const client of subset) client.wire.terminate();
  await sleep(1000);
  const started = performance.now();
  const errors: Record<string, number> = {};
  let connected = 0;
  await eachLimit(subset, args.concurrency, async (client) => {
    try {
      await client.wire.connect();
      connected++;
    } catch (error) {
      countError(errors, error);
    }
  });
  return {
    connected,
    failed: subset.length - connected,
    errors,
    ms: Math.round(performance.now() - started),
    cpu: cpu(),
  };
}

function drop(): { dropped: number } {
  let dropped = 0;
  for (const client of clients) {
    if (client.wire.connected) dropped++;
    client.syncFrom = new Map(client.revs);
    client.wire.terminate();
    client.syncedAt = 0;
    client.connectedAt = 0;
  }
  return { dropped };
}

/**
 * Reconnect storm: every client reconnects after a random delay (socket.io-client's default backoff spreads
 * reconnects over 0.5–1.5 s), then asks `sync` for everything after the highest rev it has seen, page by page.
 */
async function storm(args: StormArgs): Promise<StormResult> {
  const cpu = cpuMeter();
  const errors: Record<string, number> = {};
  const connectedAtHist = new Histogram();
  const syncedAtHist = new Histogram();
  const deadline = args.startAt + args.deadlineMs;
  let failedAttempts = 0;
  let syncCalls = 0;
  liveDuplicates = 0;
  for (const client of clients) client.seen = new Map();

  const runClient = async (client: Client): Promise<void> => {
    const delay = args.minDelayMs + Math.random() * (args.maxDelayMs - args.minDelayMs);
    await sleep(Math.max(0, args.startAt + delay - nowMs()));
    let backoff = 500;
    while (!client.wire.connected) {
      if (nowMs() > deadline) return;
      try {
        await client.wire.connect(args.attemptTimeoutMs);
      } catch (error) {
        failedAttempts++;
        countError(errors, error);
        await sleep(backoff * (0.5 + Math.random()));
        backoff = Math.min(backoff * 2, 5000);
      }
    }
    client.connectedAt = nowMs();
    connectedAtHist.record(client.connectedAt - args.startAt);
    let pending = client.spec.rooms;
    const from = new Map(client.syncFrom);
    while (pending.length > 0 && nowMs() < deadline) {
      const rooms = Object.fromEntries(pending.map((roomId) => [roomId, from.get(roomId) ?? 0]));
      syncCalls++;
      const ack = await client.wire.emitAsync<SyncAck>('sync', { rooms }, 10_000);
      if (!ack?.ok || !ack.data) {
        countError(errors, `sync: ${ack?.error?.code ?? 'no data'}`);
        await sleep(200);
        continue;
      }
      const next: string[] = [];
      for (const roomId of pending) {
        const result = ack.data.rooms[roomId];
        if (!result) continue;
        for (const message of result.messages) recordMessage(client, message, false);
        if ((client.revs.get(roomId) ?? 0) < result.rev) client.revs.set(roomId, result.rev);
        from.set(roomId, result.rev);
        if (result.hasMore) next.push(roomId);
      }
      pending = next;
    }
    if (pending.length === 0) {
      client.syncedAt = nowMs();
      syncedAtHist.record(client.syncedAt - args.startAt);
    }
  };
  await Promise.all(clients.map(runClient));
  return {
    clients: clients.length,
    connected: clients.filter((client) => client.wire.connected).length,
    synced: clients.filter((client) => client.syncedAt > 0).length,
    connectAttemptsFailed: failedAttempts,
    errors,
    syncCalls,
    connectedAtHist: connectedAtHist.toJSON(),
    syncedAtHist: syncedAtHist.toJSON(),
    cpu: cpu(),
  };
}

/**
 * Per client that came back (connected and synced): which expected messages it lacks, and when it had them all.
 * Clients that never came back are counted apart: their gap is an availability failure, not a lost message.
 */
function stormReport(args: StormReportArgs): StormReport {
  let expected = 0;
  let missing = 0;
  let clientsMissing = 0;
  let notSynced = 0;
  let caughtUp = 0;
  const live = new Set(args.liveIds ?? []);
  let missingLive = 0;
  let missingClientsDisconnected = 0;
  const samples: StormReport['samples'] = [];
  for (const client of clients) {
    if (client.syncedAt === 0) {
      notSynced++;
      continue;
    }
    let last = Math.max(client.syncedAt, client.connectedAt);
    let clientMissing = 0;
    for (const roomId of client.spec.rooms) {
      for (const id of args.expectedByRoom[roomId] ?? []) {
        expected++;
        const at = client.received?.get(id);
        if (at === undefined) {
          clientMissing++;
          if (live.has(id)) missingLive++;
          if (samples.length < 5) {
            samples.push({
              roomId,
              clientMessageId: id,
              live: live.has(id),
              connected: client.wire.connected,
              syncedAfterMs: Math.round(client.syncedAt - args.startAt),
              syncedFrom: client.syncFrom.get(roomId) ?? 0,
              highestRev: client.revs.get(roomId) ?? 0,
            });
          }
        } else if (at > last) last = at;
      }
    }
    missing += clientMissing;
    if (clientMissing > 0) clientsMissing++;
    if (clientMissing > 0 && !client.wire.connected) missingClientsDisconnected++;
    caughtUp = Math.max(caughtUp, last - args.startAt);
  }
  return {
    expected,
    missing,
    clientsMissing,
    caughtUpMs: Math.round(caughtUp),
    notSynced,
    liveDuplicates,
    missingLive,
    missingClientsDisconnected,
    samples,
  };
}

function closeAll(): { closed: number } {
  const closed = clients.length + rawSockets.length;
  for (const client of clients) client.wire.terminate();
  for (const ws of rawSockets) ws.terminate();
  clients.length = 0;
  rawSockets.length = 0;
  clearTracking();
  return { closed };
}

async function runAutocannon(args: AutocannonArgs): Promise<HttpThroughput> {
  const cpu = cpuMeter();
  const result = await autocannon({
    url: args.url,
    connections: args.connections,
    duration: args.durationSec,
    headers: args.headers,
    requests: args.paths.map((path) => ({ method: 'GET', path })),
  });
  return {
    requestsPerSec: Math.round(result.requests.average),
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    cpu: cpu(),
  };
}

/**
 * Fixed-rate HTTP GETs; latency counts from the scheduled time, so a stalled server cannot hide its backlog.
 * `warmupMs` runs the same schedule first, unmeasured, on the same agent: its connections are open and both
 * sides' code is compiled before the measured run starts.
 */
async function httpOpenLoop(args: OpenLoopHttpArgs): Promise<OpenLoopHttpResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: args.maxSockets });
  try {
    if (args.warmupMs > 0) await openLoopRun(agent, args, args.warmupMs);
    return await openLoopRun(agent, args, args.durationMs);
  } finally {
    agent.destroy();
  }
}

async function openLoopRun(
  agent: http.Agent,
  args: OpenLoopHttpArgs,
  durationMs: number,
): Promise<OpenLoopHttpResult> {
  const cpu = cpuMeter();
  const target = new URL(args.url);
  const hist = new Histogram();
  const worstPerSecond: number[] = [];
  const total = Math.floor((args.rate * durationMs) / 1000);
  let sent = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let done = 0;
  const start = nowMs() + 5;
  await new Promise<void>((resolve) => {
    const finish = (): void => {
      done++;
      if (done === total) resolve();
    };
    const fire = (index: number, dueAt: number): void => {
      sent++;
      const request = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: args.paths[index % args.paths.length],
          headers: args.headers,
        },
        (response) => {
          response.resume();
          response.once('end', () => {
            const latency = nowMs() - dueAt;
            hist.record(latency);
            const second = Math.floor(index / args.rate);
            if (!(worstPerSecond[second] >= latency)) worstPerSecond[second] = latency;
            if (response.statusCode && response.statusCode < 300) ok++;
            else non2xx++;
            finish();
          });
        },
      );
      request.setTimeout(10_000, () => request.destroy(new Error('timeout')));
      request.once('error', () => {
        errors++;
        finish();
      });
      request.end();
    };
    let scheduled = 0;
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((nowMs() - start) * args.rate) / 1000) + 1);
      while (scheduled < due) {
        fire(scheduled, start + (scheduled * 1000) / args.rate);
        scheduled++;
      }
      if (scheduled < total) setTimeout(tick, 1);
    };
    if (total === 0) resolve();
    else setTimeout(tick, 5);
  });
  const timeline = Array.from(worstPerSecond, (value) => Math.round(value ?? 0));
  return { sent, ok, non2xx, errors, hist: hist.toJSON(), timeline, cpu: cpu() };
}

/** Fallback for C_pg when pgbench is not installed: N clients committing one INSERT each, back to back. */
async function pgInsert(args: PgInsertArgs) {
  const cpu = cpuMeter();
  const pool = new Pool({ connectionString: args.url, max: args.clients });
  let commits = 0;
  let errors = 0;
  const until = Date.now() + args.durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: args.clients }, async () => {
      const connection = await pool.connect();
      try {
        while (Date.now() < until) {
          try {
            await connection.query(args.sql);
            commits++;
          } catch {
            errors++;
          }
        }
      } finally {
        connection.release();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.end();
  return { commits, perSec: Math.round(commits / seconds), errors, cpu: cpu() };
}

const handlers: Record<string, (args: never) => unknown> = {
  connect,
  connectRaw,
  reset,
  load,
  deliveries,
  deliveredTotal: () => ({ total: deliveredTotal, lastAt: lastDeliveryAt }),
  cycle,
  eventCounts: () => ({ counts: Object.fromEntries(eventCounts), lastAt: lastEventAt }),
  drop,
  storm,
  stormReport,
  closeAll,
  autocannon: runAutocannon,
  httpOpenLoop,
  pgInsert,
  clientCount: () => ({
    sio: clients.length,
    connected: clients.filter((client) => client.wire.connected).length,
    raw: rawSockets.length,
  }),
};

process.on('message', (request: GenRequest) => {
  const handler = handlers[request.command];
  const reply = (response: GenResponse): void => {
    process.send?.(response);
  };
  Promise.resolve()
    .then(() => handler(request.args as never))
    .then(
      (result) => reply({ id: request.id, ok: true, result }),
      (error: unknown) =>
        reply({
          id: request.id,
          ok: false,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
    );
});

// The orchestrator going away (crash, Ctrl-C) must not leave a generator holding thousands of sockets.
process.on('disconnect', () => process.exit(0));
