import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Api, mapLimit, SeedUser } from './api';
import { Gen } from './gens';
import { BenchInfra } from './infra';
import { ServerProcess, freePort } from './server-process';
import { ProfileSummary, summarizeProfile } from './profile';
import type { Sizes } from './sizes';
import type { Settled } from './settle';

export interface Figure {
  scenario: string;
  figure: string;
  value: number | null;
  unit: string;
  ceiling?: { name: string; value: number; unit: string };
  ratio?: number;
  target: string;
  pass: boolean | null;
  note?: string;
}

/** Every scenario's message accounting: sent and acked vs delivered vs stored in PostgreSQL. */
export interface Integrity {
  scenario: string;
  sent: number;
  acked: number;
  expectedDeliveries: number;
  delivered: number;
  lostDeliveries: number;
  duplicateDeliveries: number;
  stored: number | null;
  ackedNotStored: number | null;
  duplicateStored: number | null;
  ok: boolean;
  note?: string;
}

export interface CeilingResult {
  name: string;
  value: number;
  unit: string;
  details: Record<string, unknown>;
}

export interface ScenarioOutcome {
  name: string;
  durationMs: number;
  /** 1-minute load average before and after: on a shared machine, the noise the figures were taken in. */
  loadAverage: [number, number];
  /** How long the machine took to go quiet before it (full runs only). */
  settled?: Settled;
  error?: string;
  details: Record<string, unknown>;
}

const JWT_SECRET = `bench-${randomBytes(24).toString('hex')}`;
const PASSWORD = 'bench-password-1234';

/** What every scenario gets: the run's infrastructure, load generators, seeded users, and a place for results. */
export class BenchContext {
  readonly figures: Figure[] = [];
  readonly integrity: Integrity[] = [];
  readonly ceilings = new Map<string, CeilingResult>();
  private readonly ceilingRuns = new Map<string, Promise<CeilingResult>>();
  readonly users: SeedUser[] = [];
  /** rooms10[k] holds users 10k … 10k+9 (owner first); created on demand, shared by the scenarios. */
  readonly rooms10: string[] = [];
  readonly localAddresses = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];
  private readonly runTag = randomBytes(3).toString('hex');
  readonly started = Date.now();
  /** Names this run's result files: bench/results/<stamp>.json. */
  readonly stamp = new Date().toISOString().replace(/:/g, '-').replace(/\..*$/, '');
  readonly profiles: Record<string, ProfileSummary & { file: string }> = {};

  constructor(
    readonly options: {
      smoke: boolean;
      profile: boolean;
      /** Profile the reconnect storm instead of the first connect (the storm's figures then include the profiler). */
      profileStorm: boolean;
      resultsDir: string;
      fdLimit: number;
    },
    readonly sizes: Sizes,
    readonly distRoot: string,
    readonly infra: BenchInfra,
    readonly gens: Gen[],
  ) {}

  log(message: string): void {
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1).padStart(6);
    process.stdout.write(`[${seconds}s] ${message}\n`);
  }

  appEnv(port: number, extra: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: this.infra.databaseUrl,
      REDIS_URL: this.infra.redisUrl,
      REDIS_KEY_PREFIX: this.infra.redisPrefix,
      JWT_SECRET,
      JWT_ACCESS_TTL_SECONDS: '7200',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      // Seeding registers thousands of users: cheap password hashing and no auth rate limit. Login and
      // registration are not benchmarked figures; everything else runs with production settings.
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '1',
      RATE_LIMIT_AUTH_PER_MINUTE: '100000',
      RATE_LIMIT_ACCOUNT_PER_MINUTE: '100000',
      MEDIA_DIR: join(this.distRoot, '..', 'media'),
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...pick(process.env, [
        'MESSAGE_BATCH_WINDOW_MS',
        'MESSAGE_BATCH_MAX_SIZE',
        'DATABASE_POOL_SIZE',
        'PRESENCE_OFFLINE_DELAY_SECONDS',
      ]),
      ...extra,
    };
  }

  async startApp(name = 'parley', extra: Record<string, string> = {}): Promise<ServerProcess> {
    mkdirSync(join(this.distRoot, '..', 'media'), { recursive: true });
    return startOnFreePort((port) =>
      ServerProcess.start({
        name,
        script: join(this.distRoot, 'src', 'main.js'),
        port,
        env: this.appEnv(port, extra),
        inspect: true,
        nodeArgs: appNodeArgs(),
        healthPath: '/health/ready',
      }),
    );
  }

  async startBare(kind: 'sio' | 'http' | 'ws'): Promise<ServerProcess> {
    return startOnFreePort((port) =>
      ServerProcess.start({
        name: `bare-${kind}`,
        script: join(this.distRoot, 'bench', 'ceilings', `${kind}-server.js`),
        port,
        env: { PATH: process.env.PATH ?? '', PORT: String(port), NODE_ENV: 'production' },
        inspect: true,
      }),
    );
  }

  /** Registers users through the API until there are `count` (accessTokens come with registration). */
  async ensureUsers(api: Api, count: number): Promise<SeedUser[]> {
    if (this.users.length < count) {
      const started = Date.now();
      const from = this.users.length;
      const indexes = Array.from({ length: count - from }, (_, index) => from + index);
      const created = await mapLimit(indexes, 32, (index) =>
        api.register(`b${this.runTag}_${index}`, PASSWORD),
      );
      this.users.push(...created);
      this.log(`registered ${created.length} users in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    return this.users.slice(0, count);
  }

  /** Rooms of ten consecutive users; users[10k] owns room k. */
  async ensureRooms10(api: Api, count: number): Promise<string[]> {
    await this.ensureUsers(api, count * 10);
    if (this.rooms10.length < count) {
      const started = Date.now();
      const indexes = Array.from(
        { length: count - this.rooms10.length },
        (_, index) => this.rooms10.length + index,
      );
      const created = await mapLimit(indexes, 8, (room) => {
        const members = this.users.slice(room * 10, room * 10 + 10);
        return api.createGroup(
          members[0],
          `bench-10-${room}`,
          members.slice(1).map((user) => user.id),
        );
      });
      this.rooms10.push(...created);
      this.log(`created ${created.length} rooms of 10 in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    return this.rooms10.slice(0, count);
  }

  /** Runs a ceiling once per bench run (scenarios that need the same ceiling share it). */
  ceiling(name: string, measure: () => Promise<CeilingResult>): Promise<CeilingResult> {
    let run = this.ceilingRuns.get(name);
    if (!run) {
      run = measure().then((result) => {
        this.ceilings.set(name, result);
        this.log(`ceiling ${name} = ${result.value} ${result.unit}`);
        return result;
      });
      this.ceilingRuns.set(name, run);
    }
    return run;
  }

  addFigure(figure: Figure): void {
    this.figures.push(figure);
    const ratio = figure.ratio === undefined ? '' : ` (ratio ${figure.ratio})`;
    const verdict = figure.pass === null ? 'n/a' : figure.pass ? 'PASS' : 'FAIL';
    this.log(
      `  ${figure.figure}: ${figure.value ?? '-'} ${figure.unit}${ratio} target ${figure.target} -> ${verdict}`,
    );
  }

  addIntegrity(entry: Integrity): void {
    this.integrity.push(entry);
    this.log(
      `  integrity ${entry.scenario}: sent ${entry.sent}, acked ${entry.acked}, delivered ${entry.delivered}/${entry.expectedDeliveries}` +
        `, lost ${entry.lostDeliveries}, dup ${entry.duplicateDeliveries}, stored ${entry.stored ?? '?'}` +
        `, acked-not-stored ${entry.ackedNotStored ?? '?'}, dup-stored ${entry.duplicateStored ?? '?'} -> ${entry.ok ? 'OK' : 'FAILED'}`,
    );
  }

  /**
   * Records a V8 CPU profile of `server` while `task` runs (through the inspector, so only that window is
   * sampled) and keeps a summary; the .cpuprofile file opens in Chrome DevTools or speedscope.
   */
  async profileDuring<T>(server: ServerProcess, name: string, task: () => Promise<T>): Promise<T> {
    const inspector = await server.debugger();
    await inspector.startProfiling();
    let result: T;
    try {
      result = await task();
    } finally {
      const profile = await inspector.stopProfiling();
      const file = join(this.options.resultsDir, `${this.stamp}-${name}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      const summary = summarizeProfile(profile);
      this.profiles[name] = { ...summary, file };
      this.log(`  profile ${name}: ${file}`);
      for (const entry of summary.selfByArea.slice(0, 8)) this.log(`    ${entry.percent}% ${entry.name}`);
    }
    return result;
  }

  tag(scenario: string): string {
    return `${scenario}-${this.runTag}`;
  }
}

/** A free port can be taken by another process before the server binds it (shared machine): try again. */
async function startOnFreePort(start: (port: number) => Promise<ServerProcess>): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (error) {
      if (attempt >= 3 || !String(error).includes('EADDRINUSE')) throw error;
    }
  }
}

function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) if (env[name]) picked[name] = env[name]!;
  return picked;
}

/** `BENCH_APP_NODE_ARGS` (space-separated) go to the app's node, e.g. V8 heap flags, to compare settings. */
function appNodeArgs(): string[] {
  return (process.env.BENCH_APP_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
}
