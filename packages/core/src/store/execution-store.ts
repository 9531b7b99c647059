import type { ParameterValue } from '../definition/parameters.js';
import type { StepType } from '../definition/steps.js';
import type { SerializedError } from '../errors.js';
import type { JsonObject } from '../json.js';
import type { ExecutionStatus, StepStatus } from '../scheduler/status.js';

/**
 * Persistence contract for pipelines, executions, step executions, cache lookups and callback
 * tokens. SQLite (embedded) and PostgreSQL (distributed) implement it; both pass the one contract
 * suite in `@cairn/core/testing`. Times are epoch milliseconds.
 */

/** A stored pipeline version. */
export interface PipelineRecord {
  name: string;
  arn: string;
  /** 1, 2, 3 … a new version whenever the definition (or settings) change. */
  version: number;
  /** The definition as a JSON string, exactly as given. */
  definition: string;
  description?: string;
  displayName?: string;
  roleArn?: string;
  maxParallelExecutionSteps?: number;
  createdAt: number;
  updatedAt: number;
}

/** Input of `putPipeline`. */
export interface PutPipelineInput {
  name: string;
  definition: string;
  description?: string;
  displayName?: string;
  roleArn?: string;
  maxParallelExecutionSteps?: number;
}

/** A stored execution (SageMaker's DescribePipelineExecution, plus what the engine needs). */
export interface ExecutionRecord {
  /** 12 lowercase alphanumerics; the last segment of the ARN. */
  id: string;
  arn: string;
  pipelineName: string;
  pipelineArn: string;
  pipelineVersion: number;
  /** Definition snapshot this execution runs (frozen at start). */
  definition: string;
  status: ExecutionStatus;
  displayName?: string;
  description?: string;
  /** Every declared parameter with its effective, type-converted value. */
  parameters: Record<string, ParameterValue>;
  maxParallelExecutionSteps?: number;
  /** `SelectiveExecutionConfig` as given at start. */
  selectiveExecution?: { sourceExecutionId?: string; selectedSteps: string[] };
  failureReason?: string;
  /** Which runtime drives it: 'embedded' or 'distributed'. */
  runtime: string;
  createdAt: number;
  updatedAt: number;
  endedAt?: number;
  /** Compare-and-set counter, incremented by every update. */
  version: number;
}

/** A step of an execution (SageMaker's ListPipelineExecutionSteps item, plus engine state). */
export interface StepExecutionRecord {
  executionId: string;
  stepName: string;
  stepType: StepType;
  status: StepStatus;
  /** 1-based current attempt (`AttemptCount`). */
  attempt: number;
  displayName?: string;
  description?: string;
  /** When the first attempt started (for `ExpireAfterMin`). */
  startTime?: number;
  endTime?: number;
  failureReason?: string;
  /** The last error, as data (drives retry-policy matching). */
  error?: SerializedError;
  /** ListPipelineExecutionSteps `Metadata`. */
  metadata?: JsonObject;
  /** The step's properties (Describe* shape) once it succeeded. */
  properties?: JsonObject;
  /** Resolved arguments of the current attempt. */
  resolvedArguments?: JsonObject;
  /** Cache key of the current attempt, when caching is enabled. */
  cacheKey?: string;
  /** Set on a cache hit: where the result came from, and why it matched. */
  cacheHit?: { sourceExecutionArn: string; sourceExecutionId: string; reason: string };
  /** Set on steps reused by selective execution or retry. */
  selectiveSource?: { sourceExecutionArn: string };
  /** Which executor ran it, and its handle (for poll/stop after a restart). */
  executorId?: string;
  handle?: JsonObject;
  /** Earliest time the next attempt may start (retry backoff). */
  notBefore?: number;
  /** Where the attempt's logs are (local executor). */
  logPath?: string;
  updatedAt: number;
  /** Compare-and-set counter. */
  version: number;
}

/** Filter for `listExecutions`. */
export interface ExecutionFilter {
  pipelineName?: string;
  status?: ExecutionStatus;
  /** Newest first; default 100. */
  limit?: number;
}

/** A cached step result found by `findCacheHit`. */
export interface CacheHit {
  executionId: string;
  executionArn: string;
  stepName: string;
  properties: JsonObject;
  metadata?: JsonObject;
  endTime: number;
}

/** A stored callback token (only its hash is kept). */
export interface CallbackTokenRecord {
  tokenHash: string;
  executionId: string;
  stepName: string;
  attempt: number;
  /** Declared output parameters of the Callback step. */
  outputParameters: { OutputName: string; OutputType?: string }[];
  createdAt: number;
  redeemedAt?: number;
  /** 'succeeded' | 'failed' once redeemed. */
  outcome?: 'succeeded' | 'failed';
  /** Output parameters sent with success (string values, converted by the engine per `OutputType`). */
  outputs?: { Name: string; Value: string }[];
  /** Failure reason sent with failure. */
  failureReason?: string;
}

/** An update of one execution in a `StoreBatch`; every patch increments the execution's `version`. */
export interface ExecutionPatch {
  id: string;
  /** Fields to change; `undefined` values clear optional fields. */
  patch: Partial<Omit<ExecutionRecord, 'id' | 'version'>>;
  /** Makes the patch a compare-and-set on the execution's stored `version`. */
  expectedVersion?: number;
}

/**
 * One atomic write, in one transaction: step upserts plus execution updates, possibly of several
 * executions (the coordinator commits every execution's decisions of a tick together).
 */
export interface StoreBatch {
  /** Full step records to insert or replace. `version` must be the stored version + 1 (or 1 for new). */
  steps?: StepExecutionRecord[];
  /** Execution updates, applied in order (an execution listed twice sees its first patch's version). */
  executions?: ExecutionPatch[];
  /**
   * Makes the batch conditional on a fence (see `ExecutionStore.advanceFence`): it applies only while
   * the stored term of `name` is `term`, else nothing of it is applied and `commit` throws `FENCED`.
   */
  fence?: StoreFence;
}

/** A fencing token: the term a process got from `advanceFence(name)` when it took over. */
export interface StoreFence {
  name: string;
  term: number;
}

/** Persistence of pipelines, executions and steps. */
export interface ExecutionStore {
  /** Creates the pipeline, or a new version when the definition or settings differ; returns the latest version. */
  putPipeline(input: PutPipelineInput): Promise<PipelineRecord>;
  /** The latest version, or a given one. */
  getPipeline(name: string, version?: number): Promise<PipelineRecord | undefined>;
  listPipelines(): Promise<PipelineRecord[]>;

  createExecution(record: ExecutionRecord): Promise<void>;
  getExecution(id: string): Promise<ExecutionRecord | undefined>;
  /** Newest first. */
  listExecutions(filter?: ExecutionFilter): Promise<ExecutionRecord[]>;
  /** Executions not in a terminal status (for reconcilers and resume). */
  listActiveExecutions(): Promise<ExecutionRecord[]>;

  /** All steps recorded for an execution, in no particular order. */
  listStepExecutions(executionId: string): Promise<StepExecutionRecord[]>;
  getStepExecution(executionId: string, stepName: string): Promise<StepExecutionRecord | undefined>;

  /**
   * Applies a batch atomically. Throws `STORE_CONFLICT` when a version check fails (another
   * writer got there first), `EXECUTION_NOT_FOUND` for a patch of an unknown execution and
   * `FENCED` when `batch.fence` names a term that is no longer current; nothing of the batch (of
   * any execution in it) is applied then.
   */
  commit(batch: StoreBatch): Promise<void>;

  /**
   * Starts a new term of the fence `name` (1 for a new fence, else the stored term + 1) and returns
   * it. From then on a commit fenced with an older term throws `FENCED`; a fenced commit in flight
   * either commits before the new term is stored or is refused. A process that takes over work
   * (a new scheduler leader) calls it before it reads the state it will act on.
   */
  advanceFence(name: string): Promise<number>;

  /**
   * The most recent successful run of `stepName` in `pipelineName` with this cache key that ended
   * at or after `notBefore`; never a failed run.
   */
  findCacheHit(query: { pipelineName: string; stepName: string; cacheKey: string; notBefore: number }): Promise<CacheHit | undefined>;

  putCallbackToken(record: CallbackTokenRecord): Promise<void>;
  /**
   * Atomically marks the token redeemed with `outcome` (and its outputs or failure reason) and
   * returns the updated record; `undefined` if the token is unknown or was already redeemed.
   */
  redeemCallbackToken(
    tokenHash: string,
    redemption: { outcome: 'succeeded' | 'failed'; at: number; outputs?: { Name: string; Value: string }[]; failureReason?: string },
  ): Promise<CallbackTokenRecord | undefined>;
  getCallbackToken(tokenHash: string): Promise<CallbackTokenRecord | undefined>;
  /**
   * The tokens made for one attempt of a step, oldest first. An attempt has more than one when its
   * Callback step was started again after a crash between sending a message and recording its
   * handle: the consumer may redeem any of them.
   */
  listCallbackTokens(query: { executionId: string; stepName: string; attempt: number }): Promise<CallbackTokenRecord[]>;

  close(): Promise<void>;
}
