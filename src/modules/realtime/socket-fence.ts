import { Logger } from '@nestjs/common';
import type { Server } from 'socket.io';
import type { StreamProgress } from './stream-progress';

/** The server-side event one instance sends the others to ask "have you read the stream up to here?". */
export const FENCE_EVENT = 'parley:fence';

/** How long a fence waits for the other instances (a stalled one must not hold up the request for long). */
export const FENCE_TIMEOUT_MS = 2_000;

const fences = new WeakMap<object, () => Promise<void>>();
const logger = new Logger('SocketFence');

/**
 * Answers other instances' fences on `server` (once this instance's reader has passed the entry they name), and
 * registers this instance's own fence for `fence()`.
 */
export function installFence(server: Server, progress: StreamProgress): void {
  server.of('/').on(FENCE_EVENT, (offset: unknown, done: unknown) => {
    if (typeof offset !== 'string' || typeof done !== 'function') return;
    void progress
      .reach(offset, FENCE_TIMEOUT_MS)
      .then((reached) => (done as (reached: boolean) => void)(reached));
  });
  fences.set(server, async () => {
    const offset = await progress.lastPublished();
    if (!offset) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), FENCE_TIMEOUT_MS);
    });
    try {
      const answers = await Promise.race([server.serverSideEmitWithAck(FENCE_EVENT, offset), timedOut]);
      if (answers === 'timeout' || (answers as unknown[]).some((reached) => reached !== true)) {
        logger.warn({ offset }, 'Not every instance confirmed it has applied the latest socket room change');
      }
    } catch (error) {
      logger.warn(
        { err: error, offset },
        'Could not confirm the latest socket room change with the other instances',
      );
    } finally {
      clearTimeout(timer);
    }
  });
}

/**
 * Resolves once every other instance has applied what this one has published to the broadcast stream so far
 * (at most FENCE_TIMEOUT_MS later). Called after a socket room change (a join or a leave on membership changes),
 * before the change is answered: no instance then writes a message stored after the answer to a socket that left,
 * or misses one to a socket that joined.
 */
export function fence(server: object | undefined): Promise<void> {
  const own = server ? fences.get(server) : undefined;
  return own ? own() : Promise.resolve();
}
