import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { compilePipeline } from '../compile/compile-pipeline.js';
import type { CompiledPipeline } from '../compile/types.js';
import { parsePipelineDefinition } from '../definition/parse.js';
import { DefinitionError, ErrorCode, OrchestratorError } from '../errors.js';
import type { ExecutionRecord } from '../store/execution-store.js';

/** Options of `PipelineLoader`. */
export interface PipelineLoaderOptions {
  logger: Logger;
  clock: Clock;
  /** Compiled pipelines kept for sharing, at most. @defaultValue 32 */
  maxEntries?: number;
  /** Definition characters the kept pipelines may add up to (the newest one is always kept). @defaultValue 4_000_000 */
  maxChars?: number;
  /** First wait before an execution that failed to load is tried again by `resume`, in milliseconds; it doubles per failure. @defaultValue 60_000 */
  retryBaseMs?: number;
  /** Longest wait between such tries, in milliseconds. @defaultValue 3_600_000 */
  retryMaxMs?: number;
}

/** A pipeline ready to drive: the shared compiled pipeline and the one shared copy of its definition text. */
export interface LoadedPipeline {
  compiled: CompiledPipeline;
  /** Equal to the text it was loaded from; store it instead, so executions of one version share it. */
  definition: string;
}

/** An execution whose definition did not load: when it may be tried again. */
interface Unloadable {
  failures: number;
  retryAt: number;
}

/**
 * Turns stored definitions into compiled pipelines for the runtime. Executions of one pipeline
 * version share one compiled pipeline: a bounded LRU keyed by definition text (the compiled
 * objects are deep-frozen, so one execution cannot change another's). Executions whose definition
 * no longer parses or compiles (stored by a newer Cairn, say) are logged once each and put off
 * with a doubling backoff, so `resume` passes skip them instead of failing on them every time.
 * @internal
 */
export class PipelineLoader {
  private readonly entries = new Map<string, LoadedPipeline>();
  private chars = 0;
  private readonly unloadable = new Map<string, Unloadable>();
  private readonly maxEntries: number;
  private readonly maxChars: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  constructor(private readonly options: PipelineLoaderOptions) {
    this.maxEntries = options.maxEntries ?? 32;
    this.maxChars = options.maxChars ?? 4_000_000;
    this.retryBaseMs = options.retryBaseMs ?? 60_000;
    this.retryMaxMs = options.retryMaxMs ?? 3_600_000;
  }

  /**
   * The pipeline an execution runs. Throws `DEFINITION_INVALID` (or `DEFINITION_TOO_LARGE`) naming
   * the execution when its definition does not load; the first failure per execution is logged as
   * an error, and `isDeferred` holds it back until its backoff has passed.
   */
  load(record: ExecutionRecord): LoadedPipeline {
    try {
      const loaded = this.get(record.definition);
      this.unloadable.delete(record.id);
      return loaded;
    } catch (err) {
      throw this.failed(record, err);
    }
  }

  /**
   * The pipeline to retry a Failed or Stopped execution with (`retryExecution`, `cairn retry`,
   * RetryPipelineExecution). When its definition does not load, throws `EXECUTION_NOT_RETRYABLE`
   * naming the execution, with the reason as its cause, and logs a warning; unlike `load`, nothing
   * is put off for `resume` (the execution has ended, so nothing tries it again by itself).
   */
  loadForRetry(record: ExecutionRecord): LoadedPipeline {
    try {
      return this.get(record.definition);
    } catch (err) {
      const { reason, details } = unloadableFacts(record, err);
      const error = new OrchestratorError(
        ErrorCode.ExecutionNotRetryable,
        `Execution ${record.id} (pipeline "${record.pipelineName}" version ${record.pipelineVersion}) cannot be retried: its stored definition does not parse or compile with this version of Cairn. ${reason}`,
        {
          cause: err,
          fix: `retry it with a Cairn version that loads the definition (in a cluster, the scheduler's): the version that started the execution, or a newer one if the definition uses what this one lacks; or start a new execution. Nothing was changed: its status stays ${record.status}.`,
          details,
        },
      );
      this.options.logger.warn({ err: error, executionId: record.id, pipelineName: record.pipelineName }, 'retry refused: the execution cannot be loaded');
      throw error;
    }
  }

  /** The shared pipeline of a definition text (parsed and compiled on a miss). Throws what parsing or compiling throws. */
  get(text: string): LoadedPipeline {
    const hit = this.entries.get(text);
    if (hit) {
      // Most recently used last.
      this.entries.delete(text);
      this.entries.set(text, hit);
      return hit;
    }
    return this.add(text, compilePipeline(parsePipelineDefinition(text)));
  }

  /**
   * Shares a pipeline compiled from `text` elsewhere (a new submission): returns the kept one if
   * there is one, else keeps `compiled` when it is `owned` (parsed from text, so nothing outside
   * holds its objects; they get frozen). A definition parsed from the caller's objects may share
   * them with the caller (parsing keeps unknown values as they are), so it is used unshared.
   */
  share(text: string, compiled: CompiledPipeline, owned: boolean): LoadedPipeline {
    if (this.entries.has(text)) return this.get(text);
    return owned ? this.add(text, compiled) : { compiled, definition: text };
  }

  /** Whether `resume` should skip this execution now: it failed to load and its backoff has not passed. */
  isDeferred(executionId: string): boolean {
    const entry = this.unloadable.get(executionId);
    return entry !== undefined && this.options.clock.now() < entry.retryAt;
  }

  /** Forgets load failures of executions not in `activeIds` (ended, or deleted). */
  retainFailures(activeIds: ReadonlySet<string>): void {
    for (const id of this.unloadable.keys()) if (!activeIds.has(id)) this.unloadable.delete(id);
  }

  private add(text: string, compiled: CompiledPipeline): LoadedPipeline {
    const loaded: LoadedPipeline = { compiled: freezeCompiledPipeline(compiled), definition: text };
    this.entries.set(text, loaded);
    this.chars += text.length;
    for (const key of this.entries.keys()) {
      if (this.entries.size <= 1 || (this.entries.size <= this.maxEntries && this.chars <= this.maxChars)) break;
      this.entries.delete(key);
      this.chars -= key.length;
    }
    return loaded;
  }

  private failed(record: ExecutionRecord, err: unknown): OrchestratorError {
    const previous = this.unloadable.get(record.id);
    const failures = (previous?.failures ?? 0) + 1;
    const delayMs = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(failures - 1, 30));
    this.unloadable.set(record.id, { failures, retryAt: this.options.clock.now() + delayMs });
    const { code, reason, details } = unloadableFacts(record, err);
    const error = new OrchestratorError(
      code,
      `Execution ${record.id} (pipeline "${record.pipelineName}" version ${record.pipelineVersion}) cannot be loaded: its stored definition does not parse or compile with this version of Cairn, so nothing drives it. ${reason}`,
      {
        cause: err,
        fix: `run this scheduler on the Cairn version that started the execution (a newer one, if the definition uses what this one lacks); its status is left as it is (${record.status}), and it is tried again in ${Math.round(delayMs / 1000)} s or at once with resumeExecution("${record.id}").`,
        details,
      },
    );
    const fields = { err: error, executionId: record.id, pipelineName: record.pipelineName, failures, retryInMs: delayMs };
    if (failures === 1) this.options.logger.error(fields, 'execution cannot be loaded; resume leaves it undriven and tries it again after retryInMs');
    else this.options.logger.debug(fields, 'execution still cannot be loaded');
    return error;
  }
}

/** What a definition that did not load is reported with: the error code, the reason as text, the details naming the execution. */
function unloadableFacts(record: ExecutionRecord, err: unknown): { code: ErrorCode; reason: string; details: Record<string, unknown> } {
  return {
    code: err instanceof DefinitionError ? err.code : ErrorCode.DefinitionInvalid,
    reason: err instanceof Error ? err.message : String(err),
    details: { executionId: record.id, pipelineName: record.pipelineName, pipelineVersion: record.pipelineVersion, ...(err instanceof DefinitionError ? { issues: err.issues } : {}) },
  };
}

/** Deep-freezes what executions share of a compiled pipeline: the definition, its steps and their edges. */
function freezeCompiledPipeline(compiled: CompiledPipeline): CompiledPipeline {
  if (Object.isFrozen(compiled)) return compiled;
  deepFreeze(compiled.definition);
  for (const step of compiled.steps.values()) deepFreeze(step);
  deepFreeze(compiled.order);
  deepFreeze(compiled.waves);
  return Object.freeze(compiled);
}

function deepFreeze(root: unknown): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null || Object.isFrozen(value)) continue;
    Object.freeze(value);
    for (const child of Object.values(value)) stack.push(child);
  }
}
