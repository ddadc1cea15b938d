import { Global, Injectable, Logger, Module } from '@nestjs/common';
import { EventEmitter } from 'node:events';

/**
 * Names and payloads of every domain event. Each feature declares its own events by augmenting this interface
 * in its `*.events.ts` file (`declare module '.../domain-events' { interface DomainEventMap { ... } }`), so the
 * dependency runs feature -> events, never events -> feature.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DomainEventMap {}

export type DomainEventName = keyof DomainEventMap;
export type DomainEventHandler<K extends DomainEventName> = (
  payload: DomainEventMap[K],
) => void | Promise<void>;

/**
 * The one publisher for domain events. Services publish only after their transaction has committed; the
 * real-time module fans events out to sockets (across instances through the Socket.IO Redis adapter) and the
 * notifications module turns them into queue jobs. A failing subscriber is logged and never fails the publisher.
 */
@Injectable()
export class DomainEvents {
  private readonly logger = new Logger('DomainEvents');
  private readonly emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  publish<K extends DomainEventName>(name: K, payload: DomainEventMap[K]): void {
    void this.dispatch(name, payload); // each failure is reported by dispatch
  }

  /**
   * Publishes, then waits for what the subscribers return: for changes whose effects must be in place before the
   * caller answers (a membership change: every instance has moved the sockets before the change is confirmed).
   * A failing subscriber is reported and does not fail the caller, as with publish.
   */
  async publishAndWait<K extends DomainEventName>(name: K, payload: DomainEventMap[K]): Promise<void> {
    await Promise.all(this.dispatch(name, payload));
  }

  /** Calls every subscriber; returns what the asynchronous ones return, each reporting its own failure. */
  private dispatch<K extends DomainEventName>(name: K, payload: DomainEventMap[K]): Array<Promise<void>> {
    const pending: Array<Promise<void>> = [];
    for (const listener of this.emitter.listeners(name)) {
      try {
        const result = (listener as DomainEventHandler<K>)(payload);
        if (result instanceof Promise) {
          pending.push(result.catch((error: unknown) => this.report(name, error)));
        }
      } catch (error) {
        this.report(name, error);
      }
    }
    return pending;
  }

  subscribe<K extends DomainEventName>(name: K, handler: DomainEventHandler<K>): () => void {
    this.emitter.on(name, handler);
    return () => this.emitter.off(name, handler);
  }

  private report(name: string, error: unknown): void {
    this.logger.error({ err: error, event: name }, `Subscriber of ${name} failed`);
  }
}

@Global()
@Module({ providers: [DomainEvents], exports: [DomainEvents] })
export class DomainEventsModule {}
