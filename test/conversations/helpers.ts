import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { startApp, TestApp } from '../support/app';
import { Http, HttpResult } from '../support/http';
import { runEnv } from '../support/run-env';
import { registerUser, RegisteredUser } from '../support/users';

/** These specs register many users from one IP; the auth rate limits are tested elsewhere. */
export function startConversationsApp(overrides: Record<string, string> = {}): Promise<TestApp> {
  return startApp({
    RATE_LIMIT_AUTH_PER_MINUTE: '100000',
    RATE_LIMIT_ACCOUNT_PER_MINUTE: '100000',
    ...overrides,
  });
}

export async function registerUsers(app: TestApp, count: number): Promise<RegisteredUser[]> {
  return Promise.all(Array.from({ length: count }, () => registerUser(app)));
}

/** A client bound to one test server, with the room and message calls the specs use most. */
export class Api {
  readonly http: Http;

  constructor(app: TestApp) {
    this.http = Http.for(app);
  }

  async createGroup(owner: RegisteredUser, members: RegisteredUser[], name = 'Team'): Promise<any> {
    const res = await this.http.post(
      '/api/v1/rooms',
      { type: 'group', name, memberIds: members.map((member) => member.user.id) },
      { token: owner.accessToken },
    );
    if (res.status !== 201) throw new Error(`createGroup: ${res.status} ${res.text}`);
    return res.body;
  }

  async createDirect(user: RegisteredUser, peer: RegisteredUser): Promise<HttpResult<any>> {
    return this.http.post(
      '/api/v1/rooms',
      { type: 'direct', memberIds: [peer.user.id] },
      { token: user.accessToken },
    );
  }

  async setRole(actor: RegisteredUser, roomId: string, target: RegisteredUser, role: string): Promise<void> {
    const res = await this.http.patch(
      `/api/v1/rooms/${roomId}/members/${target.user.id}`,
      { role },
      { token: actor.accessToken },
    );
    if (res.status !== 200) throw new Error(`setRole: ${res.status} ${res.text}`);
  }

  sendRaw(user: RegisteredUser, roomId: string, body: Record<string, unknown>): Promise<HttpResult<any>> {
    return this.http.post(`/api/v1/rooms/${roomId}/messages`, body, { token: user.accessToken });
  }

  async send(
    user: RegisteredUser,
    roomId: string,
    content: string,
    extra: Record<string, unknown> = {},
  ): Promise<any> {
    const res = await this.sendRaw(user, roomId, { clientMessageId: randomUUID(), content, ...extra });
    if (res.status !== 201) throw new Error(`send: ${res.status} ${res.text}`);
    return res.body;
  }

  async page(user: RegisteredUser, roomId: string, query = ''): Promise<any> {
    const res = await this.http.get(`/api/v1/rooms/${roomId}/messages${query}`, { token: user.accessToken });
    if (res.status !== 200) throw new Error(`page: ${res.status} ${res.text}`);
    return res.body;
  }

  /** Every message of the room, oldest first, walking `after` cursors 100 at a time. */
  async allMessages(user: RegisteredUser, roomId: string): Promise<any[]> {
    const all: any[] = [];
    let query = '?after=0&limit=100';
    for (;;) {
      const page = await this.page(user, roomId, query);
      all.push(...page.items);
      if (!page.nextCursor) return all;
      query = `?limit=100&cursor=${page.nextCursor}`;
    }
  }

  async room(user: RegisteredUser, roomId: string): Promise<any> {
    const res = await this.http.get(`/api/v1/rooms/${roomId}`, { token: user.accessToken });
    if (res.status !== 200) throw new Error(`room: ${res.status} ${res.text}`);
    return res.body;
  }

  async members(user: RegisteredUser, roomId: string): Promise<any[]> {
    const res = await this.http.get(`/api/v1/rooms/${roomId}/members?limit=100`, { token: user.accessToken });
    if (res.status !== 200) throw new Error(`members: ${res.status} ${res.text}`);
    return res.body.items;
  }

  async changes(user: RegisteredUser, roomId: string, sinceRev: number, limit?: number): Promise<any> {
    const res = await this.http.get(
      `/api/v1/rooms/${roomId}/changes?sinceRev=${sinceRev}${limit ? `&limit=${limit}` : ''}`,
      { token: user.accessToken },
    );
    if (res.status !== 200) throw new Error(`changes: ${res.status} ${res.text}`);
    return res.body;
  }

  async myRooms(user: RegisteredUser, query = ''): Promise<any> {
    const res = await this.http.get(`/api/v1/rooms${query}`, { token: user.accessToken });
    if (res.status !== 200) throw new Error(`myRooms: ${res.status} ${res.text}`);
    return res.body;
  }

  search(user: RegisteredUser, query: string): Promise<HttpResult<any>> {
    return this.http.get(`/api/v1/messages/search?${query}`, { token: user.accessToken });
  }
}

/** Polls `check` until it returns a value (asynchronous event handlers), failing after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Reads this run's database directly, for what the API deliberately does not show (previous versions). */
export async function sqlRows<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: runEnv().databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}
