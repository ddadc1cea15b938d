import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { BenchContext, ScenarioOutcome } from './lib/context';
import { Gen } from './lib/gens';
import { createDatabase, deleteRedisKeys, dropDatabase, newInfra, withPg } from './lib/infra';
import { describeSettled, settle, settledLine } from './lib/settle';
import { figuresTable, integrityTable, notesList } from './lib/report';
import { ServerProcess } from './lib/server-process';
import { FULL, SMOKE } from './lib/sizes';
import { history } from './scenarios/history';
import { idle } from './scenarios/idle';
import { fanout, latency, scale, throughput } from './scenarios/realtime';
import { reconnect } from './scenarios/reconnect';

/**
 * `npm run bench`: runs every scenario against the production build with its ceilings measured in the same run,
 * writes bench/results/<date>.json and prints the table. Options:
 *   --scenario=history[,fanout]  only these scenarios (and the ceilings they need)
 *   --smoke                      a few seconds per scenario, tiny sizes; exits 0 on missed targets
 *   --no-profile                 skip the CPU profiles (taken by default in full runs)
 *   --profile-storm              profile the reconnect storm instead of its first connect (slows the storm)
 *   --write-docs                 also replace the results section of docs/BENCHMARKS.md
 */

const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<Record<string, unknown>>> = {
  throughput,
  latency,
  fanout,
  history,
  idle,
  reconnect,
  scale,
};

interface Options {
  smoke: boolean;
  scenarios: string[];
  profile: boolean;
  profileStorm: boolean;
  writeDocs: boolean;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    smoke: false,
    scenarios: Object.keys(SCENARIOS),
    profile: true,
    profileStorm: false,
    writeDocs: false,
  };
  let profileSet = false;
  for (const arg of argv) {
    if (arg === '--smoke') options.smoke = true;
    else if (arg === '--profile' || arg === '--no-profile') {
      options.profile = arg === '--profile';
      profileSet = true;
    } else if (arg === '--profile-storm') options.profileStorm = true;
    else if (arg === '--write-docs') options.writeDocs = true;
    else if (arg.startsWith('--scenario=')) {
      options.scenarios = arg.slice('--scenario='.length).split(',').filter(Boolean);
      const unknown = options.scenarios.filter((name) => !SCENARIOS[name]);
      if (unknown.length)
        throw new UsageError(
          `unknown scenario ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`,
        );
    } else throw new UsageError(`unknown option ${arg}`);
  }
  if (options.smoke && !profileSet) options.profile = false;
  return options;
}

class UsageError extends Error {}

function fdLimit(): number {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const match = /Max open files\s+(\d+)\s+(\d+|unlimited)/.exec(limits);
    return match ? Number(match[1]) : 1024;
  } catch {
    return 1024;
  }
}

async function machine(databaseUrl: string): Promise<Record<string, unknown>> {
  const postgres = await withPg(databaseUrl, async (client) => {
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    return result.rows[0]?.server_version;
  }).catch(() => undefined);
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryMb: Math.round(totalmem() / 1048576),
    node: process.version,
    postgres,
    fdLimit: fdLimit(),
  };
}

function replaceDocsSection(root: string, markdown: string): boolean {
  const file = join(root, 'docs', 'BENCHMARKS.md');
  if (!existsSync(file)) return false;
  const text = readFileSync(file, 'utf8');
  const start = '<!-- bench:results:start -->';
  const end = '<!-- bench:results:end -->';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return false;
  writeFileSync(file, `${text.slice(0, from + start.length)}\n${markdown}\n${text.slice(to)}`);
  return true;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const root = process.cwd();
  const distRoot = resolve(__dirname, '..');
  if (!existsSync(join(distRoot, 'src', 'main.js'))) {
    throw new UsageError(`${distRoot}/src/main.js is missing: build first (npm run bench builds)`);
  }
  const resultsDir = join(root, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const sizes = options.smoke ? SMOKE : FULL;
  const id = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const infra = newInfra(id);
  const gens = [Gen.spawn(0, join(distRoot, 'bench')), Gen.spawn(1, join(distRoot, 'bench'))];
  const ctx = new BenchContext(
    {
      smoke: options.smoke,
      profile: options.profile,
      profileStorm: options.profileStorm,
      resultsDir,
      fdLimit: fdLimit(),
    },
    sizes,
    distRoot,
    infra,
    gens,
  );
  const outcomes: ScenarioOutcome[] = [];
  // One cleanup, however many paths (end of run, signal, watchdog) ask for it; all of them wait for it.
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      ServerProcess.killAll();
      await Promise.all(gens.map((gen) => gen.stop()));
      await dropDatabase(infra).catch((error: unknown) =>
        ctx.log(`could not drop ${infra.databaseName}: ${String(error)}`),
      );
      await deleteRedisKeys(infra).catch((error: unknown) =>
        ctx.log(`could not delete Redis keys: ${String(error)}`),
      );
    })());
  // Bounded: whatever happens, the run ends and cleans up after itself.
  const limitMs = options.smoke ? 5 * 60_000 : 30 * 60_000;
  const watchdog = setTimeout(() => {
    ctx.log(`the bench exceeded ${limitMs / 60_000} min; stopping`);
    void cleanup().finally(() => process.exit(1));
  }, limitMs);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      ctx.log(`${signal}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  let machineInfo: Record<string, unknown> | undefined;
  try {
    ctx.log(`bench ${options.smoke ? 'smoke' : 'full'} run ${id}: ${options.scenarios.join(', ')}`);
    ctx.log(
      `database ${infra.databaseName}, Redis prefix ${infra.redisPrefix}, fd limit ${ctx.options.fdLimit}`,
    );
    ctx.log(await createDatabase(distRoot, ctx.appEnv(0)));
    machineInfo = await machine(infra.databaseUrl);
    for (const name of options.scenarios) {
      // Smoke runs only check that the harness works: no waiting.
      const settled = options.smoke ? undefined : await settle(infra.databaseUrl);
      if (settled) ctx.log(`before ${name}: ${describeSettled(settled)}`);
      const started = Date.now();
      const loadBefore = Math.round(loadavg()[0] * 100) / 100;
      ctx.log(`scenario ${name} (load average ${loadBefore})`);
      const load = (): [number, number] => [loadBefore, Math.round(loadavg()[0] * 100) / 100];
      try {
        const details = await SCENARIOS[name](ctx);
        outcomes.push({ name, durationMs: Date.now() - started, loadAverage: load(), settled, details });
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        ctx.log(`scenario ${name} failed: ${message}`);
        outcomes.push({
          name,
          durationMs: Date.now() - started,
          loadAverage: load(),
          settled,
          error: message,
          details: {},
        });
        // Leave nothing of a broken scenario behind for the next one.
        ServerProcess.killAll();
        await Promise.all(gens.map((gen) => gen.request('closeAll', {}).catch(() => undefined)));
      }
      ctx.log(`scenario ${name} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    await cleanup();
    clearTimeout(watchdog);
  }

  const errors = outcomes.filter((outcome) => outcome.error);
  const integrityFailed = ctx.integrity.filter((entry) => !entry.ok);
  const missed = ctx.figures.filter((figure) => figure.pass === false);
  const markdown = [
    `Run ${ctx.stamp} (${options.smoke ? 'smoke' : 'full'}), ${machineInfo?.cpus} × ${machineInfo?.cpuModel}, Node ${machineInfo?.node}, PostgreSQL ${machineInfo?.postgres}.`,
    '',
    figuresTable(ctx.figures),
    '',
    'Message accounting (sent and acked vs delivered vs stored in PostgreSQL):',
    '',
    integrityTable(ctx.integrity),
    '',
    'Load average (1 min) before/after each scenario: ' +
      outcomes.map((outcome) => `${outcome.name} ${outcome.loadAverage.join('/')}`).join(', ') +
      ` (${machineInfo?.cpus} cores).`,
    '',
    ...settledLine(outcomes),
    'Ceilings measured in this run: ' +
      [...ctx.ceilings.values()]
        .map((ceiling) => `${ceiling.name} = ${ceiling.value} ${ceiling.unit}`)
        .join('; ') +
      '.',
    '',
    notesList(ctx.figures),
    ...(errors.length
      ? [
          '',
          'Scenarios that broke:',
          ...errors.map((outcome) => `- ${outcome.name}: ${outcome.error?.split('\n')[0]}`),
        ]
      : []),
  ].join('\n');
  const file = join(resultsDir, `${ctx.stamp}${options.smoke ? '-smoke' : ''}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        stamp: ctx.stamp,
        mode: options.smoke ? 'smoke' : 'full',
        durationMs: Date.now() - ctx.started,
        machine: machineInfo,
        settings: ctx.appEnv(0),
        sizes,
        ceilings: Object.fromEntries(ctx.ceilings),
        figures: ctx.figures,
        integrity: ctx.integrity,
        scenarios: outcomes,
        profiles: ctx.profiles,
        markdown,
      },
      (key, value: unknown) => (key === 'JWT_SECRET' ? '(redacted)' : value),
      2,
    ),
  );
  process.stdout.write(`\n${markdown}\n\nResults: ${file}\n`);
  if (options.writeDocs && replaceDocsSection(root, markdown))
    process.stdout.write('docs/BENCHMARKS.md updated\n');
  process.stdout.write(`Total ${((Date.now() - ctx.started) / 1000).toFixed(0)} s\n`);

  if (errors.length)
    process.stdout.write(`HARNESS ERROR in ${errors.map((outcome) => outcome.name).join(', ')}\n`);
  if (integrityFailed.length) {
    process.stdout.write(
      `LOST OR DUPLICATED MESSAGES in ${integrityFailed.map((entry) => entry.scenario).join(', ')}\n`,
    );
  }
  if (missed.length)
    process.stdout.write(
      `${missed.length} target(s) missed${options.smoke ? ' (not judged in smoke mode)' : ''}\n`,
    );
  if (errors.length || integrityFailed.length) return 1;
  return missed.length && !options.smoke ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error instanceof UsageError ? error.message : error.stack) : String(error)}\n`,
    );
    ServerProcess.killAll();
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
