import type { Redis } from 'ioredis';
import { DeliveryError, asSentence, type DeliveryRecord, type EventSink, type StoredEvent } from '@cairn/core';

/** The Redis stream events go to: `<prefix>:events`. */
export function eventStreamKey(prefix: string): string {
  return `${prefix}:events`;
}

/** Options of `RedisStreamSink`. */
export interface RedisStreamSinkOptions {
  /** The connection (owned by the caller). */
  redis: Redis;
  /** Queue prefix of the deployment: the stream is `<prefix>:events`. */
  prefix: string;
  /** Approximate length the stream is trimmed to. @defaultValue 100_000 */
  maxLength?: number;
}

/**
 * Appends each event to the `<prefix>:events` Redis stream (XADD, fields `id`, `type`,
 * `delivery` and `event`: the envelope as JSON), for consumers of the distributed runtime.
 */
export class RedisStreamSink implements EventSink {
  readonly id: string;
  private readonly key: string;

  constructor(private readonly options: RedisStreamSinkOptions) {
    this.key = eventStreamKey(options.prefix);
    this.id = `redis-stream:${this.key}`;
  }

  async deliver(event: StoredEvent, delivery: DeliveryRecord): Promise<void> {
    const fields = ['id', event.id, 'type', event.detailType, 'delivery', delivery.id, 'event', JSON.stringify(event.envelope)];
    try {
      await this.options.redis.xadd(this.key, 'MAXLEN', '~', String(this.options.maxLength ?? 100_000), '*', ...fields);
    } catch (err) {
      throw new DeliveryError(asSentence(`XADD ${this.key} failed: ${err instanceof Error ? err.message : String(err)}`), undefined, { cause: err });
    }
  }
}
