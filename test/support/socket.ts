import { io, Socket } from 'socket.io-client';
import type { TestApp } from './app';

export interface Ack<T = any> {
  ok: boolean;
  data?: T;
  error?: { code: string; message: string };
}

/** Connects with `auth.token` and resolves once connected; rejects with the server's connect_error. */
export function connectSocket(
  app: TestApp | string,
  token: string | undefined,
  options: { headers?: Record<string, string>; transports?: string[] } = {},
): Promise<Socket> {
  const url = typeof app === 'string' ? app : app.url;
  const socket = io(url, {
    auth: token === undefined ? {} : { token },
    transports: options.transports ?? ['websocket'],
    extraHeaders: options.headers,
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

/** Emits an event and resolves with the server's acknowledgement. */
export function emitAck<T = any>(
  socket: Socket,
  event: string,
  payload: unknown,
  timeoutMs = 10_000,
): Promise<Ack<T>> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<Ack<T>>;
}

/** Resolves with the first `event` payload that matches `predicate`. */
export function nextEvent<T = any>(
  socket: Socket,
  event: string,
  predicate: (payload: T) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`no matching "${event}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const handler = (payload: T): void => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      socket.off(event, handler);
      resolve(payload);
    };
    socket.on(event, handler);
  });
}

/** Records every payload of `event` from now on, for exactly-once counting. */
export function record<T = any>(socket: Socket, event: string): T[] {
  const seen: T[] = [];
  socket.on(event, (payload: T) => seen.push(payload));
  return seen;
}
