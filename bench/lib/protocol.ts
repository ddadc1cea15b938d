import type { HistogramData } from './histogram';

/** The IPC contract between the orchestrator (bench/run.ts) and load-generator processes (bench/loadgen.ts). */

export interface CpuReport {
  /** CPU time the generator used during the command, as % of one core (100 = one core saturated). */
  percent: number;
  userMs: number;
  systemMs: number;
  wallMs: number;
}

export interface ClientSpec {
  token: string;
  rooms: string[];
}

export interface ConnectArgs {
  url: string;
  clients: ClientSpec[];
  localAddresses: string[];
  /** Handshakes in flight at once. */
  concurrency: number;
  timeoutMs: number;
  /** Remember, per client, when each message was first seen (reconnect storm). */
  trackIds?: boolean;
}

export interface ConnectResult {
  connected: number;
  failed: number;
  errors: Record<string, number>;
  ms: number;
  cpu: CpuReport;
}

export interface LoadArgs {
  /** Messages per second across this generator's senders (open loop: the schedule does not wait for acks). */
  rate: number;
  durationMs: number;
  /** Indexes of this generator's clients that send; each sends round-robin into its rooms. */
  senders: number[];
  contentBytes: number;
  ackTimeoutMs: number;
  tag: string;
}

export interface LoadResult {
  scheduled: number;
  sent: number;
  acked: number;
  ackFailures: Record<string, number>;
  ackHist: HistogramData;
  /** [clientMessageId, roomId] of every acknowledged message. */
  ackedIds: [string, string][];
  /** clientMessageIds that were sent but not acknowledged (error or timeout). */
  unackedIds: string[];
  maxScheduleLagMs: number;
  cpu: CpuReport;
}

export interface DeliveryReport {
  /** Deliveries since the clients connected. */
  total: number;
  /** Deliveries since the last reset (this step). */
  stepTotal: number;
  /** The same (room, seq) received twice by one socket, since the clients connected. */
  duplicates: number;
  /** Deliveries (since the last reset) with a lower seq than one the socket already had from that room. */
  outOfSeqOrder: number;
  /** Delivery latency of messages sent since the last reset. */
  hist: HistogramData;
  /** Deliveries per clientMessageId since the clients connected. */
  counts: [string, number][];
  lastAt: number;
  disconnects: number;
  /** Generator CPU since the last reset (sending and receiving). */
  cpu: CpuReport;
  /** Worst delivery latency (ms) in each second since the last reset. */
  timeline: number[];
}

export interface StormArgs {
  /** Epoch ms all generators count from. */
  startAt: number;
  minDelayMs: number;
  maxDelayMs: number;
  deadlineMs: number;
  /** One connect attempt's timeout (socket.io-client's default is 20 s), then a jittered retry. */
  attemptTimeoutMs: number;
}

export interface StormResult {
  clients: number;
  connected: number;
  synced: number;
  connectAttemptsFailed: number;
  errors: Record<string, number>;
  syncCalls: number;
  connectedAtHist: HistogramData;
  syncedAtHist: HistogramData;
  cpu: CpuReport;
}

export interface StormReportArgs {
  startAt: number;
  expectedByRoom: Record<string, string[]>;
  /** The expected messages sent during the storm (the rest were sent while everyone was away). */
  liveIds?: string[];
}

export interface StormReport {
  /** Expected messages over the clients that came back (connected and synced). */
  expected: number;
  /** Of those, not received: lost. */
  missing: number;
  clientsMissing: number;
  /** ms from startAt until the last client that came back was synced and had every expected message. */
  caughtUpMs: number;
  /** Clients that were not connected and synced by the deadline. */
  notSynced: number;
  liveDuplicates: number;
  /** Missing messages that were sent during the storm (live), not while everyone was away. */
  missingLive: number;
  /** Clients missing messages that are no longer connected (dropped again after their sync). */
  missingClientsDisconnected: number;
  samples: {
    roomId: string;
    clientMessageId: string;
    live: boolean;
    connected: boolean;
    syncedAfterMs: number;
    syncedFrom: number;
    highestRev: number;
  }[];
}

export interface AutocannonArgs {
  url: string;
  connections: number;
  durationSec: number;
  headers?: Record<string, string>;
  paths: string[];
}

export interface HttpThroughput {
  requestsPerSec: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latencyP50: number;
  latencyP99: number;
  cpu: CpuReport;
}

export interface OpenLoopHttpArgs {
  url: string;
  rate: number;
  /** Unmeasured run at the same rate first, on the same connections. */
  warmupMs: number;
  durationMs: number;
  headers?: Record<string, string>;
  paths: string[];
  maxSockets: number;
}

export interface OpenLoopHttpResult {
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  hist: HistogramData;
  /** Worst latency (ms) of the requests due in each second: shows stalls that p99 alone hides. */
  timeline: number[];
  cpu: CpuReport;
}

export interface PgInsertArgs {
  url: string;
  clients: number;
  durationMs: number;
  sql: string;
}

export interface GenCommands {
  connect: [ConnectArgs, ConnectResult];
  connectRaw: [{ url: string; count: number; localAddresses: string[]; concurrency: number }, ConnectResult];
  reset: [Record<string, never>, { ok: true }];
  load: [LoadArgs, LoadResult];
  deliveries: [Record<string, never>, DeliveryReport];
  deliveredTotal: [Record<string, never>, { total: number; lastAt: number }];
  cycle: [{ from: number; count: number; concurrency: number }, ConnectResult];
  eventCounts: [Record<string, never>, { counts: Record<string, number>; lastAt: number }];
  drop: [Record<string, never>, { dropped: number }];
  storm: [StormArgs, StormResult];
  stormReport: [StormReportArgs, StormReport];
  closeAll: [Record<string, never>, { closed: number }];
  autocannon: [AutocannonArgs, HttpThroughput];
  httpOpenLoop: [OpenLoopHttpArgs, OpenLoopHttpResult];
  pgInsert: [PgInsertArgs, { commits: number; perSec: number; errors: number; cpu: CpuReport }];
  clientCount: [Record<string, never>, { sio: number; connected: number; raw: number }];
}

export type GenCommand = keyof GenCommands;

export interface GenRequest {
  id: number;
  command: GenCommand;
  args: unknown;
}

export interface GenResponse {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** Message content carries its scheduled send time so latency includes any queueing before the send. */
export function benchContent(tag: string, sentAt: number, bytes: number): string {
  const head = `bench ${tag} ${sentAt.toFixed(3)} `;
  return head.length >= bytes ? head : head + 'x'.repeat(bytes - head.length);
}

export function parseBenchContent(content: unknown): number | undefined {
  if (typeof content !== 'string' || !content.startsWith('bench ')) return undefined;
  const tagEnd = content.indexOf(' ', 6);
  const timeEnd = content.indexOf(' ', tagEnd + 1);
  const value = Number(content.slice(tagEnd + 1, timeEnd < 0 ? undefined : timeEnd));
  return Number.isFinite(value) ? value : undefined;
}

/** Wall-clock ms with sub-ms precision, comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
