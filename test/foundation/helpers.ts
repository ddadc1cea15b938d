import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import type { TestApp } from '../support/app';
import { ROOT, runEnv } from '../support/run-env';

export type LogLine = Record<string, unknown>;

/** Polls `probe` until it returns a value (not undefined) or the deadline passes; no timing is asserted. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The server's log lines parsed as JSON; a line that is not JSON fails the caller's test. */
export function jsonLogs(app: TestApp): LogLine[] {
  return app.logs().map((line) => {
    try {
      return JSON.parse(line) as LogLine;
    } catch {
      throw new Error(`log line is not JSON: ${line}`);
    }
  });
}

/** Waits for the log line(s) of one request, found by its request id. */
export function logsOfRequest(app: TestApp, requestId: string): Promise<LogLine[]> {
  return waitFor(`log lines of request ${requestId}`, () => {
    const lines = jsonLogs(app).filter((line) => line.requestId === requestId);
    return lines.some((line) => line.msg === 'request completed' || line.msg === 'request errored')
      ? lines
      : undefined;
  });
}

export interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a built entry point (relative to dist/) with exactly `env` and waits for it to exit. */
export function runNode(entry: string, args: string[], env: Record<string, string>): Promise<Exited> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', entry), ...args], { env, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** Runs one statement on the PostgreSQL server's maintenance database (create/drop scratch databases). */
export async function adminQuery<T extends Record<string, unknown>>(
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  return queryDatabase<T>(runEnv().adminUrl, sql, params);
}

export async function queryDatabase<T extends Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** A database URL on this run's server with another database name. */
export function databaseUrlNamed(name: string): string {
  const url = new URL(runEnv().databaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
