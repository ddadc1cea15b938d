import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { GenCommand, GenCommands, GenRequest, GenResponse } from './protocol';

/** The orchestrator's handle on one forked load-generator process. */
export class Gen {
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private exited = false;

  private constructor(
    readonly index: number,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (response: GenResponse) => {
      const waiter = this.pending.get(response.id);
      if (!waiter) return;
      this.pending.delete(response.id);
      if (response.ok) waiter.resolve(response.result);
      else waiter.reject(new Error(`load generator ${index}: ${response.error}`));
    });
    // A send on a channel that just closed is reported here; the exit handler below fails the waiters.
    child.on('error', () => undefined);
    child.on('exit', (code, signal) => {
      this.exited = true;
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`load generator ${index} exited (${code ?? signal})`));
      }
      this.pending.clear();
    });
  }

  static spawn(index: number, distBench: string): Gen {
    const child = fork(join(distBench, 'loadgen.js'), [], {
      // Room for ~10k clients with their bookkeeping; stdout/stderr stay visible for crashes.
      execArgv: ['--max-old-space-size=3072'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    return new Gen(index, child);
  }

  request<C extends GenCommand>(command: C, args: GenCommands[C][0]): Promise<GenCommands[C][1]> {
    if (this.exited || !this.child.connected) {
      return Promise.reject(new Error(`load generator ${this.index} is not running`));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      const message: GenRequest = { id, command, args };
      this.child.send(message);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** Splits `items` into `parts` nearly equal consecutive slices. */
export function split<T>(items: T[], parts: number): T[][] {
  const size = Math.ceil(items.length / parts);
  return Array.from({ length: parts }, (_, index) => items.slice(index * size, (index + 1) * size));
}
