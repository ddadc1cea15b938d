import { Agent, request } from 'node:http';
import { freePort, startApp } from '../support/app';
import { uniqueName } from '../support/users';
import { waitFor } from './helpers';

interface Response {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Starts a JSON POST with `Expect: 100-continue` and holds its body back: `accepted` resolves once the server has
 * answered "100 Continue" (it is now handling the request), and the request completes only after `finish()`.
 * That keeps the request provably in flight for as long as the test needs, with no sleep involved.
 */
function heldRequest(
  port: number,
  path: string,
  body: unknown,
  agent: Agent,
): { accepted: Promise<void>; finish: () => void; response: Promise<Response> } {
  const payload = JSON.stringify(body);
  let accept!: () => void;
  const accepted = new Promise<void>((resolve) => (accept = resolve));
  const req = request({
    host: '127.0.0.1',
    port,
    path,
    method: 'POST',
    agent,
    headers: {
      expect: '100-continue',
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(payload)),
    },
  });
  const response = new Promise<Response>((resolve, reject) => {
    req.once('continue', accept);
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.once('error', reject);
  });
  req.flushHeaders();
  return { accepted, finish: () => req.end(payload), response };
}

function get(port: number, path: string, agent?: Agent): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('graceful shutdown', () => {
  it('on SIGTERM finishes the in-flight request, then exits 0', async () => {
    // A short drain limit: a shutdown stuck on an open connection exits 1 instead of 0.
    const app = await startApp({ SHUTDOWN_TIMEOUT_MS: '5000', RATE_LIMIT_AUTH_PER_MINUTE: '1000' });
    // A keep-alive client that never closes its connection on its own, like a proxy's upstream pool.
    const agent = new Agent({ keepAlive: true });
    try {
      const username = uniqueName('drain');
      const inFlight = heldRequest(
        app.port,
        '/api/v1/auth/register',
        { username, email: `${username}@example.test`, password: 'long enough password' },
        agent,
      );
      await inFlight.accepted;
      const exit = app.stop('SIGTERM');
      await waitFor('the server to start draining', () =>
        app.logs().some((line) => line.includes('SIGTERM received')) ? true : undefined,
      );
      // The request started before SIGTERM; its body arrives while the server drains.
      inFlight.finish();

      const response = await inFlight.response;
      expect(response.status).toBe(201);
      expect(JSON.parse(response.body).user).toMatchObject({ username });
      // The drained connection is closed by the server, so the client does not reuse it.
      expect(response.headers.connection).toBe('close');
      expect(await exit).toBe(0);
      expect(app.logs().some((line) => line.includes('Shutdown complete'))).toBe(true);
    } finally {
      agent.destroy();
    }
  });

  it('stops accepting connections once it has exited', async () => {
    const app = await startApp();
    expect(await app.stop('SIGTERM')).toBe(0);
    await expect(get(app.port, '/health')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('does not wait for idle keep-alive connections', async () => {
    const app = await startApp();
    const agent = new Agent({ keepAlive: true, keepAliveMsecs: 60_000 });
    try {
      expect((await get(app.port, '/health', agent)).status).toBe(200);
      // The agent now holds an idle socket open; shutdown must close it rather than wait for it.
      await waitFor('an idle pooled socket', () =>
        Object.values(agent.freeSockets).flat().length > 0 ? true : undefined,
      );
      expect(await app.stop('SIGTERM')).toBe(0);
    } finally {
      agent.destroy();
    }
  });

  it('exits 0 on SIGINT too', async () => {
    const app = await startApp();
    expect(await app.stop('SIGINT')).toBe(0);
  });

  it('exits 0 on SIGTERM while Redis is unreachable', async () => {
    const closedPort = await freePort();
    const app = await startApp({ REDIS_URL: `redis://127.0.0.1:${closedPort}` });
    expect(await app.stop('SIGTERM')).toBe(0);
  });
});
