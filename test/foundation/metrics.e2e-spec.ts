import { randomUUID } from 'node:crypto';
import { startApp, TestApp } from '../support/app';
import { Http } from '../support/http';

/** The `http_requests_total` series as { method, route, status } label sets with their values. */
function requestSeries(text: string): Array<{ labels: Record<string, string>; value: number }> {
  return text
    .split('\n')
    .filter((line) => line.startsWith('http_requests_total{'))
    .map((line) => {
      const match = /^http_requests_total\{(.*)\} (\S+)$/.exec(line);
      if (!match) throw new Error(`unparseable series: ${line}`);
      const labels = Object.fromEntries(
        [...match[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]),
      );
      return { labels, value: Number(match[2]) };
    });
}

describe('metrics', () => {
  let app: TestApp;
  let http: Http;
  beforeAll(async () => {
    app = await startApp();
    http = Http.for(app);
  });
  afterAll(async () => {
    await app.stop();
  });

  it('GET /metrics serves Prometheus text with the process and runtime defaults', async () => {
    const res = await http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(res.text).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    }
  });

  it('declares the application metrics of the contract', async () => {
    const res = await http.get('/metrics');
    expect(res.text).toMatch(/^# TYPE http_requests_total counter$/m);
    expect(res.text).toMatch(/^# TYPE http_request_duration_seconds histogram$/m);
    expect(res.text).toMatch(/^# TYPE messages_total counter$/m);
    expect(res.text).toMatch(/^# TYPE websocket_connections_active gauge$/m);
    expect(res.text).toMatch(/^queue_jobs\{queue="notifications",state="waiting"\} \d+$/m);
  });

  it('counts requests by method, route template and status', async () => {
    await http.get('/health');
    await http.get('/health');
    const res = await http.get('/metrics');
    const health = requestSeries(res.text).find(
      ({ labels }) => labels.method === 'GET' && labels.route === '/health' && labels.status === '200',
    );
    expect(health?.value).toBeGreaterThanOrEqual(2);
    expect(res.text).toMatch(
      /^http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/health",status="200"\} \d+$/m,
    );
    expect(res.text).toMatch(
      /^http_request_duration_seconds_count\{method="GET",route="\/health",status="200"\} \d+$/m,
    );
  });

  it('labels a parameterised route by its template, never by the id in the URL', async () => {
    const id = randomUUID();
    const answered = await http.get(`/api/v1/users/${id}`);
    expect(answered.status).toBeGreaterThanOrEqual(400);
    const res = await http.get('/metrics');
    expect(res.text).not.toContain(id);
    const series = requestSeries(res.text).find(
      ({ labels }) => labels.route === '/api/v1/users/:id' && labels.status === String(answered.status),
    );
    expect(series?.labels.method).toBe('GET');
  });

  it('labels unknown routes "unmatched", never with the raw path', async () => {
    const path = `/no-such-route-${randomUUID()}`;
    expect((await http.get(path)).status).toBe(404);
    expect((await http.get(`/api/v1${path}`)).status).toBe(404);
    const res = await http.get('/metrics');
    expect(res.text).not.toContain(path);
    const unmatched = requestSeries(res.text).find(
      ({ labels }) => labels.method === 'GET' && labels.route === 'unmatched' && labels.status === '404',
    );
    expect(unmatched?.value).toBeGreaterThanOrEqual(2);
  });

  it('keeps every route label a template', async () => {
    const res = await http.get('/metrics');
    for (const { labels } of requestSeries(res.text)) {
      expect(labels.route).toMatch(/^(unmatched|\/[A-Za-z0-9_/:.*{}-]*)$/);
      expect(labels.route).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    }
  });

  // API.md asks the document to describe every REST route, and lists /metrics among them (it used to be left out).
  it('is in the OpenAPI document, outside /api/v1 and without auth', async () => {
    const res = await http.get('/docs-json');
    const operation = res.body.paths['/metrics']?.get;
    expect(operation).toEqual(expect.objectContaining({ operationId: 'getMetrics', security: [] }));
    expect(Object.keys(operation.responses['200'].content)).toEqual(['text/plain']);
  });
});
