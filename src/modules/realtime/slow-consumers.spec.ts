import {
  bufferedBytes,
  dropSlowConsumers,
  SLOW_CONSUMER_CHECK_MS,
  type SlowConsumer,
} from './slow-consumers';

/** An engine.io connection as the check sees it: a write buffer and a transport. */
function connection(transport: 'websocket' | 'polling', wsBuffered = 0) {
  const ws = { bufferedAmount: wsBuffered, terminate: jest.fn() };
  return {
    writeBuffer: [] as Array<{ data?: unknown }>,
    transport: transport === 'websocket' ? { name: 'websocket', socket: ws } : { name: 'polling' },
    close: jest.fn(),
    ws,
  };
}

describe('bufferedBytes', () => {
  it('adds the packets engine.io holds to what the WebSocket has not written', () => {
    const conn = connection('websocket', 1000);
    conn.writeBuffer.push({ data: '42["message:created",{}]' }, { data: Buffer.alloc(10) }, {});
    expect(bufferedBytes(conn)).toBe(1000 + 24 + 10);
  });

  it('counts only the write buffer on long-polling', () => {
    const conn = connection('polling');
    conn.writeBuffer.push({ data: 'abc' });
    expect(bufferedBytes(conn)).toBe(3);
  });

  it('counts text as the UTF-8 bytes that go out', () => {
    const conn = connection('polling');
    conn.writeBuffer.push({ data: '€é' });
    expect(bufferedBytes(conn)).toBe(5);
  });

  it('reads nothing from something that is not a connection', () => {
    expect(bufferedBytes(undefined)).toBe(0);
    expect(bufferedBytes({ writeBuffer: 'no', transport: { name: 'websocket', socket: null } })).toBe(0);
  });
});

describe('dropSlowConsumers', () => {
  const limit = 1000;
  let drops: SlowConsumer[];
  let stop: () => void;

  beforeEach(() => {
    jest.useFakeTimers();
    drops = [];
  });

  afterEach(() => {
    stop();
    jest.useRealTimers();
  });

  function watch(sockets: Array<{ id: string; conn: unknown; data?: unknown }>): void {
    stop = dropSlowConsumers({
      maxBufferedBytes: limit,
      sockets: () => sockets.map((socket) => ({ data: {}, ...socket })),
      onDrop: (consumer) => drops.push(consumer),
    }).stop;
  }

  const check = (): void => {
    jest.advanceTimersByTime(SLOW_CONSUMER_CHECK_MS);
  };

  it('leaves a connection under the limit alone', () => {
    const conn = connection('websocket', limit);
    watch([{ id: 's1', conn }]);
    check();
    check();
    expect(conn.ws.terminate).not.toHaveBeenCalled();
    expect(drops).toEqual([]);
  });

  it('terminates a WebSocket over the limit at two checks that is not draining', () => {
    const conn = connection('websocket', limit + 1);
    watch([{ id: 's1', conn, data: { user: { id: 'u1' } } }]);
    check();
    expect(conn.ws.terminate).not.toHaveBeenCalled();
    check();
    expect(conn.ws.terminate).toHaveBeenCalledTimes(1);
    expect(conn.close).not.toHaveBeenCalled();
    expect(drops).toEqual([
      { socketId: 's1', userId: 'u1', transport: 'websocket', bufferedBytes: limit + 1 },
    ]);
  });

  it('spares a connection that is still draining its buffer', () => {
    const conn = connection('websocket', 50_000);
    watch([{ id: 's1', conn }]);
    check();
    conn.ws.bufferedAmount = 30_000;
    check();
    conn.ws.bufferedAmount = 20_000;
    check();
    expect(drops).toEqual([]);
    // It stalls: still over the limit and no lower than at the check before.
    check();
    expect(drops).toHaveLength(1);
  });

  it('starts over when a connection went under the limit in between', () => {
    const conn = connection('websocket', limit + 1);
    watch([{ id: 's1', conn }]);
    check();
    conn.ws.bufferedAmount = 0;
    check();
    conn.ws.bufferedAmount = limit + 5;
    check();
    expect(drops).toEqual([]);
    check();
    expect(drops).toHaveLength(1);
  });

  it('closes a long-polling connection, discarding its buffer', () => {
    const conn = connection('polling');
    conn.writeBuffer.push({ data: 'x'.repeat(limit + 1) });
    watch([{ id: 's2', conn }]);
    check();
    check();
    expect(conn.close).toHaveBeenCalledWith(true);
    expect(drops).toEqual([
      { socketId: 's2', userId: undefined, transport: 'polling', bufferedBytes: limit + 1 },
    ]);
  });

  it('only drops the connections that are stuck', () => {
    const stuck = connection('websocket', limit * 2);
    const fine = connection('websocket', 10);
    watch([
      { id: 'stuck', conn: stuck },
      { id: 'fine', conn: fine },
    ]);
    check();
    check();
    expect(drops.map((drop) => drop.socketId)).toEqual(['stuck']);
    expect(fine.ws.terminate).not.toHaveBeenCalled();
  });

  it('checks nothing once stopped', () => {
    const conn = connection('websocket', limit * 2);
    watch([{ id: 's1', conn }]);
    check();
    stop();
    check();
    check();
    expect(drops).toEqual([]);
  });
});
