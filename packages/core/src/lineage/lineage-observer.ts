import { pino, type Logger } from 'pino';
import type { ExecutionObserver } from '../engine/types.js';
import type { StepRequest } from '../executor.js';
import type { ExecutionRecord, StepExecutionRecord } from '../store/execution-store.js';
import {
  ArtifactDigests,
  DEFAULT_DIGEST_CONCURRENCY,
  prepareStepLineage,
  stepActionArn,
  writeStepLineage,
  type KnownLineage,
  type LineageRecorderOptions,
  type StepLineage,
  type StoredLineageRef,
} from './record-lineage.js';

/** How `lineageObserver` batches its writes. */
export interface LineageObserverOptions extends LineageRecorderOptions {
  /**
   * How long the first step of a batch waits for others, in milliseconds; 0 batches the steps
   * that finish in the same tick (and those that finish while a write is in flight). @defaultValue 0
   */
  maxDelayMs?: number;
  /** Steps per write at most; a batch this large is written at once. @defaultValue 500 */
  maxBatchSteps?: number;
  /** Artifact digests computed at once. @defaultValue 8 */
  digestConcurrency?: number;
  /** Contexts and artifacts remembered as stored by this observer, so they are neither written nor digested again. @defaultValue 4096 */
  cacheSize?: number;
}

/**
 * An `ExecutionObserver` that records the lineage of every finished step in batches: the steps that
 * finish together are written by one `LineageStore.writeLineage`, one write at a time. Failures are
 * logged and never reach the execution.
 */
export interface LineageObserver extends ExecutionObserver {
  /** Queues the step's lineage; resolves once it is written or its failure logged (never rejects). */
  onStepFinished(execution: ExecutionRecord, step: StepExecutionRecord, request?: StepRequest): Promise<void>;
  /**
   * Records the finished steps of a resumed execution whose Action is not stored: the lineage a
   * crash cut off between a step's commit and its lineage write. Resolves once they are written or
   * their failure logged (never rejects).
   */
  onExecutionResumed(execution: ExecutionRecord, finishedSteps: readonly StepExecutionRecord[]): Promise<void>;
  /** Writes the lineage of every step finished before the call, without waiting for more; resolves when it is written or its failure logged. */
  flush(): Promise<void>;
  /** Flushes; steps that finish afterwards are written without a batch delay. Call it before closing the store. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BATCH_STEPS = 500;
const DEFAULT_CACHE_SIZE = 4096;
/** Action lookups at once when a resumed execution's lineage is checked. */
const RECOVERY_LOOKUPS = 8;
/** Single-step writes that may fail in a row, after a batch failed, before the rest of it is given up (the store is down, not one step bad). */
const MAX_FAILURES_IN_A_ROW = 3;

/** Records lineage for every finished step, batching the writes (see `LineageObserverOptions`). */
export function lineageObserver(options: LineageObserverOptions): LineageObserver {
  return new BatchedLineageObserver(options);
}

/** A step whose lineage waits for its write. */
interface QueuedStep {
  /** Order in which the steps finished: a batch is written in this order (the first of duplicates wins). */
  seq: number;
  lineage: StepLineage;
  written: () => void;
}

/** The stored contexts and artifacts most recently written, at most `size` (least recently used go first). */
class RecentlyStored implements KnownLineage {
  private readonly entries = new Map<string, StoredLineageRef | true>();

  constructor(private readonly size: number) {}

  hasContext(arn: string): boolean {
    return this.get(`c:${arn}`) !== undefined;
  }

  artifact(uri: string): StoredLineageRef | undefined {
    const found = this.get(`a:${uri}`);
    return found === true ? undefined : found;
  }

  remember(written: ReadonlyMap<{ kind: string; arn: string; sourceUri?: string }, StoredLineageRef>): void {
    for (const [entity, stored] of written) {
      if (entity.kind === 'Context') this.set(`c:${entity.arn}`, true);
      else if (entity.kind === 'Artifact' && entity.sourceUri) this.set(`a:${entity.sourceUri}`, { arn: stored.arn, type: stored.type });
    }
  }

  private get(key: string): StoredLineageRef | true | undefined {
    const found = this.entries.get(key);
    if (found !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, found);
    }
    return found;
  }

  private set(key: string, value: StoredLineageRef | true): void {
    if (this.size <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value as string);
  }
}

class BatchedLineageObserver implements LineageObserver {
  private readonly logger: Logger;
  private readonly maxDelayMs: number;
  private readonly maxBatchSteps: number;
  private readonly digests: ArtifactDigests;
  private readonly known: RecentlyStored;
  /** Steps ready to write (digests done), in the order they became ready. */
  private readonly queue: QueuedStep[] = [];
  /** Steps being prepared (digests). */
  private readonly preparing = new Set<Promise<unknown>>();
  /** Every step not written yet (digesting, queued or being written): what `flush` waits for. */
  private readonly unfinished = new Set<Promise<void>>();
  private timer: { cancel(): void } | undefined;
  private writing: Promise<void> | undefined;
  /** Flushes in progress: queued steps are written without waiting. */
  private urgent = 0;
  private finished = 0;
  private closed = false;

  constructor(private readonly options: LineageObserverOptions) {
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.maxDelayMs = options.maxDelayMs ?? 0;
    this.maxBatchSteps = Math.max(1, options.maxBatchSteps ?? DEFAULT_MAX_BATCH_STEPS);
    this.digests = new ArtifactDigests(options, options.digestConcurrency ?? DEFAULT_DIGEST_CONCURRENCY);
    this.known = new RecentlyStored(options.cacheSize ?? DEFAULT_CACHE_SIZE);
  }

  onStepFinished(execution: ExecutionRecord, step: StepExecutionRecord, request?: StepRequest): Promise<void> {
    const seq = this.finished++;
    // Prepared inside the promise, so a bad record is logged here and never throws at the engine.
    const prepared = Promise.resolve().then(() => prepareStepLineage(this.options, execution, step, request, this.digests, this.known));
    this.preparing.add(prepared);
    void prepared.then(
      () => this.preparing.delete(prepared),
      () => this.preparing.delete(prepared),
    );
    const done = prepared.then(
      (lineage) =>
        new Promise<void>((written) => {
          this.queue.push({ seq, lineage, written });
          this.schedule();
        }),
      (err: unknown) => this.logger.error({ err, executionId: execution.id }, 'cannot record the lineage of a step; the execution is not affected'),
    );
    this.unfinished.add(done);
    void done.finally(() => this.unfinished.delete(done));
    return done;
  }

  onExecutionResumed(execution: ExecutionRecord, finishedSteps: readonly StepExecutionRecord[]): Promise<void> {
    // Steps copied from another execution (selective execution) never had lineage of their own here.
    const candidates = finishedSteps.filter((s) => !s.selectiveSource);
    const done = this.recover(execution, candidates).catch((err: unknown) =>
      this.logger.error({ err, executionId: execution.id }, 'cannot check the lineage of a resumed execution; the execution is not affected'),
    );
    this.unfinished.add(done);
    void done.finally(() => this.unfinished.delete(done));
    return done;
  }

  /** Looks up each step's Action (a few at a time) and records the steps that have none. */
  private async recover(execution: ExecutionRecord, steps: readonly StepExecutionRecord[]): Promise<void> {
    const missing: StepExecutionRecord[] = [];
    let next = 0;
    const lookUp = async (): Promise<void> => {
      while (next < steps.length) {
        const step = steps[next++]!;
        if (!(await this.options.store.getLineageEntity(stepActionArn(this.options.arnPrefix, execution.id, step.stepName)))) missing.push(step);
      }
    };
    await Promise.all(Array.from({ length: Math.min(RECOVERY_LOOKUPS, steps.length) }, lookUp));
    if (missing.length === 0) return;
    this.logger.info({ executionId: execution.id, steps: missing.length }, 'recording the lineage of finished steps that a restart cut off');
    await Promise.all(missing.map((step) => this.onStepFinished(execution, step)));
  }

  async flush(): Promise<void> {
    const unfinished = [...this.unfinished];
    // Steps still digesting join the queue first, so the flush is one batch.
    await Promise.allSettled([...this.preparing]);
    this.urgent++;
    try {
      this.schedule();
      await Promise.all(unfinished);
    } finally {
      this.urgent--;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /** Starts a write now or later; a write in flight starts the next one when it ends. */
  private schedule(): void {
    if (this.writing || this.queue.length === 0) return;
    if (this.urgent > 0 || this.closed || this.queue.length >= this.maxBatchSteps) return this.startWrite();
    if (this.timer) return;
    if (this.maxDelayMs > 0) {
      const timeout = setTimeout(() => this.startWrite(), this.maxDelayMs);
      this.timer = { cancel: () => clearTimeout(timeout) };
    } else {
      const immediate = setImmediate(() => this.startWrite());
      this.timer = { cancel: () => clearImmediate(immediate) };
    }
  }

  private startWrite(): void {
    this.timer?.cancel();
    this.timer = undefined;
    if (this.writing || this.queue.length === 0) return;
    // Steps join the queue when their digests are done; they are written in the order they finished.
    const batch = this.queue.splice(0, this.maxBatchSteps).sort((a, b) => a.seq - b.seq);
    this.writing = this.write(batch).finally(() => {
      this.writing = undefined;
      for (const step of batch) step.written();
      // Steps queued meanwhile have waited for this write already.
      if (this.queue.length > 0) this.startWrite();
    });
  }

  /** Writes a batch; if it fails, its steps one at a time (one bad step must not lose the others). Never rejects. */
  private async write(batch: readonly QueuedStep[]): Promise<void> {
    const steps = batch.map((q) => q.lineage);
    try {
      this.known.remember(await writeStepLineage(this.options.store, steps));
      return;
    } catch (err) {
      if (steps.length === 1) return this.lost(steps, err);
      this.logger.warn({ err, steps: steps.length }, 'a lineage batch failed; writing its steps one at a time');
    }
    const failed: StepLineage[] = [];
    let firstError: unknown;
    let inARow = 0;
    for (const [i, step] of steps.entries()) {
      if (inARow >= MAX_FAILURES_IN_A_ROW) {
        failed.push(...steps.slice(i));
        break;
      }
      try {
        this.known.remember(await writeStepLineage(this.options.store, [step]));
        inARow = 0;
      } catch (err) {
        firstError ??= err;
        inARow++;
        failed.push(step);
      }
    }
    if (failed.length > 0) this.lost(failed, firstError);
  }

  private lost(steps: readonly StepLineage[], err: unknown): void {
    this.logger.error(
      { err, count: steps.length, steps: steps.slice(0, 10).map((s) => s.ref) },
      `the lineage of ${steps.length} finished step(s) was not recorded; the executions are not affected`,
    );
  }
}
