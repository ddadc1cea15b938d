import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { AppException } from '../../common/errors/app-exception';
import { ErrorCode } from '../../common/errors/error-codes';
import { DomainEvents } from '../../common/events/domain-events';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import { METRIC } from '../metrics/metrics.constants';
import { toMessageDto } from './messages.dto';
import './messages.events';
import {
  MessagesRepository,
  type MessageRecord,
  type NewMessage,
  type StoreOutcome,
} from './messages.repository';
import { RoomSeqOrder, type Ready } from './room-seq-order';
import { SEND_CONCURRENCY } from './send-pool';

export interface WriteResult {
  record: MessageRecord;
  created: boolean;
}

interface Pending {
  message: NewMessage;
  resolve: (result: WriteResult) => void;
  reject: (error: unknown) => void;
}

/** What a flushed batch leaves to do once it is over: events to emit in seq order, then callers to answer. */
interface Flushed {
  stored: Ready[];
  acks: Array<() => void>;
}

/** How often a batch is retried after losing a race to its own twin (each retry sees more committed twins). */
const MAX_TWIN_RETRIES = 3;

function isTwinConflict(error: unknown): boolean {
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return code === '23505' && constraint === 'UQ_messages_client_message';
}

/**
 * The send path's write stage. Validated sends wait up to `batchWindowMs` (or until `batchMaxSize` are queued)
 * and are then stored together by ONE statement and one commit (MessagesRepository.storeBatch), which also checks
 * membership and blocks: one commit per batch instead of one per message is what lets the database keep up with
 * many senders. Each caller still gets
 * its own result; `message.created` is published after the commit, each room's in seq order (RoomSeqOrder). A
 * failing batch is retried item by item, so one bad send cannot fail the others.
 */
@Injectable()
export class MessageWriter implements BeforeApplicationShutdown {
  private readonly logger = new Logger('MessageWriter');
  private queue: Pending[] = [];
  /** The scheduled flush of the queue, if any. */
  private scheduled: { cancel: () => void } | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly seqOrder = new RoomSeqOrder();
  private readonly windowMs: number;
  private readonly maxSize: number;

  constructor(
    private readonly messages: MessagesRepository,
    private readonly events: DomainEvents,
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectMetric(METRIC.messages) private readonly messagesTotal: Counter<string>,
  ) {
    this.windowMs = config.messages.batchWindowMs;
    this.maxSize = config.messages.batchMaxSize;
  }

  /** Stores `message` (or finds the earlier send with the same clientMessageId) and resolves after the commit. */
  write(message: NewMessage): Promise<WriteResult> {
    return new Promise<WriteResult>((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      if (this.queue.length >= this.maxSize) this.drain();
      else this.scheduled ??= this.schedule();
    });
  }

  /** Lets queued and running batches finish before the database pool closes. */
  async beforeApplicationShutdown(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight.size > 0) {
      this.drain();
      await Promise.allSettled([...this.inFlight]);
    }
  }

  /**
   * A window > 0 (1 ms by default) waits that long: at moderate rates the sends of a few turns of the event loop
   * share a statement, and each statement costs PostgreSQL several times what one more row in it does. A window
   * of 0 flushes after the current turn (setImmediate): only the sends read in the same batch of socket reads
   * share a commit.
   */
  private schedule(): { cancel: () => void } {
    if (this.windowMs === 0) {
      const immediate = setImmediate(() => this.drain());
      return { cancel: () => clearImmediate(immediate) };
    }
    const timer = setTimeout(() => this.drain(), this.windowMs);
    return { cancel: () => clearTimeout(timer) };
  }

  private drain(): void {
    this.scheduled?.cancel();
    this.scheduled = null;
    while (this.queue.length > 0 && this.inFlight.size < SEND_CONCURRENCY) {
      const batch = this.queue.splice(0, this.maxSize);
      const write = this.seqOrder.begin(batch.map((item) => item.message.roomId));
      const flushed: Flushed = { stored: [], acks: [] };
      const run: Promise<void> = this.flush(batch, flushed).finally(() => {
        // Events first: a sender whose ack has arrived can count on the room having been told, unless an
        // earlier seq of the room is still being written.
        this.seqOrder.finish(write, flushed.stored);
        for (const ack of flushed.acks) ack();
        this.inFlight.delete(run);
        // Whatever queued up meanwhile has waited long enough.
        if (this.queue.length > 0) this.drain();
      });
      this.inFlight.add(run);
    }
  }

  /** Stores `batch`; refusals are answered at once, stored sends are left in `flushed`. */
  private async flush(batch: Pending[], flushed: Flushed): Promise<void> {
    let outcomes: StoreOutcome[];
    try {
      outcomes = await this.store(batch);
    } catch (error) {
      if (batch.length === 1) {
        batch[0].reject(error);
        return;
      }
      this.logger.warn(
        { err: error, size: batch.length },
        'Message batch failed; retrying its sends one by one',
      );
      for (const item of batch) await this.flush([item], flushed);
      return;
    }
    const committedAt = Date.now();
    let created = 0;
    outcomes.forEach((outcome, index) => {
      const item = batch[index];
      switch (outcome.kind) {
        case 'room-gone':
          item.reject(AppException.notFound(ErrorCode.ROOM_NOT_FOUND, 'Room not found'));
          return;
        case 'blocked':
          item.reject(AppException.forbidden(ErrorCode.USER_BLOCKED, 'You cannot write to this user'));
          return;
        case 'existing':
          flushed.acks.push(() => item.resolve({ record: outcome.record, created: false }));
          return;
        case 'created': {
          flushed.acks.push(() => item.resolve({ record: outcome.record, created: true }));
          created += 1;
          // A new message has no reactions, so the viewer-free DTO is the same for everyone.
          const message = toMessageDto(outcome.record);
          flushed.stored.push({
            roomId: message.roomId,
            seq: message.seq,
            emit: () => this.events.publish('message.created', { message, committedAt }),
          });
        }
      }
    });
    if (created > 0) this.messagesTotal.inc(created);
  }

  /**
   * storeBatch, retried while it fails only because a twin of one of its sends (same room, sender and
   * clientMessageId) was committed by another batch while this one waited for its room locks: the statement
   * cannot see that twin, the unique index can. A retry sees it and answers with it.
   */
  private async store(batch: Pending[]): Promise<StoreOutcome[]> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.messages.storeBatch(batch.map((item) => item.message));
      } catch (error) {
        if (attempt >= MAX_TWIN_RETRIES || !isTwinConflict(error)) throw error;
      }
    }
  }
}
