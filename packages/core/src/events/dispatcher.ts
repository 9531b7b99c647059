import { setTimeout as sleep } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import { ErrorCode, OrchestratorError } from '../errors.js';
import type { DeliveryRecord, EventOutboxStore } from '../store/event-store.js';
import { DeliveryError, sinkAccepts, type EventSink } from './sinks.js';

/** Options of `EventDispatcher`. */
export interface EventDispatcherOptions {
  store: EventOutboxStore;
  sinks: readonly EventSink[];
  clock?: Clock;
  logger?: Logger;
  /** Attempts per delivery before it is marked `failed`. @defaultValue 5 */
  maxAttempts?: number;
  /** Delay before the first retry, in milliseconds; doubles with each attempt. @defaultValue 1_000 */
  backoffBaseMs?: number;
  /** Longest delay between attempts, in milliseconds. @defaultValue 60_000 */
  backoffMaxMs?: number;
  /** How long a claimed delivery stays reserved for this dispatcher, in milliseconds. @defaultValue 60_000 */
  leaseMs?: number;
  /** Deliveries claimed per round. @defaultValue 50 */
  batchSize?: number;
}

/**
 * Works through the event outbox: claims due deliveries, hands each to its sink, and records the
 * outcome. Failures are retried with exponential backoff until `maxAttempts`, then marked
 * `failed` (see `redeliver`). Every attempt is recorded in the store, so nothing is lost when a
 * process dies: an unfinished claim becomes due again when its lease ends.
 */
export class EventDispatcher {
  private readonly sinks: ReadonlyMap<string, EventSink>;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly maxAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly leaseMs: number;
  private readonly batchSize: number;

  constructor(private readonly options: EventDispatcherOptions) {
    this.sinks = new Map(options.sinks.map((s) => [s.id, s]));
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.maxAttempts = options.maxAttempts ?? 5;
    this.backoffBaseMs = options.backoffBaseMs ?? 1_000;
    this.backoffMaxMs = options.backoffMaxMs ?? 60_000;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.batchSize = options.batchSize ?? 50;
  }

  /** Ids of the configured sinks (every new event gets one delivery per sink). */
  get sinkIds(): string[] {
    return [...this.sinks.keys()];
  }

  /** Ids of the configured sinks that take events of `detailType` (see `EventSink.eventTypes`). */
  sinkIdsFor(detailType: string): string[] {
    return [...this.sinks.values()].filter((s) => sinkAccepts(s, detailType)).map((s) => s.id);
  }

  /** Attempts every delivery due now, once; returns them as recorded afterwards. */
  async deliverDue(): Promise<DeliveryRecord[]> {
    const done: DeliveryRecord[] = [];
    for (;;) {
      const now = this.clock.now();
      const claimed = await this.options.store.claimDueDeliveries({ now, leaseUntil: now + this.leaseMs, limit: this.batchSize });
      const mine = claimed.filter((d) => this.sinks.has(d.sinkId));
      done.push(...(await Promise.all(mine.map((d) => this.attempt(d, false)))));
      if (claimed.length < this.batchSize) return done;
    }
  }

  /**
   * Delivers until no delivery of the configured sinks is pending (retries wait out their
   * backoff) or `timeoutMs` passes; returns whether everything settled.
   */
  async drain(timeoutMs = 60_000): Promise<boolean> {
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      await this.deliverDue();
      const pending = (await this.options.store.listDeliveries({ status: 'pending', limit: 1_000 })).filter((d) => this.sinks.has(d.sinkId));
      if (pending.length === 0) return true;
      const nextDue = Math.min(...pending.map((d) => d.nextAttemptAt));
      if (nextDue > deadline) return false;
      await sleep(Math.max(0, nextDue - this.clock.now()));
    }
  }

  /** Delivers due events every `intervalMs` until `signal` aborts: the loop of a long-running service. */
  async run(signal: AbortSignal, intervalMs = 1_000): Promise<void> {
    while (!signal.aborted) {
      await this.deliverDue().catch((err: unknown) => this.logger.error({ err }, 'event delivery round failed; deliveries stay in the outbox'));
      await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /** Sends one delivery again now, whatever its status (`cairn events redeliver <id>`). */
  async redeliver(id: string): Promise<DeliveryRecord> {
    const delivery = await this.options.store.getDelivery(id);
    if (!delivery) {
      throw new OrchestratorError(ErrorCode.InputUnreadable, `Delivery "${id}" does not exist.`, {
        fix: 'copy the id from `cairn events list` (or the `Cairn-Delivery-Id` header a receiver logged).',
      });
    }
    if (!this.sinks.has(delivery.sinkId)) {
      throw new OrchestratorError(ErrorCode.ConfigInvalid, `Delivery "${id}" goes to sink "${delivery.sinkId}", which is not configured here.`, {
        fix: 'configure that sink (e.g. CAIRN_WEBHOOK_URL and CAIRN_WEBHOOK_SECRET) and run the command again.',
      });
    }
    return this.attempt(delivery, true);
  }

  /** One attempt; `final` attempts are not retried automatically. */
  private async attempt(delivery: DeliveryRecord, final: boolean): Promise<DeliveryRecord> {
    const sink = this.sinks.get(delivery.sinkId);
    const event = await this.options.store.getEvent(delivery.eventId);
    const attempts = delivery.attempts + 1;
    const log = this.logger.child({ deliveryId: delivery.id, eventId: delivery.eventId, sink: delivery.sinkId, attempt: attempts });
    try {
      if (!sink || !event) throw new DeliveryError(`Event "${delivery.eventId}" or sink "${delivery.sinkId}" is missing.`);
      await sink.deliver(event, delivery);
      const now = this.clock.now();
      log.info('event delivered');
      return this.record(delivery, { status: 'delivered', attempts, deliveredAt: now, updatedAt: now });
    } catch (err) {
      const now = this.clock.now();
      const exhausted = final || attempts >= this.maxAttempts;
      log.warn({ err, willRetry: !exhausted }, 'event delivery failed');
      return this.record(delivery, {
        status: exhausted ? 'failed' : 'pending',
        attempts,
        nextAttemptAt: now + this.backoffMs(attempts),
        lastError: err instanceof Error ? err.message : String(err),
        ...(err instanceof DeliveryError && err.statusCode !== undefined ? { lastStatusCode: err.statusCode } : {}),
        updatedAt: now,
      });
    }
  }

  private async record(delivery: DeliveryRecord, update: Parameters<EventOutboxStore['updateDelivery']>[1]): Promise<DeliveryRecord> {
    return (await this.options.store.updateDelivery(delivery.id, update)) ?? { ...delivery, ...update };
  }

  /** Delay after the `attempts`-th failure: base × 2^(attempts − 1), capped. */
  private backoffMs(attempts: number): number {
    return Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (attempts - 1));
  }
}
