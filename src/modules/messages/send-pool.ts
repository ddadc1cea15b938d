import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { APP_CONFIG, type AppConfig } from '../../config/config';

/**
 * Write batches in flight at once per instance (the send pool holds one connection for each); while they run, new
 * sends pile up into the next batch (group commit).
 */
export const SEND_CONCURRENCY = 4;

/**
 * The send path's own PostgreSQL connections: `storeBatch` runs only here, so sends never queue behind slow
 * reads, and these connections can be tuned for that one statement:
 * - `plan_cache_mode=force_generic_plan`: left to itself PostgreSQL re-plans the batch statement on every call
 *   (it cannot know the batch size, so the generic plan never looks cheaper), and planning cost more than
 *   executing (1.37 → 0.80 ms per one-message batch with 200k messages stored);
 * - `enable_seqscan=off`: a generic plan is made once per connection, possibly while `messages` is still small,
 *   and would keep scanning it sequentially as it grows. Every lookup in the statement has an index; with
 *   sequential scans off the plan uses them whatever the table sizes were when it was made.
 */
@Injectable()
export class SendPool implements OnApplicationShutdown {
  private readonly logger = new Logger('SendPool');
  readonly pool: Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.pool = new Pool({
      connectionString: config.database.url,
      max: SEND_CONCURRENCY,
      statement_timeout: config.database.statementTimeoutMs,
      application_name: 'parley-send',
      options: '-c plan_cache_mode=force_generic_plan -c enable_seqscan=off',
    });
    // An idle connection dropped by the server (restart, failover) must not crash the process; the pool
    // replaces it on the next checkout.
    this.pool.on('error', (error) => this.logger.warn({ err: error }, 'Idle send connection failed'));
  }

  /** Runs after MessageWriter has flushed its queue (beforeApplicationShutdown). */
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
