import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { coalesceFlushedFrames, coalesceUpgradeResponse, tcpSocketOf } from './frame-coalescing';

function fakeTcp(): { cork: jest.Mock; uncork: jest.Mock } {
  return { cork: jest.fn(), uncork: jest.fn() };
}

function engineSocket(transportName: string, tcp: unknown): unknown {
  return { transport: { name: transportName, socket: { _socket: tcp } } };
}

const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

describe('coalesceFlushedFrames', () => {
  it('corks a WebSocket connection for a flush of several packets and uncorks it on the next tick', async () => {
    const engine = new EventEmitter();
    coalesceFlushedFrames(engine);
    const tcp = fakeTcp();

    engine.emit('flush', engineSocket('websocket', tcp), [{}, {}, {}]);
    expect(tcp.cork).toHaveBeenCalledTimes(1);
    expect(tcp.uncork).not.toHaveBeenCalled();

    await nextTick();
    expect(tcp.uncork).toHaveBeenCalledTimes(1);
  });

  it('leaves a flush of one packet alone: one frame is one write already', async () => {
    const engine = new EventEmitter();
    coalesceFlushedFrames(engine);
    const tcp = fakeTcp();

    engine.emit('flush', engineSocket('websocket', tcp), [{}]);
    await nextTick();
    expect(tcp.cork).not.toHaveBeenCalled();
    expect(tcp.uncork).not.toHaveBeenCalled();
  });

  it('leaves long-polling alone and ignores sockets it cannot see into', async () => {
    const engine = new EventEmitter();
    coalesceFlushedFrames(engine);
    const tcp = fakeTcp();

    engine.emit('flush', engineSocket('polling', tcp), [{}, {}]);
    engine.emit('flush', { transport: { name: 'websocket', socket: {} } }, [{}, {}]);
    engine.emit('flush', undefined, [{}, {}]);
    await nextTick();
    expect(tcp.cork).not.toHaveBeenCalled();
  });
});

describe('coalesceUpgradeResponse', () => {
  function upgrade(
    tcp: unknown,
    headers: Record<string, string> = { upgrade: 'websocket' },
  ): IncomingMessage {
    return { headers, socket: tcp } as unknown as IncomingMessage;
  }

  it("holds a new connection's 101 until the microtasks that send its open packet are done", async () => {
    const engine = new EventEmitter();
    coalesceUpgradeResponse(engine);
    const tcp = fakeTcp();
    const events: string[] = [];
    tcp.cork.mockImplementation(() => events.push('cork'));
    tcp.uncork.mockImplementation(() => events.push('uncork'));

    // What engine.io does, as a chain of microtasks: initial_headers, the 101, then the open packet.
    await Promise.resolve()
      .then(() => engine.emit('initial_headers', {}, upgrade(tcp)))
      .then(() => events.push('101'))
      .then(() => events.push('open packet'));
    await nextTick();
    expect(events).toEqual(['cork', '101', 'open packet', 'uncork']);
  });

  it('leaves a long-polling handshake, whose response is one write already, alone', async () => {
    const engine = new EventEmitter();
    coalesceUpgradeResponse(engine);
    const tcp = fakeTcp();

    engine.emit('initial_headers', {}, upgrade(tcp, {}));
    engine.emit('initial_headers', {}, upgrade({ cork: 'no' }));
    await nextTick();
    expect(tcp.cork).not.toHaveBeenCalled();
  });
});

describe('tcpSocketOf', () => {
  it('finds the connection under the WebSocket transport only', () => {
    const tcp = fakeTcp();
    expect(tcpSocketOf(engineSocket('websocket', tcp))).toBe(tcp);
    expect(tcpSocketOf(engineSocket('polling', tcp))).toBeUndefined();
    expect(tcpSocketOf(engineSocket('websocket', { cork: 'no' }))).toBeUndefined();
    expect(tcpSocketOf(null)).toBeUndefined();
  });
});
