import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext, CeilingResult } from '../lib/context';
import { split } from '../lib/gens';
import { findPgbench, runPgbench, withPg } from '../lib/infra';
import type { ClientSpec } from '../lib/protocol';
import { AckLedger, closeLayout, connectLayout, Layout, runStep, searchMaxRate } from '../lib/messaging';

/**
 * The ceilings: what the parts Parley stands on can do on this machine, right now. Targets are ratios to these,
 * because absolute numbers drift on shared machines while ratios hold.
 */

const SCRATCH_TABLE = 'bench_scratch_messages';

/** C_pg: durable single-row INSERT commits/s of a message-shaped row, 8 connections, synchronous_commit on. */
export function ceilingPg(ctx: BenchContext): Promise<CeilingResult> {
  return ctx.ceiling('C_pg', async () => {
    const clients = 8;
    const settings = await withPg(ctx.infra.databaseUrl, async (client) => {
      await client.query(`DROP TABLE IF EXISTS ${SCRATCH_TABLE}`);
      await client.query(`CREATE TABLE ${SCRATCH_TABLE} (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        room_id uuid NOT NULL,
        seq integer NOT NULL,
        rev integer NOT NULL,
        sender_id uuid NOT NULL,
        client_message_id varchar(64) NOT NULL,
        content text,
        mentions uuid[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
      await client.query(`CREATE INDEX ON ${SCRATCH_TABLE} (room_id, seq)`);
      const rows = await client.query<{ name: string; setting: string }>(
        `SELECT name, setting FROM pg_settings WHERE name IN ('synchronous_commit', 'fsync', 'commit_delay', 'wal_sync_method')`,
      );
      return Object.fromEntries(rows.rows.map((row) => [row.name, row.setting]));
    });
    if (settings.synchronous_commit !== 'on' || settings.fsync !== 'on') {
      ctx.log(
        `warning: PostgreSQL runs with ${JSON.stringify(settings)}: C_pg is not a durable-commit figure`,
      );
    }
    const content = 'x'.repeat(120);
    const insert =
      `INSERT INTO ${SCRATCH_TABLE} (room_id, seq, rev, sender_id, client_message_id, content) ` +
      `VALUES (md5(ROUND(random() * 1000)::text)::uuid, 1, 1, md5(ROUND(random() * 10000)::text)::uuid, ` +
      `gen_random_uuid()::text, '${content}')`;
    const pgbench = findPgbench();
    let value: number;
    let tool: string;
    if (pgbench) {
      const script = join(ctx.distRoot, '..', 'pgbench-insert.sql');
      writeFileSync(script, `${insert};\n`);
      const result = await runPgbench(pgbench, ctx.infra.databaseUrl, script, clients, ctx.sizes.pgSeconds);
      value = Math.round(result.tps);
      tool = pgbench;
    } else {
      const result = await ctx.gens[0].request('pgInsert', {
        url: ctx.infra.databaseUrl,
        clients,
        durationMs: ctx.sizes.pgSeconds * 1000,
        sql: insert,
      });
      value = result.perSec;
      tool = 'node pg (8 clients)';
    }
    await withPg(ctx.infra.databaseUrl, (client) => client.query(`DROP TABLE IF EXISTS ${SCRATCH_TABLE}`));
    return {
      name: 'C_pg',
      value,
      unit: 'commits/s',
      details: { tool, clients, seconds: ctx.sizes.pgSeconds, settings, statement: insert },
    };
  });
}

/** C_http: a bare Fastify hello-world under the same autocannon settings as the history scenario. */
export function ceilingHttp(ctx: BenchContext): Promise<CeilingResult> {
  return ctx.ceiling('C_http', async () => {
    const server = await ctx.startBare('http');
    try {
      const result = await ctx.gens[0].request('autocannon', {
        url: server.url,
        connections: ctx.sizes.history.connections,
        durationSec: ctx.sizes.history.autocannonSec,
        paths: ['/'],
      });
      if (result.non2xx || result.errors)
        throw new Error(`bare fastify answered errors: ${JSON.stringify(result)}`);
      return { name: 'C_http', value: result.requestsPerSec, unit: 'req/s', details: { ...result } };
    } finally {
      await server.stop();
    }
  });
}

/**
 * C_sio: deliveries/s of a bare Socket.IO server broadcasting into one room of the fan-out scenario's size,
 * found with the same search and the same pass criteria as Parley's fan-out.
 */
export function ceilingSio(ctx: BenchContext): Promise<CeilingResult> {
  return ctx.ceiling('C_sio', async () => {
    const server = await ctx.startBare('sio');
    const { members, maxP99Ms } = ctx.sizes.fanout;
    const layout: Layout = {
      parts: fanoutParts(
        ctx,
        server.url,
        Array.from({ length: members }, () => ({ token: 'fanout', rooms: ['fanout'] })),
      ),
      socketsPerRoom: new Map([['fanout', members]]),
      rooms: ['fanout'],
    };
    try {
      await connectLayout(ctx, layout);
      const tag = ctx.tag('csio');
      const ledger = new AckLedger(layout);
      const start = fanoutStartRate(ctx);
      await runStep(ctx, layout, { rate: start, durationMs: ctx.sizes.warmupMs, tag, maxP99Ms, ledger });
      const search = await searchMaxRate(ctx, start, ctx.sizes.maxSearchSteps, (rate) =>
        runStep(ctx, layout, { rate, durationMs: ctx.sizes.stepMs, tag, maxP99Ms, ledger }),
      );
      return {
        name: 'C_sio',
        value: search.best?.deliveriesPerSec ?? 0,
        unit: 'deliveries/s',
        details: { members, maxP99Ms, best: search.best, steps: search.steps },
      };
    } finally {
      await closeLayout(layout);
      await server.stop();
    }
  });
}

/**
 * The fan-out room's sockets over both generators: reading 5k copies of every message saturated one generator
 * process before the bare Socket.IO server. Every member also sends now and then.
 */
export function fanoutParts(ctx: BenchContext, url: string, clients: ClientSpec[]): Layout['parts'] {
  const gens = clients.length > 1000 ? ctx.gens : ctx.gens.slice(0, 1);
  return split(clients, gens.length).map((share, index) => ({
    gen: gens[index],
    url,
    clients: share,
    senders: share.map((_, senderIndex) => senderIndex),
  }));
}

export function fanoutStartRate(ctx: BenchContext): number {
  // ~40k deliveries/s to start: well inside what one core can push, so the search grows from a passing step.
  return Math.max(2, Math.min(100, Math.round(40_000 / ctx.sizes.fanout.members)));
}

/** ws_idle: heap and RSS one idle connection costs a bare `ws` server. */
export function ceilingWsIdle(ctx: BenchContext, sockets: number): Promise<CeilingResult> {
  return ctx.ceiling('ws_idle', async () => {
    const server = await ctx.startBare('ws');
    try {
      const before = await server.memoryAfterGc();
      const gens = sockets > 9000 ? ctx.gens : ctx.gens.slice(0, 1);
      const shares = split(
        Array.from({ length: sockets }, (_, index) => index),
        gens.length,
      );
      const results = await Promise.all(
        gens.map((gen, index) =>
          gen.request('connectRaw', {
            url: server.url.replace('http', 'ws'),
            count: shares[index].length,
            localAddresses: ctx.localAddresses,
            concurrency: 200,
          }),
        ),
      );
      const connected = results.reduce((sum, result) => sum + result.connected, 0);
      if (connected !== sockets) throw new Error(`ws_idle: only ${connected}/${sockets} connected`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const after = await server.memoryAfterGc();
      await Promise.all(gens.map((gen) => gen.request('closeAll', {})));
      const heapPerSocket = (after.heapUsed - before.heapUsed) / sockets;
      const rssPerSocket = (after.rss - before.rss) / sockets;
      return {
        name: 'ws_idle',
        value: Math.round(heapPerSocket),
        unit: 'heap bytes/socket',
        details: { sockets, before, after, heapPerSocket, rssPerSocket },
      };
    } finally {
      await server.stop();
    }
  });
}

/**
 * Not a target, an explanation: heap one idle socket costs a bare Socket.IO server (no Nest, no auth, no rooms
 * beyond its own), i.e. how much of Parley's per-socket cost Socket.IO itself accounts for.
 */
export function ceilingSioIdle(ctx: BenchContext, sockets: number): Promise<CeilingResult> {
  return ctx.ceiling('sio_idle', async () => {
    const server = await ctx.startBare('sio');
    const gens = sockets > 9000 ? ctx.gens : ctx.gens.slice(0, 1);
    const shares = split(
      Array.from({ length: sockets }, () => ({ token: '', rooms: [] as string[] })),
      gens.length,
    );
    const layout: Layout = {
      parts: gens.map((gen, index) => ({ gen, url: server.url, clients: shares[index], senders: [] })),
      socketsPerRoom: new Map(),
      rooms: [],
    };
    try {
      const before = await server.memoryAfterGc();
      await connectLayout(ctx, layout);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const after = await server.memoryAfterGc();
      const heapPerSocket = (after.heapUsed - before.heapUsed) / sockets;
      const rssPerSocket = (after.rss - before.rss) / sockets;
      return {
        name: 'sio_idle',
        value: Math.round(heapPerSocket),
        unit: 'heap bytes/socket',
        details: { sockets, before, after, heapPerSocket, rssPerSocket },
      };
    } finally {
      await closeLayout(layout);
      await server.stop();
    }
  });
}
