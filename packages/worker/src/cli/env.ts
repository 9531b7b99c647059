import { existsSync } from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { EmbeddedRuntime, ErrorCode, OrchestratorError, PostgresStore, SqliteStore, createExecutorRouter, lineageObserver, recoverEndedExecutionsLineage, type CairnStore, type CallbackMessage, type ModelRegistry } from '@cairn/core';
import type { ResolvedCairnConfig } from '@cairn/steps';
import type { Redis } from 'ioredis';
import type { ExecutionRuntime } from '../cluster-client.js';
import { DEFAULT_QUEUE_PREFIX } from '../queues.js';
import { ExitCode } from './exit.js';
import type { CliIo } from './io.js';
import { writeLine } from './output.js';
import { parseDatabaseUrl } from './parsers.js';

/** Options every command accepts (set on the root program). */
export interface GlobalOptions {
  /** `--config <file>`: the cairn.config.json to use. */
  config?: string;
  /** `--database <url>`: a PostgreSQL store instead of the embedded SQLite one (`?schema=` picks the schema). */
  database?: { connectionString: string; schema?: string };
  /** `--redis <url>`: submit to the distributed runtime on this Redis (needs `--database`) instead of running in-process. */
  redis?: string;
  /** `--log-level <level>`: pino level for logs on stderr. @defaultValue 'silent' */
  logLevel: string;
}

/** How long a command waits for event deliveries (retries included) before leaving them to `cairn events redeliver`. */
const EVENT_FLUSH_TIMEOUT_MS = 30_000;

/** File name of the embedded store inside the workspace. */
export const STORE_FILE_NAME = 'cairn.db';

/**
 * What commands share: the injected I/O, the global options and, created lazily on first use and
 * closed by `close()`, the logger, configuration, store and embedded runtime.
 */
export class CliEnv {
  /** The exit code the current command reported. */
  exitCode: ExitCode = ExitCode.Ok;
  private log: Logger | undefined;
  private resolvedConfig: Promise<ResolvedCairnConfig> | undefined;
  private openedStore: Promise<CairnStore> | undefined;
  private openedRuntime: Promise<ExecutionRuntime> | undefined;
  private openedRegistry: Promise<ModelRegistry> | undefined;
  private eventsFlushed = false;
  private pipelineDir: string | undefined;
  private readonly callbackListeners = new Set<(message: CallbackMessage) => void>();
  private readonly closers: (() => Promise<void>)[] = [];

  constructor(
    readonly io: CliIo,
    /** Reads the parsed global options (commander fills them before any action runs). */
    readonly globals: () => GlobalOptions,
  ) {}

  /** Pino logger writing JSON lines to stderr; silent unless `--log-level` says otherwise. */
  get logger(): Logger {
    this.log ??= pino({ level: this.globals().logLevel, base: { cmd: 'cairn' } }, { write: (s: string) => this.io.stderr.write(s) });
    return this.log;
  }

  /** Makes `config()` look for cairn.config.json next to this pipeline file first. */
  usePipelineFile(file: string): void {
    this.pipelineDir = path.dirname(file);
  }

  /** The configuration: `--config`, else cairn.config.json next to the pipeline file, else in the working directory, else defaults. */
  config(): Promise<ResolvedCairnConfig> {
    this.resolvedConfig ??= this.loadConfig();
    return this.resolvedConfig;
  }

  private async loadConfig(): Promise<ResolvedCairnConfig> {
    // @cairn/steps is loaded on demand: `validate`, `compile` and `graph` start faster without it.
    const { CONFIG_FILE_NAME, loadCairnConfig } = await import('@cairn/steps');
    const explicit = this.globals().config;
    if (explicit !== undefined) return loadCairnConfig(explicit, this.io.cwd);
    const besidePipeline = this.pipelineDir !== undefined && existsSync(path.join(this.pipelineDir, CONFIG_FILE_NAME));
    return loadCairnConfig(undefined, besidePipeline ? this.pipelineDir : this.io.cwd);
  }

  /** The `--config <file>` flag other commands need to find this command's configuration (`''` when they find it from the working directory). */
  async configFlag(): Promise<string> {
    const file = (await this.config()).path;
    if (file === undefined || path.dirname(file) === this.io.cwd) return '';
    return `--config ${path.relative(this.io.cwd, file)} `;
  }

  /**
   * The store: PostgreSQL with `--database`; with `--redis` (a client of the cluster) the cluster's
   * store, see `clusterStore`; else SQLite at `<workspace>/cairn.db`. Opened once, closed by `close()`.
   */
  store(): Promise<CairnStore> {
    this.openedStore ??= this.openStore(this.globals().redis !== undefined);
    return this.openedStore;
  }

  /**
   * The distributed runtime's PostgreSQL store, `--database`, else `DATABASE_URL`; it is `store()`
   * from then on. Throws `CONFIG_INVALID` when neither is given.
   */
  clusterStore(): Promise<CairnStore> {
    this.openedStore ??= this.openStore(true);
    return this.openedStore;
  }

  private async openStore(cluster: boolean): Promise<CairnStore> {
    const { arnPrefix, workspace } = await this.config();
    const flag = this.globals().database;
    const database = flag ? { ...flag, source: '--database' } : cluster ? { ...clusterDatabase(), source: 'DATABASE_URL' } : undefined;
    const store: CairnStore = database
      ? await PostgresStore.open({ ...database, arnPrefix })
      : await SqliteStore.open({ path: path.join(workspace, STORE_FILE_NAME), arnPrefix });
    this.onClose(() => store.close());
    return store;
  }

  /** The embedded runtime over the store, with the local executors (or, with `--redis`, a client of the cluster); created once, closed by `close()`. */
  runtime(): Promise<ExecutionRuntime> {
    this.openedRuntime ??= this.globals().redis ? this.openClusterClient() : this.openRuntime();
    return this.openedRuntime;
  }

  private async openClusterClient(): Promise<ExecutionRuntime> {
    const { openClusterClient } = await import('../services.js');
    const { serviceSettings } = await import('./commands/services.js');
    const client = openClusterClient({ ...(await serviceSettings(this, process.env['CAIRN_QUEUE_PREFIX'] ?? DEFAULT_QUEUE_PREFIX)), logger: this.logger }, (message) => this.callbackListeners.forEach((listener) => listener(message)));
    this.onClose(async () => {
      await client.close();
      await client.closeDeployment();
    });
    return client;
  }

  private async openRuntime(): Promise<EmbeddedRuntime> {
    const config = await this.config();
    const store = await this.store();
    // Local and SageMaker executors, routes and the artifact store (S3 when SageMaker is routed), from cairn.config.json.
    const { configuredBackends } = await import('@cairn/steps');
    const backends = configuredBackends(config);
    const { artifacts } = backends;
    const executors = createExecutorRouter(backends.executors, backends.routes);
    const lineage = lineageObserver({ store, artifacts, arnPrefix: config.arnPrefix, logger: this.logger });
    const runtime = new EmbeddedRuntime({
      store,
      executors,
      artifacts,
      logger: this.logger,
      arnPrefix: config.arnPrefix,
      registry: await this.modelRegistry(),
      observers: [lineage],
      callbackSink: (message) => this.callbackListeners.forEach((listener) => listener(message)),
    });
    // Lineage of steps that ended an execution just before a `cairn` process driving it died.
    const recovering = recoverEndedExecutionsLineage(store, lineage, { now: Date.now(), arnPrefix: config.arnPrefix }).catch((err: unknown) =>
      this.logger.warn({ err }, 'cannot check the lineage of recently ended executions; executions are not affected'),
    );
    this.onClose(async () => {
      await runtime.close();
      await recovering;
      await lineage.close();
      await backends.close();
    });
    return runtime;
  }

  /**
   * The Model Registry over the store: webhooks from cairn.config.json (or the environment), the
   * Redis stream with `--redis`, SageMaker sync for mirrored versions. Created once; event
   * deliveries still pending are attempted before the command ends.
   */
  modelRegistry(): Promise<ModelRegistry> {
    this.openedRegistry ??= this.openModelRegistry();
    return this.openedRegistry;
  }

  private async openModelRegistry(): Promise<ModelRegistry> {
    const config = await this.config();
    const store = await this.store();
    const { openModelRegistry } = await import('../events-sinks.js');
    const { lazySageMakerModelRegistry } = await import('@cairn/steps');
    // The AWS SDK and the SageMaker client load on first use: only versions mirrored from SageMaker
    // need them, and they cost memory, start-up time (and a Node-version warning from the SDK on Node 20).
    const remote = lazySageMakerModelRegistry(config.sagemaker.region);
    const stream = await this.eventStream();
    const registry = openModelRegistry({ store, config, env: this.io.env, logger: this.logger, remote, ...(stream ? { stream } : {}) });
    this.onClose(async () => {
      if (!this.eventsFlushed) await this.flushEvents();
      await remote.close();
    });
    return registry;
  }

  /** With `--redis`: the connection and prefix of the `<prefix>:events` stream (closed by `close()`). */
  private async eventStream(): Promise<{ redis: Redis; prefix: string } | undefined> {
    const url = this.globals().redis;
    if (url === undefined) return undefined;
    const [{ redisOptionsFromUrl }, { Redis: RedisClient }] = await Promise.all([import('../redis.js'), import('ioredis')]);
    const redis = new RedisClient({ ...redisOptionsFromUrl(url), lazyConnect: true });
    this.onClose(async () => void redis.disconnect());
    return { redis, prefix: process.env['CAIRN_QUEUE_PREFIX'] ?? DEFAULT_QUEUE_PREFIX };
  }

  /**
   * Waits for the registry's event deliveries (retries included, up to 30 s) and prints a
   * `cairn events redeliver` hint for each one still failed or pending; resolves whether all went out.
   */
  async flushEvents(): Promise<boolean> {
    this.eventsFlushed = true;
    if (!this.openedRegistry) return true;
    const registry = await this.openedRegistry;
    if (await registry.flush(EVENT_FLUSH_TIMEOUT_MS)) return true;
    const store = await this.store();
    const stuck = [...(await store.listDeliveries({ status: 'failed' })), ...(await store.listDeliveries({ status: 'pending' }))].filter((d) => registry.dispatcher?.sinkIds.includes(d.sinkId));
    for (const d of stuck) writeLine(this.io.stderr, `warning: event delivery ${d.id} to ${d.sinkId} failed (${d.lastError ?? 'pending'}); resend with: cairn events redeliver ${d.id}`);
    return stuck.length === 0;
  }

  /** Receives the messages Callback steps send (their tokens) while this command drives executions; returns the unsubscribe function. */
  onCallback(listener: (message: CallbackMessage) => void): () => void {
    this.callbackListeners.add(listener);
    return () => this.callbackListeners.delete(listener);
  }

  /** Wraps a command handler for commander: its result becomes the process exit code. */
  action<A extends unknown[]>(handler: (...args: A) => Promise<ExitCode>): (...args: A) => Promise<void> {
    return async (...args: A) => {
      this.exitCode = await handler(...args);
    };
  }

  /** Registers cleanup to run (newest first) when the command ends. */
  onClose(closer: () => Promise<void>): void {
    this.closers.push(closer);
  }

  /** Closes everything opened for the command (runtime, store), newest first. */
  async close(): Promise<void> {
    for (const closer of this.closers.splice(0).reverse()) await closer();
  }
}

/** The cluster's database from `DATABASE_URL` (services and `--redis` clients read it when `--database` is not given). */
function clusterDatabase(): { connectionString: string; schema?: string } {
  const url = process.env['DATABASE_URL'];
  if (url === undefined) {
    throw new OrchestratorError(ErrorCode.ConfigInvalid, 'The distributed runtime needs its PostgreSQL store.', { fix: 'pass --database postgres://user@host:5432/db (or set DATABASE_URL).' });
  }
  return parseDatabaseUrl(url);
}
