import { EventEmitter } from 'node:events';
import { coalesceFlushedFrames, tcpSocketOf } from './frame-coalescing';

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

describe('tcpSocketOf', () => {
  it('finds the connection under the WebSocket transport only', () => {
    const tcp = fakeTcp();
    expect(tcpSocketOf(engineSocket('websocket', tcp))).toBe(tcp);
    expect(tcpSocketOf(engineSocket('polling', tcp))).toBeUndefined();
    expect(tcpSocketOf(engineSocket('websocket', { cork: 'no' }))).toBeUndefined();
    expect(tcpSocketOf(null)).toBeUndefined();
  });
});
