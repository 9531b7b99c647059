import { z } from 'zod';
import { ErrorCode, OrchestratorError } from '../errors.js';
import type { DeliveryRecord, StoredEvent } from '../store/event-store.js';
import { SIGNATURE_HEADER, signWebhookPayload } from './webhook-signature.js';

/** Where events go. `deliver` resolves once the sink has the event and throws otherwise. */
export interface EventSink {
  /** Stable id, stored with each delivery (e.g. `webhook:https://ci.example.com/hook`). */
  readonly id: string;
  /** Only events with these `detail-type`s get a delivery to this sink. @defaultValue every event */
  readonly eventTypes?: readonly string[];
  deliver(event: StoredEvent, delivery: DeliveryRecord): Promise<void>;
}

/** Whether `sink` takes events of `detailType`. */
export function sinkAccepts(sink: EventSink, detailType: string): boolean {
  return sink.eventTypes === undefined || sink.eventTypes.includes(detailType);
}

/** A failed delivery attempt; `statusCode` is the HTTP status when there was a response. */
export class DeliveryError extends OrchestratorError {
  override readonly name: string = 'DeliveryError';
  constructor(
    message: string,
    readonly statusCode?: number,
    options: { cause?: unknown } = {},
  ) {
    super(ErrorCode.ServiceFault, message, { ...options, fix: 'check that the receiver is up and answers 2xx; Cairn retries with backoff.' });
  }
}

/** Options of `WebhookSink`. */
export interface WebhookSinkOptions {
  /** http(s) URL that receives a POST of the event envelope as JSON. */
  url: string;
  /** Shared secret for the HMAC-SHA256 signature in the `Cairn-Signature` header. */
  secret: string;
  /** Sink id. @defaultValue `webhook:<url>` */
  id?: string;
  /** Per-attempt timeout, in milliseconds. @defaultValue 10_000 */
  timeoutMs?: number;
  /** Time source for the signature timestamp (epoch ms). @defaultValue Date.now */
  now?: () => number;
  /** Only events with these `detail-type`s are sent. @defaultValue every event */
  eventTypes?: readonly string[];
}

const WebhookSinkOptionsSchema = z.object({
  url: z.url({ protocol: /^https?$/ }),
  secret: z.string().min(16, 'use a secret of at least 16 characters'),
  id: z.string().min(1).optional(),
  timeoutMs: z.number().int().positive().optional(),
  eventTypes: z.array(z.string().min(1)).min(1).optional(),
});

/**
 * POSTs each event to a URL, signed: `Cairn-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>">`, plus `Cairn-Event-Id` and `Cairn-Delivery-Id` (receivers de-duplicate by event id).
 */
export class WebhookSink implements EventSink {
  readonly id: string;
  readonly eventTypes?: readonly string[];
  private readonly options: WebhookSinkOptions;

  constructor(options: WebhookSinkOptions) {
    const parsed = WebhookSinkOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw new OrchestratorError(ErrorCode.ConfigInvalid, `Invalid webhook sink: ${z.prettifyError(parsed.error)}`, {
        fix: 'give an http(s) URL and a secret of at least 16 characters.',
      });
    }
    this.options = options;
    this.id = options.id ?? `webhook:${options.url}`;
    if (options.eventTypes) this.eventTypes = options.eventTypes;
  }

  async deliver(event: StoredEvent, delivery: DeliveryRecord): Promise<void> {
    const body = JSON.stringify(event.envelope);
    const timestamp = Math.floor((this.options.now ?? Date.now)() / 1000);
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'cairn-webhooks/1',
          [SIGNATURE_HEADER]: signWebhookPayload(this.options.secret, body, timestamp),
          'Cairn-Event-Id': event.id,
          'Cairn-Delivery-Id': delivery.id,
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new DeliveryError(`POST ${this.options.url} failed: ${err instanceof Error ? err.message : String(err)}.`, undefined, { cause: err });
    }
    // Drain the body so the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) throw new DeliveryError(`POST ${this.options.url} answered HTTP ${response.status}.`, response.status);
  }
}
