import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Inspector } from './inspector';

/** USER_HZ, the unit of /proc/<pid>/stat times: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * A server under test in its own process (the Parley build, or a bare ceiling server), optionally with the V8
 * inspector on loopback so the bench can force GC, read heap usage and record CPU profiles at chosen moments.
 */
export class ServerProcess {
  private static readonly running = new Set<ServerProcess>();
  private readonly lines: string[] = [];
  private errorLines = 0;
  private inspectorUrl?: Promise<string>;
  private inspector?: Inspector;
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly url: string,
    readonly child: ChildProcess,
    inspect: boolean,
  ) {
    let resolveInspector: ((url: string) => void) | undefined;
    if (inspect) this.inspectorUrl = new Promise((resolve) => (resolveInspector = resolve));
    const collect = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        const debuggerUrl = /Debugger listening on (ws:\/\/\S+)/.exec(line);
        if (debuggerUrl) resolveInspector?.(debuggerUrl[1]);
        if (/"level":(50|60)|"level":"(error|fatal)"/.test(line)) this.errorLines++;
        // Keep a bounded tail: at thousands of requests/s the logs are the biggest thing in the bench's memory.
        this.lines.push(line.length > 2000 ? `${line.slice(0, 2000)}…` : line);
        if (this.lines.length > 400) this.lines.splice(0, 200);
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    ServerProcess.running.add(this);
    void this.exited.then(() => ServerProcess.running.delete(this));
  }

  /** Last resort on abort: no server of this run may outlive it. */
  static killAll(): void {
    for (const server of ServerProcess.running) {
      server.inspector?.close();
      server.child.kill('SIGKILL');
    }
  }

  static async start(options: {
    name: string;
    script: string;
    port: number;
    env: Record<string, string>;
    inspect?: boolean;
    nodeArgs?: string[];
    healthPath?: string;
    timeoutMs?: number;
  }): Promise<ServerProcess> {
    const args = [...(options.nodeArgs ?? [])];
    if (options.inspect) args.push('--inspect=127.0.0.1:0');
    const child = spawn(process.execPath, [...args, options.script], {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = `http://127.0.0.1:${options.port}`;
    const server = new ServerProcess(options.name, url, child, options.inspect ?? false);
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`${options.name} exited with ${child.exitCode} during start:\n${server.tail(40)}`);
      }
      try {
        const response = await fetch(`${url}${options.healthPath ?? '/health'}`);
        if (response.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${options.name} did not become healthy:\n${server.tail(40)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return server;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  tail(count = 20): string {
    return this.lines.slice(-count).join('\n');
  }

  get errorLogCount(): number {
    return this.errorLines;
  }

  /** Resident set size from /proc (Linux), in bytes. */
  rssBytes(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  }

  /**
   * Starts a CPU meter; call the result with the number of operations done since, for the process's CPU time (user +
   * system) per operation, in µs. On a shared machine it moves much less than requests per second or latency do.
   */
  cpuMeter(): (operations: number) => number {
    const start = this.cpuMs();
    return (operations) => Math.round(((this.cpuMs() - start) * 1000) / Math.max(1, operations));
  }

  /** CPU time the process has used so far (user + system), in ms, from /proc (Linux). */
  private cpuMs(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  }

  async debugger(): Promise<Inspector> {
    if (!this.inspectorUrl) throw new Error(`${this.name} was started without the inspector`);
    this.inspector ??= await Inspector.connect(await this.inspectorUrl);
    return this.inspector;
  }

  /** Full GC, then V8 heap used and process RSS. */
  async memoryAfterGc(): Promise<{ heapUsed: number; rss: number }> {
    const inspector = await this.debugger();
    await inspector.call('HeapProfiler.collectGarbage');
    await inspector.call('HeapProfiler.collectGarbage');
    const usage = (await inspector.call('Runtime.getHeapUsage')) as { usedSize: number };
    return { heapUsed: usage.usedSize, rss: this.rssBytes() };
  }

  async stop(timeoutMs = 15_000): Promise<number | null> {
    this.inspector?.close();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
