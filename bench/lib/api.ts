import { randomUUID } from 'node:crypto';

/** Just enough of Parley's REST API (../shared/API.md) to seed users, rooms and messages. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${body.slice(0, 300)}`);
  }
}

export interface SeedUser {
  id: string;
  username: string;
  token: string;
}

export class Api {
  constructor(readonly baseUrl: string) {}

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
    what = `${method} ${path}`,
  ): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new ApiError(response.status, text, what);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async register(username: string, password: string): Promise<SeedUser> {
    const result = await this.request<{ user: { id: string }; accessToken: string }>(
      'POST',
      '/auth/register',
      { username, email: `${username}@bench.example.com`, password, displayName: username },
      undefined,
      'register',
    );
    return { id: result.user.id, username, token: result.accessToken };
  }

  async createGroup(owner: SeedUser, name: string, memberIds: string[]): Promise<string> {
    const room = await this.request<{ id: string }>(
      'POST',
      '/rooms',
      { type: 'group', name, memberIds },
      owner.token,
      'create room',
    );
    return room.id;
  }

  async addMembers(owner: SeedUser, roomId: string, userIds: string[]): Promise<void> {
    await this.request('POST', `/rooms/${roomId}/members`, { userIds }, owner.token, 'add members');
  }

  async postMessage(
    sender: SeedUser,
    roomId: string,
    content: string,
    clientMessageId = randomUUID(),
  ): Promise<{ id: string; seq: number; rev: number; clientMessageId: string }> {
    return this.request(
      'POST',
      `/rooms/${roomId}/messages`,
      { clientMessageId, content },
      sender.token,
      'post message',
    );
  }
}

/** Runs `task` over `items` with at most `limit` in flight; the first failure rejects. */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  });
  await Promise.all(workers);
  return results;
}
