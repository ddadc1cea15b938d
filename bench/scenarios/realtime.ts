import { Api } from '../lib/api';
import type { BenchContext } from '../lib/context';
import {
  AckLedger,
  checkIntegrity,
  closeLayout,
  connectLayout,
  Layout,
  roomsOf10Layout,
  runStep,
  searchMaxRate,
  sig,
  StepResult,
} from '../lib/messaging';
import { ActivitySample, sampleActivity } from '../lib/pg-activity';
import type { ServerProcess } from '../lib/server-process';
import { ceilingPg, ceilingSio, fanoutParts, fanoutStartRate } from './ceilings';

/** The real-time write path: send → commit → ack → deliver, at the highest rate, at a fixed rate, and fanned out. */

const MAX_P99_MS = 100;
/** Searches start low and double: an overloaded first step would leave a backlog that takes long to drain. */
const START_RATE = 100;

async function withApp<T>(ctx: BenchContext, task: (app: ServerProcess, api: Api) => Promise<T>): Promise<T> {
  const app = await ctx.startApp();
  try {
    return await task(app, new Api(app.url));
  } finally {
    const code = await app.stop();
    if (app.errorLogCount > 0)
      ctx.log(`  note: the app logged ${app.errorLogCount} error lines; tail:\n${app.tail(5)}`);
    if (code !== 0) ctx.log(`  note: the app exited with ${code}`);
  }
}

/** A warm-up at half the start rate, then the search for the highest rate with p99 < MAX_P99_MS. */
async function warmUpAndSearch(
  ctx: BenchContext,
  layout: Layout,
  start: number,
  tag: string,
  ledger: AckLedger,
): ReturnType<typeof searchMaxRate> {
  const step = (rate: number, durationMs: number) =>
    runStep(ctx, layout, { rate, durationMs, tag, maxP99Ms: MAX_P99_MS, ledger });
  await step(start / 2, ctx.sizes.warmupMs);
  return searchMaxRate(ctx, start, ctx.sizes.maxSearchSteps, (rate) => step(rate, ctx.sizes.stepMs));
}

async function rooms10Layout(ctx: BenchContext, api: Api, clients: number, urls: string[]): Promise<Layout> {
  const rooms = await ctx.ensureRooms10(api, Math.ceil(clients / 10));
  return roomsOf10Layout(ctx.users.slice(0, clients), rooms, [ctx.gens[0]], urls);
}

/** Highest sustained durable msg/s in rooms of 10 with p99 < 100 ms and nothing lost, against C_pg. */
export async function throughput(ctx: BenchContext): Promise<Record<string, unknown>> {
  const cpg = await ceilingPg(ctx);
  return withApp(ctx, async (app, api) => {
    const layout = await rooms10Layout(ctx, api, ctx.sizes.throughput.clients, [app.url]);
    const tag = ctx.tag('throughput');
    const ledger = new AckLedger(layout);
    try {
      await connectLayout(ctx, layout);
      const start = ctx.options.smoke ? 20 : START_RATE;
      const search = await warmUpAndSearch(ctx, layout, start, tag, ledger);
      const best = search.best;
      let profiled: StepResult | undefined;
      let activity: ActivitySample | undefined;
      if (ctx.options.profile) {
        // A separate step just above the best rate: where the limit is, without skewing the measured steps.
        const rate = Math.round((best?.rate ?? start) * 1.2);
        const sampled = await ctx.profileDuring(app, 'throughput', () =>
          sampleActivity(ctx.infra.databaseUrl, ctx.infra.databaseName, () =>
            runStep(ctx, layout, { rate, durationMs: ctx.sizes.stepMs, tag, maxP99Ms: MAX_P99_MS, ledger }),
          ),
        );
        profiled = sampled.result;
        activity = sampled.activity;
        ctx.log(
          `  PostgreSQL connections during that step (mean per state): ${JSON.stringify(activity.mean)}`,
        );
      }
      const value = best?.achievedMsgPerSec ?? 0;
      const ratio = sig(value / cpg.value);
      ctx.addFigure({
        scenario: 'throughput',
        figure: 'sustained durable msg/s (rooms of 10, p99 < 100 ms, 0 lost)',
        value,
        unit: 'msg/s',
        ceiling: { name: 'C_pg', value: cpg.value, unit: cpg.unit },
        ratio,
        target: '≥ 1.0 × C_pg',
        pass: ratio >= 1.0,
        note: best
          ? `p99 delivery ${best.deliveryLatency.p99} ms, ack ${best.ackLatency.p99} ms, ${best.outOfSeqOrder} deliveries out of seq order, generator CPU ${best.genCpuPercent.join('/')} %`
          : 'no step passed',
      });
      await checkIntegrity(ctx, 'throughput', ledger, layout.rooms, tag);
      return { clients: ctx.sizes.throughput.clients, best, steps: search.steps, profiled, activity };
    } finally {
      await closeLayout(layout);
    }
  });
}

/** Latency at 1k msg/s with 1k connected clients in rooms of 10. */
export async function latency(ctx: BenchContext): Promise<Record<string, unknown>> {
  const { clients, rate, durationMs } = ctx.sizes.latency;
  return withApp(ctx, async (app, api) => {
    const layout = await rooms10Layout(ctx, api, clients, [app.url]);
    const tag = ctx.tag('latency');
    const ledger = new AckLedger(layout);
    try {
      await connectLayout(ctx, layout);
      await runStep(ctx, layout, { rate, durationMs: ctx.sizes.warmupMs, tag, maxP99Ms: 25, ledger });
      const cpuPerMessage = app.cpuMeter();
      const step = await runStep(ctx, layout, { rate, durationMs, tag, maxP99Ms: 25, ledger });
      const cpuPerMessageUs = cpuPerMessage(step.sent);
      ctx.log(`  worst delivery latency per second (ms): ${step.timeline.join(' ')}`);
      const note = `ack p50 ${step.ackLatency.p50} / p99 ${step.ackLatency.p99} ms; achieved ${step.achievedMsgPerSec} msg/s; app CPU ${cpuPerMessageUs} µs per message; ${step.outOfSeqOrder} deliveries out of seq order; generator CPU ${step.genCpuPercent.join('/')} %`;
      ctx.addFigure({
        scenario: 'latency',
        figure: `send→deliver p50 at ${rate} msg/s, ${clients} clients`,
        value: step.deliveryLatency.p50,
        unit: 'ms',
        target: '≤ 5 ms',
        pass: step.deliveryLatency.p50 <= 5 && step.achievedMsgPerSec >= rate * 0.97,
        note,
      });
      ctx.addFigure({
        scenario: 'latency',
        figure: `send→deliver p99 at ${rate} msg/s, ${clients} clients`,
        value: step.deliveryLatency.p99,
        unit: 'ms',
        target: '≤ 25 ms',
        pass: step.deliveryLatency.p99 <= 25 && step.achievedMsgPerSec >= rate * 0.97,
      });
      if (ctx.options.profile) {
        // A step of its own: the profiler's overhead must not show in the measured latency.
        await ctx.profileDuring(app, 'latency', () =>
          runStep(ctx, layout, { rate, durationMs, tag, maxP99Ms: 25, ledger }),
        );
      }
      await checkIntegrity(ctx, 'latency', ledger, layout.rooms, tag);
      return { clients, rate, step, cpuPerMessageUs };
    } finally {
      await closeLayout(layout);
    }
  });
}

/**
 * Fan-out into one room of 5k members: deliveries/s against a bare Socket.IO server.
 *
 * Members connect first and join the room afterwards (through the API, which adds their live sockets): connecting
 * 5k members of an existing 5k room makes every connect broadcast `presence` to the whole room, O(n²) work that
 * took minutes here and would drown the message figure. That cost is measured separately below ("presence probe").
 */
export async function fanout(ctx: BenchContext): Promise<Record<string, unknown>> {
  const csio = await ceilingSio(ctx);
  const { members, maxP99Ms } = ctx.sizes.fanout;
  return withApp(ctx, async (app, api) => {
    const users = await ctx.ensureUsers(api, members);
    const owner = users[0];
    const roomId = await api.createGroup(owner, `bench-fanout-${members}`, []);
    const layout: Layout = {
      parts: fanoutParts(
        ctx,
        app.url,
        users.map((user) => ({ token: user.token, rooms: [roomId] })),
      ),
      socketsPerRoom: new Map([[roomId, members]]),
      rooms: [roomId],
    };
    const tag = ctx.tag('fanout');
    const ledger = new AckLedger(layout);
    try {
      await connectLayout(ctx, layout);
      const started = Date.now();
      for (let from = 1; from < members; from += 100) {
        const batch = users.slice(from, Math.min(members, from + 100));
        await api.addMembers(
          owner,
          roomId,
          batch.map((user) => user.id),
        );
      }
      await quiet(ctx, 1000, 30_000);
      ctx.log(`  ${members - 1} members joined the room in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const start = fanoutStartRate(ctx);
      await runStep(ctx, layout, { rate: start, durationMs: ctx.sizes.warmupMs, tag, maxP99Ms, ledger });
      const search = await searchMaxRate(ctx, start, ctx.sizes.maxSearchSteps, (rate) =>
        runStep(ctx, layout, { rate, durationMs: ctx.sizes.stepMs, tag, maxP99Ms, ledger }),
      );
      let profiled: StepResult | undefined;
      if (ctx.options.profile) {
        const rate = Math.round((search.best?.rate ?? start) * 1.2);
        profiled = await ctx.profileDuring(app, 'fanout', () =>
          runStep(ctx, layout, { rate, durationMs: ctx.sizes.stepMs, tag, maxP99Ms, ledger }),
        );
      }
      const value = search.best?.deliveriesPerSec ?? 0;
      const ratio = csio.value > 0 ? sig(value / csio.value) : 0;
      ctx.addFigure({
        scenario: 'fanout',
        figure: `fan-out deliveries/s, one room of ${members} (p99 < ${maxP99Ms} ms, 0 lost)`,
        value,
        unit: 'deliveries/s',
        ceiling: { name: 'C_sio', value: csio.value, unit: csio.unit },
        ratio,
        target: '≥ 0.6 × C_sio',
        pass: ratio >= 0.6,
        note: search.best
          ? `${search.best.achievedMsgPerSec} msg/s, p99 delivery ${search.best.deliveryLatency.p99} ms, ${search.best.outOfSeqOrder} deliveries out of seq order, generator CPU ${search.best.genCpuPercent.join('/')} %`
          : 'no step passed',
      });
      await checkIntegrity(ctx, 'fanout', ledger, layout.rooms, tag);
      const presence = await presenceProbe(ctx, app, members);
      return { members, best: search.best, steps: search.steps, profiled, presence };
    } finally {
      await closeLayout(layout);
      // A 5k room left behind would make every later connect of its members broadcast presence to all of them.
      await api.request('DELETE', `/rooms/${roomId}`, undefined, owner.token).catch(() => undefined);
    }
  });
}

/** Waits until no server event reached the generators for `quietMs` (or `maxMs` passed). */
async function quiet(ctx: BenchContext, quietMs: number, maxMs: number): Promise<number> {
  const started = Date.now();
  let last = '';
  let lastChange = Date.now();
  while (Date.now() - started < maxMs) {
    const counts = await Promise.all(ctx.gens.map((gen) => gen.request('eventCounts', {})));
    const key = JSON.stringify(counts.map((entry) => entry.counts));
    if (key !== last) {
      last = key;
      lastChange = Date.now();
    } else if (Date.now() - lastChange >= quietMs) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return Date.now() - started;
}

/**
 * Presence cost in a big room: a few members drop and reconnect; each transition is broadcast to every other
 * member. Reports how long the broadcasts take to arrive and how many there were.
 */
async function presenceProbe(ctx: BenchContext, app: ServerProcess, members: number) {
  const count = Math.max(2, Math.min(100, Math.floor(members / 50)));
  const gen = ctx.gens[0];
  const presenceSeen = async (): Promise<number> => {
    const counts = await Promise.all(ctx.gens.map((each) => each.request('eventCounts', {})));
    return counts.reduce((sum, entry) => sum + (entry.counts.presence ?? 0), 0);
  };
  const before = await presenceSeen();
  const started = Date.now();
  const run = async () => {
    // Members 1…count of the first generator (member 0 owns the room).
    const cycled = await gen.request('cycle', { from: 1, count, concurrency: 50 });
    const settledMs = await quiet(ctx, 1500, 120_000);
    return { cycled, settledMs };
  };
  const { cycled, settledMs } = ctx.options.profile
    ? await ctx.profileDuring(app, 'presence', run)
    : await run();
  const after = await presenceSeen();
  const deliveries = after - before;
  const seconds = Math.max(0.001, (Date.now() - started - 1500) / 1000);
  const result = {
    reconnected: count,
    connectMs: cycled.ms,
    presenceDeliveries: deliveries,
    perReconnect: Math.round(deliveries / count),
    seconds: Math.round(seconds * 10) / 10,
    deliveriesPerSec: Math.round(deliveries / seconds),
    settledMs,
  };
  ctx.log(
    `  presence probe: ${count} members of the ${members} room reconnected; ${deliveries} presence deliveries ` +
      `(${result.perReconnect} per reconnect) took ${result.seconds} s`,
  );
  return result;
}

/** Two instances vs one: deliveries/s in rooms of 10 whose members are spread over both instances. */
export async function scale(ctx: BenchContext): Promise<Record<string, unknown>> {
  const clients = ctx.sizes.scale.clients;
  const search = async (label: string, urls: string[], api: Api, start: number) => {
    const layout = await rooms10Layout(ctx, api, clients, urls);
    const tag = ctx.tag(label);
    const ledger = new AckLedger(layout);
    try {
      await connectLayout(ctx, layout);
      const result = await warmUpAndSearch(ctx, layout, start, tag, ledger);
      await checkIntegrity(ctx, label, ledger, layout.rooms, tag);
      return result;
    } finally {
      await closeLayout(layout);
    }
  };
  const start = ctx.options.smoke ? 20 : START_RATE;
  ctx.log('  one instance');
  const one = await withApp(ctx, (app, api) => search('scale-1', [app.url], api, start));
  ctx.log('  two instances');
  const two = await withApp(ctx, async (first, api) => {
    const second = await ctx.startApp('parley-2');
    try {
      return await search('scale-2', [first.url, second.url], api, one.best?.rate ?? start);
    } finally {
      await second.stop();
    }
  });
  const oneValue = one.best?.deliveriesPerSec ?? 0;
  const twoValue = two.best?.deliveriesPerSec ?? 0;
  const ratio = oneValue > 0 ? sig(twoValue / oneValue) : 0;
  ctx.addFigure({
    scenario: 'scale',
    figure: 'two instances vs one, deliveries/s (rooms of 10, p99 < 100 ms)',
    value: twoValue,
    unit: 'deliveries/s',
    ceiling: { name: 'one instance', value: oneValue, unit: 'deliveries/s' },
    ratio,
    target: '≥ 1.7 × one instance',
    pass: ratio >= 1.7,
    note: `${two.best?.outOfSeqOrder ?? '?'} deliveries out of seq order (two instances); generator CPU ${two.best?.genCpuPercent.join('/') ?? '?'} %`,
  });
  return { clients, one, two };
}
