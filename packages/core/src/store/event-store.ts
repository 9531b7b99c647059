import type { JsonObject } from '../json.js';

/** An event in the outbox: an EventBridge-shaped envelope, kept until every sink has it. */
export interface StoredEvent {
  /** The envelope's `id` (a UUID). */
  id: string;
  /** The envelope's `detail-type`, e.g. "SageMaker Model Package State Change". */
  detailType: string;
  /** The whole envelope as sent (`version`, `id`, `detail-type`, `source`, `time`, `resources`, `detail` …). */
  envelope: JsonObject;
  createdAt: number;
}

/** Where a delivery stands. `failed` means retries ran out; `redeliver` makes it pending again. */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event's delivery to one sink: the outbox row a dispatcher works through. */
export interface DeliveryRecord {
  id: string;
  eventId: string;
  sinkId: string;
  status: DeliveryStatus;
  /** Attempts made so far. */
  attempts: number;
  /** When the next attempt is due (or, while claimed, when the claim expires). */
  nextAttemptAt: number;
  lastError?: string;
  /** HTTP status of the last attempt, for webhooks. */
  lastStatusCode?: number;
  deliveredAt?: number;
  createdAt: number;
  updatedAt: number;
}

/** Fields a dispatcher changes after an attempt. */
export type DeliveryUpdate = Partial<Pick<DeliveryRecord, 'status' | 'attempts' | 'nextAttemptAt' | 'lastError' | 'lastStatusCode' | 'deliveredAt'>> & {
  updatedAt: number;
};

/** Persistence of the event outbox. */
export interface EventOutboxStore {
  /** Appends an event with one pending delivery per sink (due at `createdAt`); returns the deliveries. */
  appendEvent(event: StoredEvent, sinkIds: readonly string[]): Promise<DeliveryRecord[]>;
  getEvent(id: string): Promise<StoredEvent | undefined>;
  getDelivery(id: string): Promise<DeliveryRecord | undefined>;
  /** Deliveries, oldest first, optionally of one event or in one status. */
  listDeliveries(query?: { eventId?: string; status?: DeliveryStatus; limit?: number }): Promise<DeliveryRecord[]>;
  /**
   * Claims up to `limit` pending deliveries due at `now` by moving their `nextAttemptAt` to
   * `leaseUntil`, atomically, so two dispatchers never send the same one at once.
   */
  claimDueDeliveries(query: { now: number; leaseUntil: number; limit: number }): Promise<DeliveryRecord[]>;
  /** Records an attempt's outcome; returns the updated record (`undefined` if the id is unknown). */
  updateDelivery(id: string, update: DeliveryUpdate): Promise<DeliveryRecord | undefined>;
  /**
   * Retention: deletes up to `limit` events created before `before` whose deliveries are all
   * settled (`delivered` or `failed`; an event with a `pending` delivery stays), oldest first, with
   * their deliveries, in one transaction; returns how many events it deleted. Callers loop until
   * it returns less than `limit`.
   */
  pruneEvents(query: PruneEventsQuery): Promise<number>;
  /** How many events `pruneEvents` would delete with this `before` and no limit (for dry runs). */
  countPrunableEvents(query: { before: number }): Promise<number>;
}

/** What `pruneEvents` deletes. */
export interface PruneEventsQuery {
  /** Epoch milliseconds: only events created strictly before it go. */
  before: number;
  /** Most events deleted by one call (one transaction). @defaultValue 1_000 */
  limit?: number;
}

/** Events one `pruneEvents` call deletes unless told otherwise. */
export const DEFAULT_PRUNE_EVENTS_LIMIT = 1_000;
