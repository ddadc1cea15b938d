import { Inject, Injectable, Logger } from '@nestjs/common';
import Redis, { RedisOptions } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/config';

const QUIT_TIMEOUT_MS = 1000;

/**
 * One place that opens Redis connections (commands, pub/sub, Bull, the Socket.IO adapter), so they all share
 * the URL, retry policy and shutdown. Connections made here are closed on application shutdown.
 */
@Injectable()
export class RedisFactory {
  private readonly logger = new Logger('Redis');
  private readonly clients = new Set<Redis>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get keyPrefix(): string {
    return this.config.redis.keyPrefix;
  }

  /** @param prefixed false for clients whose library manages prefixes itself (Bull refuses ioredis keyPrefix). */
  create(name: string, options: RedisOptions = {}, prefixed = true): Redis {
    const client = new Redis(this.config.redis.url, {
      connectionName: `parley:${name}`,
      keyPrefix: prefixed ? this.config.redis.keyPrefix : undefined,
      // Back off up to 2 s between reconnects; commands fail fast instead of piling up while Redis is away.
      retryStrategy: (times) => Math.min(times * 100, 2000),
      maxRetriesPerRequest: 2,
      ...options,
    });
    let reported = false;
    client.on('error', (error: Error) => {
      if (!reported) this.logger.warn(`${name} connection error: ${error.message}`);
      reported = true;
    });
    client.on('ready', () => {
      if (reported) this.logger.log(`${name} connection restored`);
      reported = false;
    });
    this.clients.add(client);
    client.once('end', () => this.clients.delete(client));
    return client;
  }

  async closeAll(): Promise<void> {
    await Promise.all(
      [...this.clients].map(async (client) => {
        // QUIT queues behind pending commands: a blocking read, or anything offline-queued while Redis is away
        // on a client that waits out outages, would hold shutdown forever. Unconnected clients just disconnect.
        if (client.status === 'ready') {
          await Promise.race([
            client.quit().catch(() => undefined),
            new Promise((resolve) => setTimeout(resolve, QUIT_TIMEOUT_MS).unref()),
          ]);
        }
        client.disconnect();
      }),
    );
    this.clients.clear();
  }
}
