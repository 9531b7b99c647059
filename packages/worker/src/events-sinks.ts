import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ErrorCode, ModelRegistry, OrchestratorError, WebhookSink, type CairnStore, type EventSink, type RemoteModelRegistry } from '@cairn/core';
import type { ResolvedCairnConfig } from '@cairn/steps';
import { RedisStreamSink } from './events-redis-stream.js';

/** Environment variables that configure a webhook when cairn.config.json names none (comma-separated URLs share the secret). */
export const WEBHOOK_ENV = { url: 'CAIRN_WEBHOOK_URL', secret: 'CAIRN_WEBHOOK_SECRET' } as const;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The webhooks of `events.webhooks` in cairn.config.json (each secret read from the variable its
 * `secretEnv` names), else those of `CAIRN_WEBHOOK_URL` / `CAIRN_WEBHOOK_SECRET`.
 */
export function webhookSinks(config: Pick<ResolvedCairnConfig, 'events' | 'path'>, env: Env): WebhookSink[] {
  if (config.events.webhooks.length === 0) {
    const urls = (env[WEBHOOK_ENV.url] ?? '').split(',').map((u) => u.trim()).filter(Boolean);
    return urls.map((url) => new WebhookSink({ url, secret: env[WEBHOOK_ENV.secret] ?? '' }));
  }
  return config.events.webhooks.map(({ url, secretEnv, eventTypes }) => {
    const secret = env[secretEnv];
    if (!secret) {
      throw new OrchestratorError(ErrorCode.ConfigInvalid, `The webhook ${url} in ${config.path ?? 'cairn.config.json'} takes its secret from $${secretEnv}, which is not set.`, {
        fix: `export ${secretEnv}=<the secret the receiver verifies with, at least 16 characters>.`,
      });
    }
    return new WebhookSink({ url, secret, ...(eventTypes ? { eventTypes } : {}) });
  });
}

/** What `openModelRegistry` builds the registry from. */
export interface ModelRegistrySettings {
  store: CairnStore;
  config: Pick<ResolvedCairnConfig, 'events' | 'path'>;
  /** Where webhook secrets are read. */
  env: Env;
  logger: Logger;
  /** With Redis (the distributed runtime): events also go to the `<prefix>:events` stream. */
  stream?: { redis: Redis; prefix: string };
  /** SageMaker's registry, for versions a SageMaker step registered. */
  remote?: RemoteModelRegistry;
}

/** The Model Registry with the configured sinks (webhooks, and the Redis stream with Redis). */
export function openModelRegistry(settings: ModelRegistrySettings): ModelRegistry {
  const sinks: EventSink[] = [...webhookSinks(settings.config, settings.env), ...(settings.stream ? [new RedisStreamSink(settings.stream)] : [])];
  return new ModelRegistry({ store: settings.store, sinks, logger: settings.logger, ...(settings.remote ? { remote: settings.remote } : {}) });
}
