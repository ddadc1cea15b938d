import { Api, SeedUser } from '../lib/api';
import type { BenchContext } from '../lib/context';
import { split } from '../lib/gens';
import { closeLayout, connectLayout, Layout, sig } from '../lib/messaging';
import type { ServerProcess } from '../lib/server-process';
import { ceilingSioIdle, ceilingWsIdle } from './ceilings';

const TARGET_SOCKETS = 20_000;

/**
 * Idle authenticated sockets: heap and RSS per socket against a bare `ws` server, and the RSS at 20k sockets.
 * One process cannot hold more descriptors than `ulimit -Hn`; when that is below 20k plus what the app needs,
 * the run measures as many as fit and extrapolates the RSS to 20k from the measured per-socket cost.
 */
export async function idle(ctx: BenchContext): Promise<Record<string, unknown>> {
  const wanted = ctx.sizes.idle.sockets;
  const fitting = Math.max(100, ctx.options.fdLimit - 500);
  const sockets = Math.min(wanted, fitting);
  if (sockets < wanted) {
    ctx.log(
      `  file-descriptor hard limit ${ctx.options.fdLimit}: measuring ${sockets} sockets, extrapolating to ${wanted}`,
    );
  }
  const wsIdle = await ceilingWsIdle(ctx, sockets);
  const sioIdle = await ceilingSioIdle(ctx, sockets);
  const app = await ctx.startApp();
  let layout: Layout | undefined;
  try {
    const api = new Api(app.url);
    const users = await ctx.ensureUsers(api, Math.min(ctx.sizes.users, sockets));
    // Warm every lazy path (JIT, pools, adapter) with one connection before taking the baseline.
    const warm: Layout = {
      parts: [
        { gen: ctx.gens[0], url: app.url, clients: [{ token: users[0].token, rooms: [] }], senders: [] },
      ],
      socketsPerRoom: new Map(),
      rooms: [],
    };
    await connectLayout(ctx, warm);
    await closeLayout(warm);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = await app.memoryAfterGc();
    const specs = Array.from({ length: sockets }, (_, index) => ({
      token: users[index % users.length].token,
      rooms: [],
    }));
    const gens = sockets > 9000 ? ctx.gens : ctx.gens.slice(0, 1);
    const shares = split(specs, gens.length);
    layout = {
      parts: gens.map((gen, index) => ({ gen, url: app.url, clients: shares[index], senders: [] })),
      socketsPerRoom: new Map(),
      rooms: [],
    };
    const started = Date.now();
    const connected = await connectLayout(ctx, layout);
    const connectSeconds = (Date.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = await app.memoryAfterGc();
    const heapPerSocket = (after.heapUsed - before.heapUsed) / sockets;
    const rssPerSocket = (after.rss - before.rss) / sockets;
    const rssAtTarget = before.rss + rssPerSocket * TARGET_SOCKETS;
    const ratio = sig(heapPerSocket / wsIdle.value);
    ctx.addFigure({
      scenario: 'idle',
      figure: `heap per idle authenticated socket (${sockets} sockets)`,
      value: Math.round(heapPerSocket),
      unit: 'bytes',
      ceiling: { name: 'ws_idle', value: wsIdle.value, unit: wsIdle.unit },
      ratio,
      target: '≤ 1.3 × ws_idle',
      pass: ratio <= 1.3,
      note:
        `RSS per socket ${Math.round(rssPerSocket)} B (ws_idle ${Math.round(Number(wsIdle.details.rssPerSocket))} B); ` +
        `a bare Socket.IO server holds ${sioIdle.value} B of heap per idle socket`,
    });
    const measuredAll = sockets >= TARGET_SOCKETS;
    ctx.addFigure({
      scenario: 'idle',
      figure: `RSS with ${TARGET_SOCKETS} idle sockets${measuredAll ? '' : ` (extrapolated from ${sockets})`}`,
      value: Math.round(rssAtTarget / 1048576),
      unit: 'MB',
      target: '< 400 MB',
      pass: rssAtTarget < 400 * 1048576,
      note: `measured ${Math.round(after.rss / 1048576)} MB at ${sockets} sockets, ${Math.round(before.rss / 1048576)} MB before; connecting took ${connectSeconds.toFixed(1)} s`,
    });
    let heapBreakdown: HeapDelta[] | undefined;
    if (ctx.options.profile) {
      await closeLayout(layout);
      layout = undefined;
      // On a fresh instance: maps that grew for 20k sockets keep their capacity and would skew a diff.
      await app.stop();
      const fresh = await ctx.startApp();
      try {
        heapBreakdown = await heapPerSocketByConstructor(ctx, fresh, users, Math.min(1000, sockets));
      } finally {
        await fresh.stop();
      }
    }
    return {
      sockets,
      wanted,
      before,
      after,
      heapPerSocket,
      rssPerSocket,
      rssAtTarget,
      connectSeconds,
      connected,
      heapBreakdown,
    };
  } finally {
    if (layout) await closeLayout(layout);
    await app.stop();
  }
}

interface HeapDelta {
  name: string;
  countPerSocket: number;
  bytesPerSocket: number;
}

/** Heap snapshots before and after `count` sockets, diffed by constructor: what one socket is made of. */
async function heapPerSocketByConstructor(
  ctx: BenchContext,
  app: ServerProcess,
  users: SeedUser[],
  count: number,
): Promise<HeapDelta[]> {
  const warm: Layout = {
    parts: [{ gen: ctx.gens[0], url: app.url, clients: [{ token: users[0].token, rooms: [] }], senders: [] }],
    socketsPerRoom: new Map(),
    rooms: [],
  };
  await connectLayout(ctx, warm);
  await closeLayout(warm);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const inspector = await app.debugger();
  const before = await inspector.heapByConstructor();
  const layout: Layout = {
    parts: [
      {
        gen: ctx.gens[0],
        url: app.url,
        clients: Array.from({ length: count }, (_, index) => ({
          token: users[index % users.length].token,
          rooms: [],
        })),
        senders: [],
      },
    ],
    socketsPerRoom: new Map(),
    rooms: [],
  };
  try {
    await connectLayout(ctx, layout);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = await inspector.heapByConstructor();
    const deltas: HeapDelta[] = [];
    for (const [name, entry] of after) {
      const base = before.get(name) ?? { count: 0, bytes: 0 };
      const bytes = (entry.bytes - base.bytes) / count;
      if (bytes > 0) {
        deltas.push({
          name,
          countPerSocket: Math.round(((entry.count - base.count) / count) * 100) / 100,
          bytesPerSocket: Math.round(bytes),
        });
      }
    }
    deltas.sort((a, b) => b.bytesPerSocket - a.bytesPerSocket);
    // Closures know where they were defined: sum them per package (or app file) to see who holds them.
    const closures = new Map<string, { count: number; bytes: number }>();
    for (const entry of deltas) {
      const place = /^closure \S+ (.+):\d+$/.exec(entry.name)?.[1];
      if (!place) continue;
      const parts = place.split('/');
      const owner =
        parts[0] === 'src' ? place : parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
      const sum = closures.get(owner) ?? { count: 0, bytes: 0 };
      sum.count += entry.countPerSocket;
      sum.bytes += entry.bytesPerSocket;
      closures.set(owner, sum);
    }
    const closuresByOwner = [...closures.entries()]
      .map(([name, sum]) => ({
        name: `closures from ${name}`,
        countPerSocket: Math.round(sum.count * 100) / 100,
        bytesPerSocket: sum.bytes,
      }))
      .sort((a, b) => b.bytesPerSocket - a.bytesPerSocket);
    const top = [...deltas.filter((entry) => !entry.name.startsWith('closure ')), ...closuresByOwner]
      .sort((a, b) => b.bytesPerSocket - a.bytesPerSocket)
      .slice(0, 25);
    ctx.log(`  heap per socket by constructor (${count} sockets; closures summed by package):`);
    for (const entry of top.slice(0, 15)) {
      ctx.log(`    ${entry.bytesPerSocket} B  ${entry.countPerSocket} × ${entry.name}`);
    }
    return top;
  } finally {
    await closeLayout(layout);
  }
}
