import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import { isTerminalExecutionStatus, type CairnStore, type ResultReporter } from '@cairn/core';
import { RESULT_STREAM_GROUP, ResultJobSchema, resultStreamKey, type ResultJob } from './queues.js';
import { logConnectionErrors } from './redis.js';

/** Field of a results stream entry that holds the `ResultJob` JSON (one object, or an array of them). */
const RESULT_FIELD = 'result';

/** Results one stream entry carries at most (`ResultWriter`). */
const MAX_RESULTS_PER_ENTRY = 256;

/**
 * Appends reported states to the results stream as one entry (`XADD`; one `ResultJob` object, or
 * an array of several). With the services' connection options (`maxRetriesPerRequest: null`, offline
 * queue) the command waits out a Redis outage instead of failing, and one cut mid-flight is sent
 * again after the reconnect (a duplicate is harmless: the coordinator rejects it).
 */
export async function appendResult(redis: Redis, prefix: string, ...results: [ResultJob, ...ResultJob[]]): Promise<void> {
  await redis.xadd(resultStreamKey(prefix), '*', RESULT_FIELD, JSON.stringify(results.length === 1 ? results[0] : results));
}

/**
 * A worker's side of the results stream: the states reported in one event-loop turn (jobs that
 * finish together) go out as one entry, so Redis, the scheduler's reads and its acknowledgements
 * handle one entry per batch, not one per step. Each `append` resolves once its entry is written,
 * and the worker completes the job only then, so a result is never lost behind a completed job.
 */
export class ResultWriter {
  private pending: { result: ResultJob; resolve: () => void; reject: (err: unknown) => void }[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Queues `result` for this turn's entry; resolves once that entry is in the stream. */
  append(result: ResultJob): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.flush());
      this.pending.push({ result, resolve, reject });
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    for (let i = 0; i < batch.length; i += MAX_RESULTS_PER_ENTRY) {
      const part = batch.slice(i, i + MAX_RESULTS_PER_ENTRY);
      const [first, ...rest] = part.map((p) => p.result) as [ResultJob, ...ResultJob[]];
      appendResult(this.redis, this.prefix, first, ...rest).then(
        () => part.forEach((p) => p.resolve()),
        (err: unknown) => part.forEach((p) => p.reject(err)),
      );
    }
  }
}

/** Options of the results reader. */
export interface ResultReaderOptions {
  /** Redis connection (a blocking one of its own is opened). */
  connection: RedisOptions;
  /** Key prefix of the deployment. */
  prefix: string;
  /** Applies a result through the coordinator; resolves `true` once committed, `false` when rejected. */
  report: ResultReporter;
  /** Ids of the executions this scheduler drives now. */
  drivenExecutionIds: () => readonly string[];
  /** Read for results of executions not driven here (kept while the execution is active). */
  store: Pick<CairnStore, 'getExecution'>;
  logger: Logger;
  /** Entries read and applied at once. @defaultValue 256 */
  batchSize?: number;
  /** Longest wait of one blocking read, in milliseconds (a new entry ends it at once). @defaultValue 5_000 */
  blockMs?: number;
  /** How long a batch waits for an entry's commit before leaving it pending, in milliseconds. @defaultValue 60_000 */
  applyTimeoutMs?: number;
  /** When entries left pending are read again, in milliseconds. @defaultValue 5_000 */
  retryPendingMs?: number;
}

/** One entry of an `XREADGROUP` reply; fields are `null` for an entry deleted while pending. */
type StreamEntry = [id: string, fields: string[] | null];

/**
 * The scheduler's side of the results stream. It reads as consumer `scheduler` of group
 * `scheduler` (`XREADGROUP … COUNT n BLOCK ms`), applies a batch through the coordinator at once (so
 * the results of one execution share a commit), waits for the commits, then acknowledges and
 * deletes the batch (`XACK` + `XDEL` in one `MULTI`).
 *
 * - On start it first reads its own pending entries (id `0`): what a killed scheduler applied but
 *   did not acknowledge is applied again, and the coordinator rejects what is already recorded.
 * - A missing group (`NOGROUP`: Redis flushed or replaced) is created again from id `0`
 *   (`XGROUP CREATE … MKSTREAM`); the reconciler re-dispatches the work that was in flight.
 * - A malformed entry is logged and acknowledged, never retried.
 * - An entry whose commit does not come within `applyTimeoutMs`, or whose execution is active but
 *   not driven here (the next reconciler pass takes it over; this includes an execution the
 *   coordinator dropped while the entry waited, after a failed commit) stays pending and is read
 *   again after `retryPendingMs`.
 */
export class ResultReader {
  private readonly redis: Redis;
  private readonly key: string;
  private loop: Promise<void> | undefined;
  private closing = false;
  /** Whether a blocking read is in progress (close cuts it short). */
  private blocked = false;
  /** When entries left pending are read again; undefined when none are. */
  private retryAt: number | undefined;

  constructor(private readonly options: ResultReaderOptions) {
    this.key = resultStreamKey(options.prefix);
    this.redis = logConnectionErrors(new Redis(options.connection), options.logger, 'results reader');
  }

  /** Creates the group if needed and starts reading (pending entries first). */
  async start(): Promise<void> {
    await this.createGroup();
    this.loop = this.run();
  }

  /** Stops reading; a batch being applied is finished and acknowledged first. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.blocked) this.redis.disconnect();
    await this.loop;
    this.redis.disconnect();
  }

  private async run(): Promise<void> {
    const { logger } = this.options;
    // Where the next read of this consumer's pending entries starts; undefined: read new entries.
    let pendingFrom: string | undefined = '0';
    while (!this.closing) {
      try {
        if (pendingFrom === undefined && this.retryAt !== undefined && Date.now() >= this.retryAt) {
          pendingFrom = '0';
          this.retryAt = undefined;
        }
        const entries = await this.read(pendingFrom);
        if (pendingFrom !== undefined) pendingFrom = entries.length > 0 ? entries.at(-1)![0] : undefined;
        if (entries.length > 0) await this.applyBatch(entries);
      } catch (err) {
        if (this.closing) break;
        if (err instanceof Error && err.message.startsWith('NOGROUP')) {
          logger.warn({ stream: this.key }, 'results stream or its group is gone (Redis flushed or replaced); creating it again, the reconciler re-dispatches what was in flight');
          pendingFrom = undefined;
          await this.createGroup().catch(async (e: unknown) => {
            logger.error({ err: e }, 'could not create the results stream group; retrying in a second');
            await sleep(1_000);
          });
          continue;
        }
        logger.error({ err }, 'reading the results stream failed; retrying in a second');
        // Entries of a batch that failed half-way are still pending: read them again.
        this.retryAt = Date.now();
        await sleep(1_000);
      }
    }
  }

  /** One `XREADGROUP`: pending entries after `pendingFrom`, or new entries (blocking). */
  private async read(pendingFrom: string | undefined): Promise<StreamEntry[]> {
    const { batchSize = 256, blockMs = 5_000 } = this.options;
    if (pendingFrom !== undefined) {
      const reply = await this.redis.xreadgroup('GROUP', RESULT_STREAM_GROUP, RESULT_STREAM_GROUP, 'COUNT', batchSize, 'STREAMS', this.key, pendingFrom);
      return entriesOf(reply);
    }
    // Wake in time for a due re-read of entries left pending.
    const block = this.retryAt === undefined ? blockMs : Math.max(1, Math.min(blockMs, this.retryAt - Date.now()));
    this.blocked = true;
    try {
      if (this.closing) return [];
      const reply = await this.redis.xreadgroup('GROUP', RESULT_STREAM_GROUP, RESULT_STREAM_GROUP, 'COUNT', batchSize, 'BLOCK', block, 'STREAMS', this.key, '>');
      return entriesOf(reply);
    } finally {
      this.blocked = false;
    }
  }

  /** Applies every entry at once, waits for their commits, then acknowledges and deletes the settled ones. */
  private async applyBatch(entries: StreamEntry[]): Promise<void> {
    const driven = new Set(this.options.drivenExecutionIds());
    // One deadline for the whole batch: an entry not committed by then stays pending.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, this.options.applyTimeoutMs ?? 60_000, undefined)));
    let settled: boolean[];
    try {
      // Reported in stream order (a `running` before the `succeeded` of the same attempt); committed together.
      settled = await Promise.all(entries.map(([id, fields]) => this.applyEntry(id, fields, driven, deadline)));
    } finally {
      clearTimeout(timer);
    }
    const done = entries.filter((_, i) => settled[i]).map(([id]) => id);
    if (done.length < entries.length) this.retryAt ??= Date.now() + (this.options.retryPendingMs ?? 5_000);
    if (done.length > 0) await this.redis.multi().xack(this.key, RESULT_STREAM_GROUP, ...done).xdel(this.key, ...done).exec();
  }

  /** Resolves whether the entry is settled (each of its results applied, rejected as stale, or malformed); `false` leaves it pending. */
  private async applyEntry(id: string, fields: string[] | null, driven: ReadonlySet<string>, deadline: Promise<undefined>): Promise<boolean> {
    const { logger } = this.options;
    const { results, problems } = parseEntry(fields);
    for (const reason of problems) {
      logger.error({ stream: this.key, entryId: id, reason }, 'malformed results stream entry dropped: run scheduler and workers of the same Cairn version on one queue prefix, and do not add entries to this stream by hand');
    }
    // Every result is handed over before any is awaited, so their order is kept.
    const outcomes = results.map((result) => this.applyResult(id, result, driven, deadline));
    return (await Promise.all(outcomes)).every(Boolean);
  }

  /** Resolves whether one result is settled (applied or rejected as stale); `false` keeps its entry pending. */
  private async applyResult(id: string, result: ResultJob, driven: ReadonlySet<string>, deadline: Promise<undefined>): Promise<boolean> {
    const { executionId, stepName, attempt, state } = result;
    const log = (): Logger => this.options.logger.child({ executionId, step: stepName, attempt });
    let accepted: boolean | undefined;
    try {
      accepted = await Promise.race([this.options.report(executionId, stepName, attempt, state), deadline]);
    } catch (err) {
      // A result the coordinator cannot take is a bug; applying it again would fail again.
      log().error({ err, entryId: id, state: state.state }, 'result could not be applied; dropped');
      return true;
    }
    if (accepted === undefined) {
      log().warn({ entryId: id, state: state.state }, 'result not committed in time; it stays pending and is applied again');
      return false;
    }
    // Rejected by an execution still driven here: stale or duplicate. Rejected because the execution
    // was abandoned meanwhile (a failed store write): not recorded, so it is kept like the next case.
    if (accepted || (driven.has(executionId) && this.options.drivenExecutionIds().includes(executionId))) {
      if (!accepted) log().debug({ state: state.state }, 'stale or duplicate result ignored');
      return true;
    }
    // Not driven here (any more): keep it while its execution is active, for when the reconciler takes that over.
    const record = await this.options.store.getExecution(executionId).catch((err: unknown) => {
      log().warn({ err }, 'could not read the execution of a result; it stays pending');
      return 'unknown' as const;
    });
    if (record === 'unknown') return false;
    if (record === undefined || isTerminalExecutionStatus(record.status)) {
      log().debug({ state: state.state }, 'result of an execution that is over ignored');
      return true;
    }
    log().info({ state: state.state }, 'result of an execution not driven here yet stays pending');
    return false;
  }

  private async createGroup(): Promise<void> {
    try {
      // From id 0: results workers added before the group existed (or since a flush) are read too.
      await this.redis.xgroup('CREATE', this.key, RESULT_STREAM_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
    }
  }
}

/** The entries of a one-stream `XREADGROUP` reply (`null` when a blocking read timed out). */
function entriesOf(reply: unknown): StreamEntry[] {
  const streams = reply as [key: string, entries: StreamEntry[]][] | null;
  return streams?.[0]?.[1] ?? [];
}

/** The `ResultJob`s of an entry's fields (one object or an array), and why any part of it is malformed. */
function parseEntry(fields: string[] | null): { results: ResultJob[]; problems: string[] } {
  if (fields === null) return { results: [], problems: ['the entry was deleted while pending'] };
  const index = fields.findIndex((f, i) => i % 2 === 0 && f === RESULT_FIELD);
  if (index < 0) return { results: [], problems: [`no "${RESULT_FIELD}" field`] };
  let json: unknown;
  try {
    json = JSON.parse(fields[index + 1]!);
  } catch (err) {
    return { results: [], problems: [`not JSON: ${(err as Error).message}`] };
  }
  const results: ResultJob[] = [];
  const problems: string[] = [];
  for (const [i, item] of (Array.isArray(json) ? json : [json]).entries()) {
    const parsed = ResultJobSchema.safeParse(item);
    if (parsed.success) results.push(parsed.data as ResultJob);
    else problems.push(Array.isArray(json) ? `result ${i}: ${z.prettifyError(parsed.error)}` : z.prettifyError(parsed.error));
  }
  return { results, problems };
}
