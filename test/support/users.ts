import { randomBytes } from 'node:crypto';
import type { TestApp } from './app';
import { Http } from './http';

export interface RegisteredUser {
  user: { id: string; username: string; email: string; displayName: string | null; [key: string]: unknown };
  accessToken: string;
  refreshToken: string;
  password: string;
}

export function uniqueName(prefix = 'u'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** Registers a fresh user through the public API (POST /api/v1/auth/register) and returns its tokens. */
export async function registerUser(
  app: TestApp,
  overrides: { username?: string; email?: string; password?: string; displayName?: string } = {},
): Promise<RegisteredUser> {
  const username = overrides.username ?? uniqueName();
  const password = overrides.password ?? 'correct horse battery';
  const res = await Http.for(app).post('/api/v1/auth/register', {
    username,
    email: overrides.email ?? `${username.toLowerCase()}@example.test`,
    password,
    ...(overrides.displayName ? { displayName: overrides.displayName } : {}),
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.text}`);
  return { ...(res.body as Omit<RegisteredUser, 'password'>), password };
}
