import WebSocket from 'ws';

/**
 * A minimal Socket.IO client (Engine.IO v4 / Socket.IO v5 protocol over a plain WebSocket): connect with
 * `auth`, emit with acknowledgements, receive events, answer pings. One of these costs a fraction of the
 * memory and CPU of a socket.io-client socket (no Manager, no reconnection timers, no emitter chains), so one
 * load-generator process can hold ~10k of them and still measure the server rather than itself.
 *
 * Text frames only (no binary attachments), default namespace only: all Parley needs.
 */
export type EventHandler = (event: string, data: unknown) => void;
/** Sees each `42[...]` event frame first; returns true when it handled the frame (no JSON.parse then). */
export type RawEventHandler = (frame: string) => boolean;

export interface WireClientOptions {
  url: string;
  auth?: Record<string, unknown>;
  localAddress?: string;
  connectTimeoutMs?: number;
}

export class ConnectError extends Error {}

export class WireClient {
  private ws?: WebSocket;
  private nextAckId = 0;
  private readonly acks = new Map<number, (data: unknown) => void>();
  connected = false;
  /** Set when the server or network closed a socket that was connected (not by `close()`). */
  droppedByServer = false;
  private closing = false;

  constructor(
    private readonly options: WireClientOptions,
    private readonly onEvent: EventHandler,
    private readonly onRawEvent?: RawEventHandler,
  ) {}

  connect(timeoutMs?: number): Promise<void> {
    const { url, localAddress, auth } = this.options;
    const connectTimeoutMs = timeoutMs ?? this.options.connectTimeoutMs ?? 30_000;
    const endpoint = `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    this.closing = false;
    this.droppedByServer = false;
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(endpoint, {
        localAddress,
        perMessageDeflate: false,
        handshakeTimeout: connectTimeoutMs,
      });
      this.ws = ws;
      let settled = false;
      const timer = setTimeout(() => fail(new ConnectError('connect timeout')), connectTimeoutMs);
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ws.terminate();
        reject(error);
      };
      ws.on('error', (error) => fail(error));
      ws.on('close', () => {
        const wasConnected = this.connected;
        this.connected = false;
        this.failPendingAcks();
        if (wasConnected && !this.closing) this.droppedByServer = true;
        fail(new ConnectError('closed during handshake'));
      });
      ws.on('message', (raw: WebSocket.RawData, isBinary: boolean) => {
        if (isBinary) return;
        const frame = raw.toString();
        switch (frame.charCodeAt(0)) {
          case 0x30: // '0' engine.io open: join the default namespace with our auth payload
            ws.send(`40${JSON.stringify(auth ?? {})}`);
            return;
          case 0x32: // '2' ping
            ws.send('3');
            return;
          case 0x31: // '1' close
            ws.close();
            return;
          case 0x34: // '4' message: a socket.io packet follows
            break;
          default:
            return;
        }
        const type = frame.charCodeAt(1);
        if (type === 0x30) {
          // '40' CONNECT accepted
          if (!settled) {
            settled = true;
            clearTimeout(timer);
            this.connected = true;
            resolve();
          }
        } else if (type === 0x34) {
          // '44' CONNECT_ERROR
          let message = frame.slice(2);
          try {
            message = (JSON.parse(message) as { message?: string }).message ?? message;
          } catch {
            // keep the raw text
          }
          fail(new ConnectError(message));
        } else if (type === 0x31) {
          // '41' server-side disconnect of the namespace
          ws.close();
        } else if (type === 0x32) {
          this.handleEvent(frame);
        } else if (type === 0x33) {
          this.handleAck(frame);
        }
      });
    });
  }

  private handleEvent(frame: string): void {
    if (this.onRawEvent?.(frame)) return;
    // '42' [ackId] JSON array: ["event", data]; the server never asks us for an ack.
    let start = 2;
    while (start < frame.length && frame.charCodeAt(start) !== 0x5b) start++;
    const [event, data] = JSON.parse(frame.slice(start)) as [string, unknown];
    this.onEvent(event, data);
  }

  private handleAck(frame: string): void {
    let start = 2;
    while (start < frame.length && frame.charCodeAt(start) !== 0x5b) start++;
    const id = Number(frame.slice(2, start));
    const callback = this.acks.get(id);
    if (!callback) return;
    this.acks.delete(id);
    const args = JSON.parse(frame.slice(start)) as unknown[];
    callback(args[0]);
  }

  private failPendingAcks(): void {
    for (const callback of this.acks.values()) callback({ ok: false, error: { code: 'DISCONNECTED' } });
    this.acks.clear();
  }

  /** Emits `event` and calls `onAck` with the server's acknowledgement (or a DISCONNECTED failure). */
  emit(event: string, data: unknown, onAck: (response: unknown) => void): void {
    if (!this.ws || !this.connected) {
      onAck({ ok: false, error: { code: 'DISCONNECTED' } });
      return;
    }
    const id = this.nextAckId++;
    this.acks.set(id, onAck);
    this.ws.send(`42${id}${JSON.stringify([event, data])}`);
  }

  emitAsync<T = unknown>(event: string, data: unknown, timeoutMs = 30_000): Promise<T> {
    return new Promise<T>((resolve) => {
      const timer = setTimeout(() => resolve({ ok: false, error: { code: 'ACK_TIMEOUT' } } as T), timeoutMs);
      this.emit(event, data, (response) => {
        clearTimeout(timer);
        resolve(response as T);
      });
    });
  }

  /** Abrupt close (no goodbye packet), like a network drop. */
  terminate(): void {
    this.closing = true;
    this.connected = false;
    this.ws?.terminate();
  }

  close(): void {
    this.closing = true;
    this.connected = false;
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send('41');
    this.ws?.close();
  }
}
