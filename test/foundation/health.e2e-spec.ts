import { randomBytes } from 'node:crypto';
import { freePort, runScript, startApp, TestApp } from '../support/app';
import { expectError, Http } from '../support/http';
import { adminQuery, databaseUrlNamed } from './helpers';

describe('health', () => {
  describe('with every dependency up', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startApp();
    });
    afterAll(async () => {
      await app.stop();
    });

    it('GET /health answers 200 { status: "ok" }', async () => {
      const res = await Http.for(app).get('/health');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('GET /health/ready answers 200 with every dependency up', async () => {
      const res = await Http.for(app).get('/health/ready');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        status: 'ok',
        checks: { database: 'up', redis: 'up', queues: 'up' },
      });
    });

    it('serves health outside the /api/v1 prefix only', async () => {
      const res = await Http.for(app).get('/api/v1/health');
      expectError(res, 404, 'ROUTE_NOT_FOUND');
    });
  });

  describe('with Redis unreachable', () => {
    let app: TestApp;
    beforeAll(async () => {
      // Nothing listens on a freshly freed port: connections are refused, as when Redis is down.
      const closedPort = await freePort();
      app = await startApp({ REDIS_URL: `redis://127.0.0.1:${closedPort}` });
    });
    afterAll(async () => {
      await app.stop();
    });

    it('GET /health/ready answers 503 in the error shape, naming redis and the queues', async () => {
      const res = await Http.for(app).get('/health/ready');
      const body = expectError(res, 503, 'SERVICE_UNAVAILABLE');
      expect(body.error).toBe('Service Unavailable');
      const failing = (body.details as Array<{ field: string; message: string }>).map((d) => d.field);
      expect(failing.sort()).toEqual(['queues', 'redis']);
      expect(body.message).toMatch(/redis/);
      for (const detail of body.details) expect(detail.message).toEqual(expect.any(String));
    });

    it('GET /health still answers 200: the process itself is alive', async () => {
      const res = await Http.for(app).get('/health');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('keeps answering readiness while Redis stays down', async () => {
      const http = Http.for(app);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await http.get('/health/ready')).status);
      expect(statuses).toEqual([503, 503, 503]);
    });
  });

  describe('with PostgreSQL gone after start', () => {
    const name = `parley_health_${randomBytes(4).toString('hex')}`;
    let app: TestApp;
    beforeAll(async () => {
      const url = databaseUrlNamed(name);
      const migrated = await runScript('migrate', [], { DATABASE_URL: url });
      expect(migrated.code).toBe(0);
      app = await startApp({ DATABASE_URL: url });
    });
    afterAll(async () => {
      await app?.stop();
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });

    it('answers 503 naming the database once it disappears, and /health stays 200', async () => {
      expect((await Http.for(app).get('/health/ready')).status).toBe(200);
      // Terminates the app's pooled connections; reconnecting fails because the database is gone.
      await adminQuery(`DROP DATABASE "${name}" WITH (FORCE)`);
      const res = await Http.for(app).get('/health/ready');
      const body = expectError(res, 503, 'SERVICE_UNAVAILABLE');
      expect(body.details.map((d: { field: string }) => d.field)).toEqual(['database']);
      expect((await Http.for(app).get('/health')).status).toBe(200);
    });
  });
});
