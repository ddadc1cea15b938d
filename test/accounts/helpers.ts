import { createHmac } from 'node:crypto';
import { Client } from 'pg';
import { TEST_JWT_SECRET } from '../support/app';
import { runEnv } from '../support/run-env';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs a JWT by hand, so tests can forge every kind of bad token. */
export function signJwt(
  payload: Record<string, unknown>,
  options: { secret?: string; alg?: string; header?: Record<string, unknown> } = {},
): string {
  const header = { alg: options.alg ?? 'HS256', typ: 'JWT', ...options.header };
  const unsigned = `${b64(header)}.${b64(payload)}`;
  if (header.alg === 'none') return `${unsigned}.`;
  const signature = createHmac('sha256', options.secret ?? TEST_JWT_SECRET)
    .update(unsigned)
    .digest('base64url');
  return `${unsigned}.${signature}`;
}

/** The claims of a token the server issued (no verification). */
export function decodeJwt(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

/** Runs SQL against this run's database: for arranging states a user cannot reach quickly (expired sessions). */
export async function sql<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: runEnv().databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}
