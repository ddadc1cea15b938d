import { randomUUID } from 'node:crypto';
import { Api, mapLimit } from '../lib/api';
import type { BenchContext } from '../lib/context';
import { Histogram } from '../lib/histogram';
import { AckLedger, checkIntegrity, closeLayout, Layout, roomsOf10Layout } from '../lib/messaging';
import { benchContent, nowMs, StormReport, StormResult } from '../lib/protocol';

const TARGET_MS = 10_000;

/**
 * Reconnect storm: every socket drops at once; messages are sent while they are away (and more while they come
 * back); every socket reconnects (jittered over 1 s, like socket.io-client's backoff) and calls `sync` from the
 * highest rev it saw. Done when every socket is back and holds every message of its rooms.
 */
export async function reconnect(ctx: BenchContext): Promise<Record<string, unknown>> {
  const { sockets, socketsPerUser, missedPerRoom, deadlineMs } = ctx.sizes.reconnect;
  const userCount = Math.ceil(sockets / socketsPerUser);
  const app = await ctx.startApp();
  let layout: Layout | undefined;
  try {
    const api = new Api(app.url);
    const rooms = await ctx.ensureRooms10(api, Math.ceil(userCount / 10));
    const users = ctx.users.slice(0, userCount);
    const gens = sockets > 6000 ? ctx.gens : ctx.gens.slice(0, 1);
    layout = roomsOf10Layout(users, rooms, gens, [app.url], 0, socketsPerUser);
    const connectAll = () =>
      Promise.all(
        layout!.parts.map((part) =>
          part.gen.request('connect', {
            url: part.url,
            clients: part.clients,
            localAddresses: ctx.localAddresses,
            concurrency: 200,
            timeoutMs: 60_000,
            trackIds: true,
          }),
        ),
      );
    const connectStarted = Date.now();
    // The first connect of everyone is not a measured figure, so it is where the connect path gets profiled;
    // --profile-storm profiles the storm itself instead (the profiler then slows the figure it measures).
    const connected =
      ctx.options.profile && !ctx.options.profileStorm
        ? await ctx.profileDuring(app, 'connect', connectAll)
        : await connectAll();
    const failed = connected.reduce((sum, result) => sum + result.failed, 0);
    if (failed) {
      throw new Error(
        `${failed} sockets failed to connect: ${JSON.stringify(connected.map((r) => r.errors))}`,
      );
    }
    const initialConnectSeconds = (Date.now() - connectStarted) / 1000;
    ctx.log(`  ${sockets} sockets connected in ${initialConnectSeconds.toFixed(1)} s`);
    const tag = ctx.tag('reconnect');
    const ledger = new AckLedger();
    const send = async (roomIndex: number, memberIndex: number): Promise<string> => {
      const clientMessageId = randomUUID();
      ledger.sent++;
      await api.postMessage(
        users[roomIndex * 10 + memberIndex],
        layout!.rooms[roomIndex],
        benchContent(tag, nowMs(), 120),
        clientMessageId,
      );
      ledger.acked.set(clientMessageId, layout!.rooms[roomIndex]);
      return clientMessageId;
    };
    const roomIndexes = layout.rooms.map((_, index) => index);

    // Before the drop: one message per room, so every socket has a rev to sync from.
    await mapLimit(roomIndexes, 16, (room) => send(room, 0));
    const want = sockets;
    const waitUntil = Date.now() + 20_000;
    for (;;) {
      const totals = await Promise.all(gens.map((gen) => gen.request('deliveredTotal', {})));
      if (totals.reduce((sum, total) => sum + total.total, 0) >= want || Date.now() > waitUntil) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const dropped = await Promise.all(gens.map((gen) => gen.request('drop', {})));
    ctx.log(`  dropped ${dropped.reduce((sum, entry) => sum + entry.dropped, 0)} sockets`);
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const expectedByRoom: Record<string, string[]> = Object.fromEntries(
      layout.rooms.map((roomId) => [roomId, []]),
    );
    const missedStarted = Date.now();
    const missed = roomIndexes.flatMap((room) =>
      Array.from({ length: missedPerRoom }, (_, k) => ({ room, member: 1 + k })),
    );
    await mapLimit(missed, 16, async ({ room, member }) => {
      expectedByRoom[layout!.rooms[room]].push(await send(room, member));
    });
    ctx.log(
      `  sent ${missed.length} messages while everyone was away (${((Date.now() - missedStarted) / 1000).toFixed(1)} s)`,
    );

    const liveIds: string[] = [];
    let startAt = 0;
    let cpuPerReconnectUs = 0;
    const stormWindow = async (): Promise<StormResult[]> => {
      startAt = nowMs() + 100;
      // The app's CPU over the storm per socket back (its live messages included), for comparing builds.
      const cpuPerReconnect = app.cpuMeter();
      const storm = Promise.all(
        gens.map((gen) =>
          gen.request('storm', {
            startAt,
            minDelayMs: 0,
            maxDelayMs: 1000,
            deadlineMs,
            attemptTimeoutMs: 20_000,
          }),
        ),
      );
      // Live traffic during the storm: one more message per room over the first 3 s.
      const trickleMs = 3000;
      await mapLimit(roomIndexes, 16, async (room) => {
        const due = startAt + (room / roomIndexes.length) * trickleMs;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - nowMs())));
        const id = await send(room, 9);
        expectedByRoom[layout!.rooms[room]].push(id);
        liveIds.push(id);
      });
      const stormResults = await storm;
      cpuPerReconnectUs = cpuPerReconnect(sockets);
      return stormResults;
    };
    const results: StormResult[] = ctx.options.profileStorm
      ? await ctx.profileDuring(app, 'storm', stormWindow)
      : await stormWindow();
    // Late live deliveries of the trickle settle within a moment.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const reports: StormReport[] = await Promise.all(
      gens.map((gen) => gen.request('stormReport', { startAt, expectedByRoom, liveIds })),
    );
    const missing = reports.reduce((sum, report) => sum + report.missing, 0);
    const expected = reports.reduce((sum, report) => sum + report.expected, 0);
    const caughtUpMs = Math.max(...reports.map((report) => report.caughtUpMs));
    const notSynced = reports.reduce((sum, report) => sum + report.notSynced, 0);
    const liveDuplicates = reports.reduce((sum, report) => sum + report.liveDuplicates, 0);
    if (missing > 0) {
      ctx.log(
        `  missing messages, examples: ${JSON.stringify(reports.flatMap((report) => report.samples).slice(0, 5))}`,
      );
    }
    const connectedAt = new Histogram();
    const syncedAt = new Histogram();
    for (const result of results) {
      connectedAt.merge(result.connectedAtHist);
      syncedAt.merge(result.syncedAtHist);
    }
    const errors = results.map((result) => result.errors);
    const failedAttempts = results.reduce((sum, result) => sum + result.connectAttemptsFailed, 0);
    const allBack = notSynced === 0;
    const back = sockets - notSynced;
    ctx.addFigure({
      scenario: 'reconnect',
      figure: `reconnect storm: ${sockets} sockets (${userCount} users) back and caught up`,
      value: allBack ? Math.round(caughtUpMs) / 1000 : null,
      unit: allBack ? 's' : `s (only ${back} of ${sockets} back after ${deadlineMs / 1000} s)`,
      target: '≤ 10 s',
      pass: allBack && missing === 0 && caughtUpMs <= TARGET_MS,
      note:
        `app CPU ${cpuPerReconnectUs} µs per socket back (the storm, its live messages included` +
        `${ctx.options.profileStorm ? '; profiled, which slows it' : ''}); ` +
        `connected p50 ${connectedAt.summary().p50} / max ${connectedAt.summary().max} ms, synced p99 ${syncedAt.summary().p99} ms; ` +
        `${failedAttempts} failed connect attempts (${JSON.stringify(errors)}); generator CPU ${results.map((r) => r.cpu.percent).join('/')} %; ` +
        `the first connect of all ${sockets} took ${initialConnectSeconds.toFixed(1)} s`,
    });
    ctx.addFigure({
      scenario: 'reconnect',
      figure: 'reconnect storm: messages missed by sockets that came back',
      value: missing,
      unit: `of ${expected}`,
      target: '0',
      pass: missing === 0,
    });
    await checkIntegrity(ctx, 'reconnect', ledger, layout.rooms, tag, {
      expected,
      delivered: expected - missing,
      lost: missing,
      duplicates: liveDuplicates,
    });
    return {
      sockets,
      cpuPerReconnectUs,
      initialConnectSeconds,
      caughtUpMs,
      missing,
      expected,
      notSynced,
      failedAttempts,
      errors,
      connectedAt: connectedAt.summary(),
      syncedAt: syncedAt.summary(),
      syncCalls: results.reduce((sum, result) => sum + result.syncCalls, 0),
      missingLive: reports.reduce((sum, report) => sum + report.missingLive, 0),
      missingClientsDisconnected: reports.reduce((sum, report) => sum + report.missingClientsDisconnected, 0),
      missingSamples: reports.flatMap((report) => report.samples),
    };
  } finally {
    if (layout) await closeLayout(layout);
    await app.stop();
  }
}
