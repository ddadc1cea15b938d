import { createHmac, randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { startApp, TEST_JWT_SECRET, type TestApp } from '../support/app';
import { Http } from '../support/http';
import { connectSocket, emitAck, nextEvent } from '../support/socket';
import { registerUser, type RegisteredUser } from '../support/users';

/** Real-time specs register many users; the per-IP auth limit is not what they test. */
export const REALTIME_ENV = { RATE_LIMIT_AUTH_PER_MINUTE: '100000', RATE_LIMIT_ACCOUNT_PER_MINUTE: '100000' };

export function startRealtimeApp(overrides: Record<string, string> = {}): Promise<TestApp> {
  return startApp({ ...REALTIME_ENV, ...overrides });
}

/** A JWT signed with the test secret, for claims the server would never issue itself (e.g. already expired). */
export function forgeAccessToken(claims: Record<string, unknown>, secret = TEST_JWT_SECRET): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

export function decodeClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

export async function createGroup(
  app: TestApp,
  owner: RegisteredUser,
  members: RegisteredUser[],
): Promise<string> {
  const res = await Http.for(app).post(
    '/api/v1/rooms',
    {
      type: 'group',
      name: `room ${randomUUID().slice(0, 8)}`,
      memberIds: members.map((member) => member.user.id),
    },
    { token: owner.accessToken },
  );
  if (res.status !== 201) throw new Error(`createRoom failed: ${res.status} ${res.text}`);
  return (res.body as { id: string }).id;
}

export async function sendOverRest(
  app: TestApp,
  sender: RegisteredUser,
  roomId: string,
  content: string,
): Promise<Record<string, any>> {
  const res = await Http.for(app).post(
    `/api/v1/rooms/${roomId}/messages`,
    { clientMessageId: randomUUID(), content },
    { token: sender.accessToken },
  );
  if (res.status !== 201) throw new Error(`send failed: ${res.status} ${res.text}`);
  return res.body as Record<string, any>;
}

export async function sendOverSocket(
  socket: Socket,
  roomId: string,
  content: string,
): Promise<Record<string, any>> {
  const ack = await emitAck(socket, 'message:send', { roomId, clientMessageId: randomUUID(), content });
  if (!ack.ok) throw new Error(`message:send failed: ${JSON.stringify(ack.error)}`);
  return ack.data as Record<string, any>;
}

export { connectSocket, emitAck, nextEvent, registerUser };
export type { RegisteredUser, Socket, TestApp };

/** Resolves when `socket` receives the message:created for `messageId`. */
export function receivedMessage(socket: Socket, predicate: (message: any) => boolean): Promise<any> {
  return nextEvent(socket, 'message:created', predicate);
}

/**
 * Waits until every socket has seen a later sentinel message in `roomId`: events of one room reach a socket in
 * order, so once the sentinel is there, whatever came before has arrived too and counts are final.
 */
export async function settle(sockets: Socket[], sender: Socket, roomId: string): Promise<void> {
  const content = `sentinel ${randomUUID()}`;
  const arrivals = sockets.map((socket) => receivedMessage(socket, (message) => message.content === content));
  await sendOverSocket(sender, roomId, content);
  await Promise.all(arrivals);
}

export function closeAll(sockets: Array<Socket | undefined>): void {
  for (const socket of sockets) socket?.close();
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with the disconnect reason. */
export function disconnected(socket: Socket, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!socket.connected) return resolve('already disconnected');
    const timer = setTimeout(
      () => reject(new Error(`socket not disconnected within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}
