import type { Logger } from 'pino';
import { DEFAULT_PRUNE_EVENTS_LIMIT, systemClock, type Clock, type EventOutboxStore } from '@cairn/core';
import { PeriodicPass } from './periodic-pass.js';

/** How long settled events are kept unless configured otherwise: 30 days, in milliseconds. */
export const DEFAULT_EVENT_RETENTION_MS = 30 * 24 * 3600 * 1000;

/**
 * Deletes the settled events created before `before` (`EventOutboxStore.pruneEvents`) in batches of
 * `batch` events, one transaction each, until a batch comes back short or `max` are deleted;
 * `onBatch` hears each batch's count as it is deleted. Returns how many it deleted.
 */
export async function pruneEventsBefore(
  store: Pick<EventOutboxStore, 'pruneEvents'>,
  before: number,
  { batch = DEFAULT_PRUNE_EVENTS_LIMIT, max = Number.POSITIVE_INFINITY, onBatch }: { batch?: number; max?: number; onBatch?: (deleted: number) => void } = {},
): Promise<number> {
  let pruned = 0;
  while (pruned < max) {
    const deleted = await store.pruneEvents({ before, limit: Math.min(batch, max - pruned) });
    pruned += deleted;
    onBatch?.(deleted);
    if (deleted < batch) break;
  }
  return pruned;
}

/** Options of `EventRetention`. */
export interface EventRetentionOptions {
  /** How long an event is kept after it was created, in milliseconds. @defaultValue 30 days */
  keepMs?: number;
  /** Time between passes, in milliseconds. @defaultValue 3_600_000 (an hour) */
  intervalMs?: number;
  /** Events deleted per `pruneEvents` call (one transaction each). @defaultValue 1_000 */
  batch?: number;
  /** Most events one pass deletes; the next pass goes on. @defaultValue 100_000 */
  maxPerPass?: number;
  clock?: Clock;
  logger: Logger;
}

/**
 * Deletes outbox events older than `keepMs` whose deliveries are all settled (delivered or failed),
 * with their deliveries, in batches, on a timer: without it the outbox grows for as long as the
 * deployment runs. The first pass runs on `start`, so a scheduler restarted more often than
 * `intervalMs` still prunes. Run by the leading scheduler only.
 */
export class EventRetention extends PeriodicPass<number> {
  constructor(
    private readonly store: EventOutboxStore,
    private readonly options: EventRetentionOptions,
  ) {
    super(options.intervalMs ?? 3_600_000);
  }

  /** Starts periodic passes, the first one now. */
  override start(): void {
    super.start();
    void this.runPass();
  }

  /** One pass now (joins a running one); resolves how many events it deleted. Errors are logged, not thrown. */
  prune(): Promise<number> {
    return this.runPass();
  }

  protected async run(): Promise<number> {
    const { keepMs = DEFAULT_EVENT_RETENTION_MS, batch = DEFAULT_PRUNE_EVENTS_LIMIT, maxPerPass = 100_000, clock = systemClock, logger } = this.options;
    const before = clock.now() - keepMs;
    let pruned = 0;
    try {
      await pruneEventsBefore(this.store, before, { batch, max: maxPerPass, onBatch: (deleted) => (pruned += deleted) });
      if (pruned > 0) logger.info({ pruned, keptMs: keepMs, before }, 'deleted settled outbox events past their retention');
    } catch (err) {
      logger.warn({ err, pruned }, 'could not delete outbox events past their retention; the next pass tries again');
    }
    return pruned;
  }
}
