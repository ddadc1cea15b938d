/**
 * Static checks for the container/deployment files (docker-compose.yml,
 * docker/*). Needs no Docker engine; the only external tool is `nginx`,
 * used for `nginx -t` on docker/nginx.conf.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..');
const repoFile = (rel: string): string => path.join(ROOT, rel);
const readText = (rel: string): string => readFileSync(repoFile(rel), 'utf8');
// Compose relies on `<<: *anchor` merge keys, which YAML 1.2 only honours when asked.
const readYaml = <T>(rel: string): T => parse(readText(rel), { merge: true }) as T;

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: string | Array<string | { path: string }>;
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}
interface PrometheusConfig {
  scrape_configs?: Array<{
    job_name: string;
    metrics_path?: string;
    static_configs?: Array<{ targets?: string[] }>;
  }>;
}
interface Dashboard {
  title?: string;
  panels?: unknown[];
  templating?: { list?: Array<{ query?: string | { query?: string } }> };
}
interface DashboardProviders {
  providers: Array<{ options?: { path?: string } }>;
}
interface Datasources {
  datasources: Array<{ type: string; url?: string }>;
}

const COMPOSE_FILE = 'docker-compose.yml';
const APP_SERVICES = ['app1', 'app2'];
const MEDIA_DIR = '/var/lib/parley/media';

/** The metric contract dashboards may rely on (src/modules/metrics/metrics.constants.ts). */
const APP_METRICS: Record<string, 'counter' | 'gauge' | 'histogram'> = {
  http_requests_total: 'counter',
  http_request_duration_seconds: 'histogram',
  messages_total: 'counter',
  websocket_connections_active: 'gauge',
  queue_jobs: 'gauge',
};

const compose = (): ComposeFile => readYaml<ComposeFile>(COMPOSE_FILE);

function envOf(svc: ComposeService): Record<string, string> {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((kv) => {
        const i = kv.indexOf('=');
        return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v == null ? '' : String(v)]));
}

const appPort = (svc: ComposeService): string => envOf(svc).PORT || '3000';

interface Mount {
  source: string;
  target: string;
  bind: boolean;
}

/** Normalises short ("src:dst[:mode]") and long volume syntax. */
function mountsOf(svc: ComposeService): Mount[] {
  return (svc.volumes ?? []).map((v) => {
    if (typeof v === 'string') {
      const [source, target = ''] = v.split(':');
      return { source, target, bind: /^[./~]/.test(source) };
    }
    return { source: v.source ?? '', target: v.target ?? '', bind: v.type === 'bind' };
  });
}

/** Every host path a service needs from the repo: bind mounts, build context/dockerfile, env files. */
function hostPathsOf(svc: ComposeService): string[] {
  const paths = mountsOf(svc)
    .filter((m) => m.bind)
    .map((m) => m.source);
  if (svc.build !== undefined) {
    const build = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
    const context = build.context ?? '.';
    paths.push(context);
    paths.push(path.join(context, build.dockerfile ?? 'Dockerfile'));
  }
  const envFiles = svc.env_file === undefined ? [] : [svc.env_file].flat();
  for (const f of envFiles) paths.push(typeof f === 'string' ? f : f.path);
  return paths;
}

function dependsOn(svc: ComposeService): Record<string, string> {
  const deps = svc.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(
    Object.entries(deps).map(([name, d]) => [name, d?.condition ?? 'service_started']),
  );
}

/** Returns `host:port` of every `server` line inside `upstream { }` blocks. */
function nginxUpstreamServers(conf: string): string[] {
  const servers: string[] = [];
  for (const block of conf.matchAll(/^\s*upstream\s+\S+\s*\{([^}]*)\}/gm)) {
    for (const line of block[1].matchAll(/^\s*server\s+([^\s;]+)/gm)) servers.push(line[1]);
  }
  return servers;
}

const PROMQL_KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'and',
  'or',
  'unless',
  'inf',
  'nan',
]);

/** Metric names referenced by a PromQL expression (best-effort tokenizer, enough for dashboards). */
function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // string literals
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // range / subquery selectors
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\$\{?\w+\}?/g, ' '); // Grafana variables
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.:$])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = m;
    if (call || PROMQL_KEYWORDS.has(name.toLowerCase())) continue; // functions/aggregations
    names.add(name);
  }
  return [...names];
}

/** All `expr` strings (panel targets, rows' nested panels) and query variables in a dashboard. */
function dashboardExpressions(dashboard: Dashboard): string[] {
  const exprs: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'expr' && typeof v === 'string') exprs.push(v);
        else walk(v);
      }
    }
  };
  walk(dashboard.panels);
  for (const variable of dashboard.templating?.list ?? []) {
    const q = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    const labelValues = typeof q === 'string' && /^label_values\((.*),\s*\w+\)$/.exec(q.trim());
    if (labelValues) exprs.push(labelValues[1]);
  }
  return exprs;
}

/** App metrics plus whatever prom-client's collectDefaultMetrics() registers, with histogram series suffixes. */
async function allowedMetricNames(): Promise<Set<string>> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const defaults = (await registry.getMetricsAsJSON()).map((m) => ({
    name: m.name,
    type: String(m.type),
  }));
  registry.clear();
  const all = [...defaults, ...Object.entries(APP_METRICS).map(([name, type]) => ({ name, type }))];
  const allowed = new Set<string>();
  for (const { name, type } of all) {
    allowed.add(name);
    if (type === 'histogram' || type === 'summary') {
      for (const suffix of ['_bucket', '_sum', '_count']) allowed.add(name + suffix);
    }
  }
  return allowed;
}

/**
 * Rewrites docker/nginx.conf so `nginx -t` can run on a bare host: upstream
 * hosts -> 127.0.0.1 (no Docker DNS), pid/logs/temp dirs -> `dir`, listen ->
 * loopback `port`, and no `user` (the container account may not exist here).
 */
function localNginxConf(conf: string, dir: string, port: number, ipv6: boolean): string {
  return conf
    .replace(/^\s*upstream\s+\S+\s*\{[^}]*\}/gm, (block) =>
      block.replace(/^(\s*server\s+)[^\s:;]+/gm, '$1127.0.0.1'),
    )
    .replace(/^(\s*listen\s+)([^\s;]+)([^;]*;)/gm, (_m, pre: string, addr: string, rest: string) =>
      addr.startsWith('[') ? (ipv6 ? `${pre}[::1]:${port}${rest}` : '') : `${pre}127.0.0.1:${port}${rest}`,
    )
    .replace(/^\s*user\s+[^;]*;/m, '')
    .replace(/^(\s*pid\s+)[^;]+;/m, `$1${dir}/nginx.pid;`)
    .replace(/^(\s*error_log\s+)\S+/gm, `$1${dir}/error.log`)
    .replace(/^(\s*access_log\s+)\S+/gm, `$1${dir}/access.log`)
    .replace(
      /^(\s*http\s*\{)/m,
      `$1\n${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
        .map((t) => `    ${t}_temp_path ${dir}/${t}_temp;`)
        .join('\n')}`,
    );
}

/** A currently free TCP port on `host`, or undefined if `host` can't be bound (e.g. no IPv6). */
function freeLoopbackPort(host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen(0, host, () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function findNginx(): string | undefined {
  // Debian installs nginx in /usr/sbin, which is often missing from a non-root PATH.
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin'];
  return dirs
    .filter((d) => path.isAbsolute(d))
    .map((d) => path.join(d, 'nginx'))
    .find((p) => existsSync(p));
}

describe('docker deployment files', () => {
  describe('docker-compose.yml', () => {
    it('parses', () => {
      const c = compose();
      expect(c).toBeTruthy();
      expect(typeof c.services).toBe('object');
    });

    it('defines the full stack', () => {
      const { services } = compose();
      for (const name of [
        'postgres',
        'redis',
        'migrate',
        ...APP_SERVICES,
        'nginx',
        'prometheus',
        'grafana',
      ]) {
        expect(services).toHaveProperty([name]);
      }
      expect(services.postgres.image).toMatch(/^postgres:16/);
      expect(services.redis.image).toMatch(/^redis:7/);
      expect(services.nginx.image).toMatch(/^nginx:/);
    });

    it('references only host files/dirs that exist in the repo', () => {
      const missing: string[] = [];
      for (const [name, svc] of Object.entries(compose().services)) {
        for (const p of hostPathsOf(svc)) {
          if (!existsSync(path.resolve(ROOT, p))) missing.push(`${name}: ${p}`);
        }
      }
      expect(missing).toEqual([]);
    });

    it('declares every named volume it uses', () => {
      const c = compose();
      const declared = Object.keys(c.volumes ?? {});
      const used = Object.values(c.services).flatMap((svc) =>
        mountsOf(svc)
          .filter((m) => !m.bind && m.source)
          .map((m) => m.source),
      );
      expect(used.filter((v) => !declared.includes(v))).toEqual([]);
    });

    it('runs migrations once with the app image before postgres/redis-dependent replicas start', () => {
      const { services } = compose();
      const migrate = services.migrate;
      expect([migrate.command].flat().join(' ')).toContain('dist/src/scripts/migrate.js');
      expect(dependsOn(migrate)).toMatchObject({
        postgres: 'service_healthy',
        redis: 'service_healthy',
      });
      for (const name of APP_SERVICES) {
        const app = services[name];
        expect(app.image).toBe(migrate.image);
        expect(dependsOn(app)).toMatchObject({ migrate: 'service_completed_successfully' });
      }
    });

    it('gives replicas a shared media volume and a mandatory JWT_SECRET', () => {
      const { services } = compose();
      const mediaVolumes = APP_SERVICES.map((name) => {
        const env = envOf(services[name]);
        expect(env.MEDIA_DIR).toBe(MEDIA_DIR);
        expect(env.JWT_SECRET).toMatch(/^\$\{JWT_SECRET:\?.+\}$/);
        const media = mountsOf(services[name]).find((m) => m.target === MEDIA_DIR);
        expect(media).toBeDefined();
        expect(media!.bind).toBe(false);
        return media!.source;
      });
      expect(new Set(mediaVolumes).size).toBe(1);
    });
  });

  describe('docker/prometheus.yml', () => {
    it('scrapes exactly the app replicas on their port at /metrics', () => {
      const prom = readYaml<PrometheusConfig>('docker/prometheus.yml');
      const { services } = compose();
      const jobs = prom.scrape_configs ?? [];
      expect(jobs.length).toBeGreaterThan(0);
      for (const job of jobs) expect(job.metrics_path ?? '/metrics').toBe('/metrics');
      const targets = jobs.flatMap((job) => (job.static_configs ?? []).flatMap((sc) => sc.targets ?? []));
      const expected = APP_SERVICES.map((name) => `${name}:${appPort(services[name])}`);
      expect([...targets].sort()).toEqual([...expected].sort());
    });
  });

  describe('docker/nginx.conf', () => {
    const conf = (): string => readText('docker/nginx.conf');

    it('balances only (and all) app services', () => {
      const { services } = compose();
      const servers = nginxUpstreamServers(conf());
      const apps = APP_SERVICES.map((name) => `${name}:${appPort(services[name])}`);
      expect(servers.length).toBeGreaterThan(0);
      expect(servers.filter((s) => !apps.includes(s))).toEqual([]);
      expect([...new Set(servers)].sort()).toEqual([...apps].sort());
    });

    it('upgrades /socket.io/ to WebSocket and keeps /metrics private', () => {
      const text = conf();
      expect(text).toMatch(/proxy_set_header\s+Upgrade\s+\$http_upgrade;/);
      expect(text).toMatch(/proxy_set_header\s+Connection\s+\$connection_upgrade;/);
      expect(text).toMatch(/location\s+(\^~\s+|=\s+)?\/metrics\s*\{\s*deny\s+all;/);
      expect(text).toMatch(/client_max_body_size\s+11m;/);
    });

    it('passes `nginx -t`', async () => {
      const nginx = findNginx();
      if (!nginx) {
        throw new Error('install nginx (apt-get install -y nginx) to validate docker/nginx.conf');
      }
      // `nginx -t` binds the listen sockets, so move them to a free loopback port
      // (port 80 needs root and may be taken).
      const port = await freeLoopbackPort('127.0.0.1');
      const ipv6 = (await freeLoopbackPort('::1')) !== undefined;
      expect(port).toBeDefined();
      const dir = mkdtempSync(path.join(tmpdir(), 'parley-nginx-'));
      try {
        const confPath = path.join(dir, 'nginx.conf');
        writeFileSync(confPath, localNginxConf(conf(), dir, port!, ipv6));
        const res = spawnSync(nginx, ['-t', '-p', dir, '-e', `${dir}/error.log`, '-c', confPath], {
          encoding: 'utf8',
          timeout: 20_000,
        });
        const output = `${res.error ?? ''}${res.stdout}${res.stderr}`;
        expect({ status: res.status, output }).toEqual({
          status: 0,
          output: expect.stringContaining('test is successful'),
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('grafana', () => {
    const dashboard = (): Dashboard =>
      JSON.parse(readText('docker/grafana/dashboards/parley.json')) as Dashboard;

    it('dashboard JSON parses and has query panels', () => {
      const d = dashboard();
      expect(d.title).toBeTruthy();
      expect(dashboardExpressions(d).length).toBeGreaterThan(0);
    });

    it('dashboard queries only use metrics the app exports', async () => {
      const allowed = await allowedMetricNames();
      const unknown = dashboardExpressions(dashboard()).flatMap((expr) =>
        promqlMetricNames(expr)
          .filter((name) => !allowed.has(name))
          .map((name) => `${name} in ${expr}`),
      );
      expect(unknown).toEqual([]);
      // Sanity-check the tokenizer so the assertion above cannot pass vacuously.
      const used = new Set(dashboardExpressions(dashboard()).flatMap(promqlMetricNames));
      for (const name of [
        'http_requests_total',
        'http_request_duration_seconds_bucket',
        'messages_total',
        'websocket_connections_active',
        'queue_jobs',
      ]) {
        expect(used).toContain(name);
      }
    });

    it('provisioning points at the mounted dashboards and Prometheus', () => {
      const mounts = mountsOf(compose().services.grafana);
      const targetOf = (src: string): string | undefined =>
        mounts.find((m) => m.bind && path.resolve(ROOT, m.source) === repoFile(src))?.target;

      expect(targetOf('docker/grafana/provisioning')).toBe('/etc/grafana/provisioning');
      const dashboardsDir = targetOf('docker/grafana/dashboards');
      expect(dashboardsDir).toBeDefined();

      const provider = readYaml<DashboardProviders>('docker/grafana/provisioning/dashboards/parley.yml');
      expect(provider.providers.map((p) => p.options?.path)).toContain(dashboardsDir);

      const ds = readYaml<Datasources>('docker/grafana/provisioning/datasources/prometheus.yml');
      expect(ds.datasources).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' }),
        ]),
      );
    });
  });

  describe('docker/Dockerfile', () => {
    // Instructions only: comments may legitimately mention `npm ci`.
    const instructions = (): string[] =>
      readText('docker/Dockerfile')
        .replace(/\\\r?\n/g, ' ')
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'));

    it('is a multi-stage build', () => {
      expect(instructions().filter((l) => /^FROM\s/i.test(l)).length).toBeGreaterThanOrEqual(2);
      expect(instructions().some((l) => /^COPY\s+.*--from=/i.test(l))).toBe(true);
    });

    it('runs as a non-root user', () => {
      const users = instructions().filter((l) => /^USER\s/i.test(l));
      expect(users.length).toBeGreaterThan(0);
      const finalUser = users[users.length - 1].split(/\s+/)[1].split(':')[0];
      expect(finalUser).not.toMatch(/^(root|0)$/);
    });

    it('has a HEALTHCHECK', () => {
      const hc = instructions().filter((l) => /^HEALTHCHECK\s/i.test(l));
      expect(hc.length).toBeGreaterThan(0);
      expect(hc[hc.length - 1]).not.toMatch(/^HEALTHCHECK\s+NONE/i);
      expect(hc[hc.length - 1]).toContain('/health');
    });

    it('uses npm install, not npm ci', () => {
      const runs = instructions().filter((l) => /^RUN\s/i.test(l));
      expect(runs.some((l) => /\bnpm\s+(install|i)\b/.test(l))).toBe(true);
      expect(runs.filter((l) => /\bnpm\s+ci\b/.test(l))).toEqual([]);
    });
  });

  it('.dockerignore keeps host artefacts out of the build context', () => {
    const entries = readText('.dockerignore')
      .split(/\r?\n/)
      .map((l) => l.trim().replace(/^\/|\/$/g, ''));
    for (const e of ['node_modules', 'dist', '.git', 'coverage', 'bench/results', '.env']) {
      expect(entries).toContain(e);
    }
  });
});
