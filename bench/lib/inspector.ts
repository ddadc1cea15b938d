import WebSocket from 'ws';

/** A tiny Chrome DevTools Protocol client for a Node process started with `--inspect`. */
export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private onEvent?: (method: string, params: unknown) => void;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (raw: WebSocket.RawData) => {
      const message = JSON.parse(raw.toString()) as {
        id?: number;
        method?: string;
        params?: unknown;
        result?: unknown;
        error?: { message: string };
      };
      if (message.id === undefined) {
        if (message.method) this.onEvent?.(message.method, message.params);
        return;
      }
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error) waiter.reject(new Error(message.error.message));
      else waiter.resolve(message.result);
    });
    ws.on('close', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('inspector closed'));
      this.pending.clear();
    });
  }

  static connect(url: string): Promise<Inspector> {
    return new Promise((resolve, reject) => {
      // Heap and CPU profiles can be large.
      const ws = new WebSocket(url, { maxPayload: 1024 * 1024 * 1024 });
      ws.once('open', () => resolve(new Inspector(ws)));
      ws.once('error', reject);
    });
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  async startProfiling(samplingIntervalUs = 200): Promise<void> {
    await this.call('Profiler.enable');
    await this.call('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
    await this.call('Profiler.start');
  }

  async stopProfiling(): Promise<CpuProfile> {
    const { profile } = (await this.call('Profiler.stop')) as { profile: CpuProfile };
    await this.call('Profiler.disable');
    return profile;
  }

  /** A heap snapshot (after a full GC), summarised by constructor: what the live objects are. */
  async heapByConstructor(): Promise<Map<string, { count: number; bytes: number }>> {
    const chunks: string[] = [];
    const scripts = new Map<number, string>();
    this.onEvent = (method, params) => {
      if (method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push((params as { chunk: string }).chunk);
      if (method === 'Debugger.scriptParsed') {
        const script = params as { scriptId: string; url: string };
        scripts.set(Number(script.scriptId), script.url);
      }
    };
    // The debugger lists every loaded script once enabled: closures are then named by file and line.
    await this.call('Debugger.enable');
    await this.call('Debugger.disable');
    await this.call('HeapProfiler.collectGarbage');
    await this.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    this.onEvent = undefined;
    return summarizeHeapSnapshot(JSON.parse(chunks.join('')) as HeapSnapshot, scripts);
  }

  close(): void {
    this.ws.close();
  }
}

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

interface HeapSnapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; location_fields?: string[] };
  };
  nodes: number[];
  strings: string[];
  locations?: number[];
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + '/dist/'.length) : url.replace(/^file:\/\//, '');
}

function summarizeHeapSnapshot(
  snapshot: HeapSnapshot,
  scripts: Map<number, string>,
): Map<string, { count: number; bytes: number }> {
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  // Where each closure was defined (node offset -> "file:line").
  const where = new Map<number, string>();
  const locationFields = snapshot.snapshot.meta.location_fields ?? [];
  const locations = snapshot.locations ?? [];
  if (locationFields.length) {
    const objectAt = locationFields.indexOf('object_index');
    const scriptAt = locationFields.indexOf('script_id');
    const lineAt = locationFields.indexOf('line');
    for (let offset = 0; offset < locations.length; offset += locationFields.length) {
      const url = scripts.get(locations[offset + scriptAt]);
      if (url) where.set(locations[offset + objectAt], `${shortUrl(url)}:${locations[offset + lineAt] + 1}`);
    }
  }
  const summary = new Map<string, { count: number; bytes: number }>();
  for (let offset = 0; offset < snapshot.nodes.length; offset += width) {
    const type = types[snapshot.nodes[offset + typeAt]];
    const name = snapshot.strings[snapshot.nodes[offset + nameAt]];
    // Objects by constructor, closures by function and place; strings, arrays and V8 internals by kind.
    const key =
      type === 'object'
        ? name
        : type === 'closure'
          ? `closure ${name || '(anonymous)'}${where.has(offset) ? ` ${where.get(offset)}` : ''}`
          : `(${type})`;
    const entry = summary.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snapshot.nodes[offset + sizeAt];
    summary.set(key, entry);
  }
  return summary;
}
