import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { field, releaseHandshakeRequests, webSocketOf, type HandshakingEngine } from './engine-internals';

describe('webSocketOf', () => {
  it('finds the ws socket under the WebSocket transport only', () => {
    const ws = {};
    expect(webSocketOf({ transport: { name: 'websocket', socket: ws } })).toBe(ws);
    expect(webSocketOf({ transport: { name: 'polling', socket: ws } })).toBeUndefined();
    expect(webSocketOf(null)).toBeUndefined();
  });

  it('reads fields of objects only', () => {
    expect(field({ a: 1 }, 'a')).toBe(1);
    expect(field('text', 'length')).toBeUndefined();
  });
});

describe('releaseHandshakeRequests', () => {
  function engine() {
    const registered: {
      middleware?: Parameters<HandshakingEngine['use']>[0];
      connection?: (conn: { request: unknown }) => void;
    } = {};
    const fake: HandshakingEngine = {
      use: (middleware) => {
        registered.middleware = middleware;
      },
      on: (_event, listener) => {
        registered.connection = listener;
      },
    };
    releaseHandshakeRequests(fake);
    return registered;
  }

  it("drops an upgrade's stand-in response's hold on the request, and goes on", () => {
    const { middleware } = engine();
    const req = new IncomingMessage(new Socket());
    const standIn = { req };
    const next = jest.fn();
    middleware!(req, standIn as unknown as ServerResponse, next);
    expect(standIn.req).toBeNull();
    expect(next).toHaveBeenCalledTimes(1);
  });

  it('leaves a real HTTP response (long-polling) as it is', () => {
    const { middleware } = engine();
    const req = new IncomingMessage(new Socket());
    const res = new ServerResponse(req);
    const next = jest.fn();
    middleware!(req, res, next);
    expect(res.req).toBe(req);
    expect(next).toHaveBeenCalledTimes(1);
  });

  it('lets a new connection forget the request that opened it', () => {
    const { connection } = engine();
    const conn = { request: {} };
    connection!(conn);
    expect(conn.request).toBeNull();
  });
});
