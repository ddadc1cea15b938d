import { randomUUID } from 'node:crypto';
import { Api, mapLimit } from '../lib/api';
import type { BenchContext } from '../lib/context';
import { Histogram } from '../lib/histogram';
import { AckLedger, checkIntegrity, sig } from '../lib/messaging';
import { benchContent, nowMs } from '../lib/protocol';
import { ceilingHttp } from './ceilings';

/** REST history: pages of 50 messages, max req/s against bare Fastify, and p99 at a fixed 1k req/s. */
export async function history(ctx: BenchContext): Promise<Record<string, unknown>> {
  const chttp = await ceilingHttp(ctx);
  const { messages, autocannonSec, connections, rate, durationMs } = ctx.sizes.history;
  const app = await ctx.startApp();
  try {
    const api = new Api(app.url);
    const [roomId] = await ctx.ensureRooms10(api, 1);
    const members = ctx.users.slice(0, 10);
    const tag = ctx.tag('history');
    const ledger = new AckLedger();
    const started = Date.now();
    await mapLimit(
      Array.from({ length: messages }, (_, index) => index),
      8,
      async (index) => {
        const clientMessageId = randomUUID();
        ledger.sent++;
        await api.postMessage(members[index % 10], roomId, benchContent(tag, nowMs(), 120), clientMessageId);
        ledger.acked.set(clientMessageId, roomId);
      },
    );
    ctx.log(`  stored ${messages} messages over REST in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // Pages from all over the room, newest first; the first path is the page a client opens with.
    const paths = Array.from({ length: 50 }, (_, index) => {
      const before = index === 0 ? messages + 1 : 51 + Math.floor(((messages - 50) * index) / 50);
      return `/api/v1/rooms/${roomId}/messages?limit=50&before=${before}`;
    });
    const headers = { authorization: `Bearer ${members[1].token}` };
    const check = await fetch(`${app.url}${paths[0]}`, { headers });
    const page = (await check.json()) as { items?: unknown[] };
    if (!check.ok || page.items?.length !== 50) {
      throw new Error(`history page check failed: HTTP ${check.status}, ${page.items?.length ?? 'no'} items`);
    }
    const gen = ctx.gens[0];
    // Warm-up, then the measured run.
    await gen.request('autocannon', { url: app.url, connections, durationSec: 1, headers, paths });
    const cpuPerPage = app.cpuMeter();
    const max = await gen.request('autocannon', {
      url: app.url,
      connections,
      durationSec: autocannonSec,
      headers,
      paths,
    });
    const cpuPerPageUs = cpuPerPage(max.total);
    const open = await gen.request('httpOpenLoop', {
      url: app.url,
      rate,
      warmupMs: ctx.sizes.warmupMs,
      durationMs,
      headers,
      paths,
      maxSockets: 64,
    });
    let profiled: unknown;
    if (ctx.options.profile) {
      profiled = await ctx.profileDuring(app, 'history', () =>
        gen.request('autocannon', {
          url: app.url,
          connections,
          durationSec: Math.min(5, autocannonSec),
          headers,
          paths,
        }),
      );
    }
    const latency = Histogram.from(open.hist).summary();
    const ratio = sig(max.requestsPerSec / chttp.value);
    ctx.addFigure({
      scenario: 'history',
      figure: `GET history page of 50, max req/s (${connections} connections)`,
      value: max.requestsPerSec,
      unit: 'req/s',
      ceiling: { name: 'C_http', value: chttp.value, unit: chttp.unit },
      ratio,
      target: '≥ 0.3 × C_http',
      pass: ratio >= 0.3 && max.non2xx === 0 && max.errors === 0,
      note: `app CPU ${cpuPerPageUs} µs per page, p99 ${max.latencyP99} ms under max load, non-2xx ${max.non2xx}, errors ${max.errors}, generator CPU ${max.cpu.percent} %`,
    });
    ctx.addFigure({
      scenario: 'history',
      figure: `GET history page of 50, p99 at ${rate} req/s (open loop)`,
      value: latency.p99,
      unit: 'ms',
      target: '< 20 ms',
      pass: latency.p99 < 20 && open.non2xx === 0 && open.errors === 0,
      note: `p50 ${latency.p50} ms, ${open.ok}/${open.sent} ok, generator CPU ${open.cpu.percent} %, worst per second ${open.timeline.join(' ')} ms`,
    });
    await checkIntegrity(ctx, 'history', ledger, [roomId], tag);
    return {
      messages,
      max,
      cpuPerPageUs,
      open: { ...open, hist: undefined, latency },
      profiled: profiled !== undefined,
    };
  } finally {
    await app.stop();
  }
}
