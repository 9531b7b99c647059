import type { Logger } from 'pino';
import type { ArtifactStore } from '../artifacts.js';
import type { Clock } from '../clock.js';
import type { CompiledPipeline, CompiledStep } from '../compile/types.js';
import type { Step } from '../definition/steps.js';
import { ErrorCode, OrchestratorError, toSerializedError, type SerializedError } from '../errors.js';
import type { JobState, StepRequest } from '../executor.js';
import { evaluateConditions } from '../expressions/conditions.js';
import { hasExpressions, resolveValue, type ResolveContext } from '../expressions/resolve.js';
import type { JsonObject, JsonValue } from '../json.js';
import { cacheKey, parseExpireAfter } from '../scheduler/cache-key.js';
import { decideRetry } from '../scheduler/retry-policy.js';
import {
  isTerminalStepStatus,
  nextExecutionStatus,
  nextStepStatus,
  type ExecutionEvent,
  type StepEvent,
} from '../scheduler/status.js';
import { StepScheduler } from '../scheduler/step-scheduler.js';
import type { ExecutionPatch, ExecutionRecord, StepExecutionRecord, StoreBatch, StoreFence } from '../store/execution-store.js';
import type { CairnStore } from '../store/store.js';
import { jobNameFor } from './job-name.js';
import { excludedBySelection } from './selective-execution.js';
import { deriveStepMetadata } from './step-metadata.js';
import type { ExecutionObserver, RuntimeEvent, StepDispatcher, StepWork } from './types.js';

/** The execution-level failure reason SageMaker reports when a step failed (reference §8.9). */
export const STEP_FAILURE_REASON = 'Step failure: One or multiple steps failed';

/** Step-level keys that are not resolved and sent as `StepRequest.stepFields`. */
const NON_FIELD_KEYS = new Set(['Name', 'Type', 'Arguments', 'DependsOn', 'DisplayName', 'Description', 'CacheConfig', 'RetryPolicies', 'PropertyFiles']);

/** Options of the coordinator. */
export interface CoordinatorOptions {
  store: CairnStore;
  artifacts: ArtifactStore;
  dispatcher: StepDispatcher;
  logger: Logger;
  clock: Clock;
  observers?: readonly ExecutionObserver[];
  /** Called for every committed status change. */
  onEvent?: (event: RuntimeEvent) => void;
  /**
   * Step records one group commit carries at most; the rest of the tick's changes go in the next
   * commit (one execution's changes are never split across commits). @defaultValue 2_000
   */
  maxCommitSteps?: number;
  /**
   * Attempts one execution launches per commit: when more steps become ready at once (a wide
   * fan-out), the rest are launched after that commit, so the first jobs are dispatched after a
   * commit of this many records instead of after one of all of them. @defaultValue 1_000
   */
  maxLaunchesPerCommit?: number;
  /**
   * On resume, re-dispatch an in-flight attempt that has no handle yet as the same attempt instead
   * of starting a new one: right when its job may still be queued or running elsewhere (the
   * distributed runtime, whose dispatches are idempotent per attempt). @defaultValue false
   */
  redispatchUnstarted?: boolean;
  /**
   * A fencing token (`store.advanceFence`) every commit of this coordinator carries. When the store
   * refuses one (`FENCED`: another process advanced the fence, so it drives these executions now),
   * the coordinator stops driving every execution at once: nothing of the refused commit is
   * dispatched, no later commit is made, and `onFenced` is called.
   */
  fence?: StoreFence;
  /** Called once, with the `FENCED` error, after a fenced coordinator stopped (see `fence`). */
  onFenced?: (err: OrchestratorError) => void;
}

/** How a step of a new or retried execution starts out. */
export interface StartPlan {
  /** Records copied from another execution (selective execution), written before anything runs. */
  reused?: StepExecutionRecord[];
  /** Steps that never run. */
  excluded?: readonly string[];
}

/** Per-step facts, computed once per compiled pipeline and shared by its executions (frozen). */
interface StepInfo {
  compiled: CompiledStep;
  /** Step-level values beside `Arguments`, unresolved. */
  fields: Record<string, unknown>;
  /** Whether `Arguments` or step-level fields contain expressions (else they are used as is). */
  dynamic: boolean;
  /** Nothing to resolve or look up (no expressions, not Condition or Fail, no cache): starts in the tick it is ready. */
  immediate: boolean;
}

/** The in-memory view of one execution the coordinator drives. */
interface LiveExecution {
  record: ExecutionRecord;
  info: ReadonlyMap<string, StepInfo>;
  scheduler: StepScheduler;
  steps: Map<string, StepExecutionRecord>;
  requests: Map<string, StepRequest>;
  /** Steps whose attempt is decided but not committed yet: dispatched after the commit, never before (not even again). */
  uncommitted: Set<string>;
  resolve: Omit<ResolveContext, 'current'>;
  /** Write-ahead buffer: records and the execution patch of the next commit, and what to do after it. */
  dirty: Map<string, StepExecutionRecord>;
  patch: Partial<ExecutionRecord> | undefined;
  after: (() => void)[];
  /** Resolves `true` once the next commit is made (shared by every result reported before it). */
  committed: Promise<boolean> | undefined;
  /** Settles the `reportResult` promises not yet resolved by a commit (`false` when the execution is abandoned). */
  resultWaiters: Set<(accepted: boolean) => void>;
  /** While `PipelineExperimentConfig` is being resolved (steps may read it); undefined once it is. */
  experimentReady: Promise<void> | undefined;
  timers: Map<string, NodeJS.Timeout>;
  /** Attempts launched into the write-ahead buffer since it was last taken for a commit. */
  launchedThisCommit: number;
  /** Whether launching the steps still ready is queued after the next commit. */
  resumeQueued: boolean;
  stopRequested: boolean;
  failReason: string | undefined;
  finished: boolean;
  waiters: { resolve: (record: ExecutionRecord) => void; reject: (err: Error) => void }[];
}

/**
 * Owns executions: keeps an in-memory view rebuilt from the store, decides with `StepScheduler`,
 * moves every status through the one transition table and writes each decision to the store
 * (write-ahead: dispatch happens only after the commit). What every execution decided in one tick
 * goes to the store in one group commit (one transaction), so many concurrent executions cost a
 * few commits per tick, not one each. Both runtimes use it; only the `StepDispatcher` differs.
 *
 * Step states (`scheduler/status.ts`): Starting → Executing → Succeeded | Failed, Starting →
 * Starting on a retry (attempt + 1), Starting/Executing → Stopping → Stopped on stop; cache hits,
 * Condition and Fail steps go Starting → Succeeded/Failed in one write. Execution: Executing →
 * Succeeded | Failed (after running steps finish) | Stopping → Stopped; Failed/Stopped → Executing
 * on retry.
 */
export class Coordinator {
  private readonly live = new Map<string, LiveExecution>();
  /** Executions with changes (or `after` actions) waiting for the next group commit, oldest first. */
  private readonly pending = new Set<LiveExecution>();
  private flushScheduled = false;
  private flushing = false;
  private readonly maxCommitSteps: number;
  private readonly maxLaunchesPerCommit: number;
  /** Set once a commit was refused as fenced: this coordinator no longer acts. */
  private fenced: OrchestratorError | undefined;

  constructor(private readonly options: CoordinatorOptions) {
    this.maxCommitSteps = options.maxCommitSteps ?? DEFAULT_MAX_COMMIT_STEPS;
    this.maxLaunchesPerCommit = Math.max(1, options.maxLaunchesPerCommit ?? DEFAULT_MAX_LAUNCHES_PER_COMMIT);
  }

  /** Ids of the executions this coordinator drives. */
  get executionIds(): string[] {
    return [...this.live.keys()];
  }

  /** Whether this coordinator drives the execution. */
  drives(executionId: string): boolean {
    return this.live.has(executionId);
  }

  /** Starts driving a freshly created execution (`record` is already stored). */
  start(record: ExecutionRecord, compiled: CompiledPipeline, plan: StartPlan = {}): void {
    this.assertNotFenced();
    const live = this.open(record, compiled);
    const reused = new Map<string, boolean | undefined>();
    for (const r of plan.reused ?? []) {
      const copy: StepExecutionRecord = { ...r, executionId: record.id, version: 0, updatedAt: this.now(), selectiveSource: { sourceExecutionArn: sourceArn(record, r.executionId) } };
      delete copy.cacheHit;
      live.steps.set(r.stepName, copy);
      this.markDirty(live, copy);
      reused.set(r.stepName, outcomeOf(copy));
    }
    live.scheduler.restore(reused, [], plan.excluded ?? []);
    this.pump(live);
  }

  /** Retries a Failed or Stopped execution in place: succeeded steps are kept, the rest run again. */
  async retry(record: ExecutionRecord, compiled: CompiledPipeline): Promise<void> {
    this.assertNotFenced();
    if (this.live.has(record.id)) {
      throw new OrchestratorError(ErrorCode.ExecutionNotRetryable, `Execution ${record.id} is still running.`, { fix: 'wait until it ends, then retry it.' });
    }
    const records = await this.options.store.listStepExecutions(record.id);
    const failStep = records.find((r) => r.stepType === 'Fail' && r.status === 'Failed');
    if (failStep || (record.status !== 'Failed' && record.status !== 'Stopped')) {
      throw new OrchestratorError(
        ErrorCode.ExecutionNotRetryable,
        failStep ? `Execution ${record.id} ended at Fail step "${failStep.stepName}" and cannot be retried.` : `Execution ${record.id} is ${record.status}; only Failed or Stopped executions can be retried.`,
        { fix: failStep ? 'start a new execution instead.' : 'wait until it ends, or start a new execution.' },
      );
    }
    const patch: Partial<ExecutionRecord> = { status: nextExecutionStatus(record.status, 'retry'), updatedAt: this.now() };
    Object.assign(patch, { failureReason: undefined, endedAt: undefined });
    // Compare-and-set: of two processes retrying the same execution, one gets STORE_CONFLICT.
    try {
      await this.options.store.commit({ executions: [{ id: record.id, patch, expectedVersion: record.version }], ...this.fenceOfBatch() });
    } catch (err) {
      if (isFenced(err)) this.stopFenced(err);
      throw err;
    }
    this.assertNotFenced();
    const live = this.open({ ...record, ...patch, version: record.version + 1 }, compiled, records);
    this.options.onEvent?.({ type: 'execution', execution: { ...live.record } });
    live.scheduler.restore(succeededSteps(records), [], excludedOf(record, compiled));
    this.pump(live);
  }

  /**
   * Resumes an active execution after a restart: succeeded steps stand, in-flight attempts are
   * re-dispatched with their stored handle (or start a new attempt when they have none), retries
   * wait out their remaining backoff, and a pending stop is carried out.
   */
  async resume(record: ExecutionRecord, compiled: CompiledPipeline): Promise<void> {
    this.assertNotFenced();
    if (this.live.has(record.id)) return;
    const records = await this.options.store.listStepExecutions(record.id);
    this.assertNotFenced();
    if (this.live.has(record.id)) return;
    const live = this.open(record, compiled, records);
    const inFlight = records.filter((r) => !isTerminalStepStatus(r.status));
    if (this.options.observers?.length) {
      const finished = records.filter((r) => isTerminalStepStatus(r.status));
      this.notify(live, (o) => o.onExecutionResumed?.(live.record, finished));
    }
    live.scheduler.restore(succeededSteps(records), inFlight.map((r) => r.stepName), excludedOf(record, compiled));
    if (records.some((r) => r.status === 'Failed' || r.status === 'Stopped')) live.scheduler.halt();
    live.failReason = records.find((r) => r.stepType === 'Fail' && r.status === 'Failed')?.failureReason;
    const fields = await this.resolveFieldsOf(live, inFlight);
    for (const r of inFlight) this.redispatch(live, r, fields.get(r.stepName));
    if (record.status === 'Stopping') {
      live.stopRequested = true;
      this.stopRunning(live, true);
    }
    this.pump(live);
  }

  /**
   * Dispatches every in-flight attempt of a driven execution again, as the same attempt (with its
   * handle when it has one); for dispatchers that make a duplicate dispatch a no-op, this rebuilds
   * lost work (the distributed reconciler). Returns how many attempts were dispatched.
   */
  redispatchInFlight(executionId: string): number {
    const live = this.live.get(executionId);
    if (!live || live.finished) return 0;
    let count = 0;
    for (const rec of live.steps.values()) {
      const request = live.requests.get(rec.stepName);
      if (isTerminalStepStatus(rec.status) || live.timers.has(rec.stepName) || !request || live.uncommitted.has(rec.stepName)) continue;
      this.options.dispatcher.dispatch(this.workFor(live, rec, request));
      count++;
    }
    return count;
  }

  /** Resolves with the terminal record of an execution this coordinator drives. */
  waitFor(executionId: string): Promise<ExecutionRecord> | undefined {
    const live = this.live.get(executionId);
    if (!live) return undefined;
    return new Promise((resolve, reject) => live.waiters.push({ resolve, reject }));
  }

  /** Stops an execution: running steps are stopped, the execution ends Stopped. No-op when not driven here. */
  requestStop(executionId: string): boolean {
    const live = this.live.get(executionId);
    if (!live || live.finished) return false;
    if (live.record.status === 'Executing') this.patchExecution(live, { status: nextExecutionStatus(live.record.status, 'stop') });
    live.stopRequested = true;
    live.scheduler.halt();
    this.stopRunning(live);
    this.checkSettled(live);
    return true;
  }

  /**
   * Takes a result for a dispatched attempt. Returns `false` (and changes nothing) for an unknown
   * execution or step, a stale attempt or a step already in a terminal status, so duplicates are
   * harmless; otherwise resolves `true` once the consequence is committed, or `false` if the
   * execution is abandoned first (a failed store write: the result was not recorded).
   */
  reportResult(executionId: string, stepName: string, attempt: number, state: JobState): Promise<boolean> {
    const live = this.live.get(executionId);
    const rec = live?.steps.get(stepName);
    if (!live || !rec || rec.attempt !== attempt || isTerminalStepStatus(rec.status) || live.timers.has(stepName)) return Promise.resolve(false);
    switch (state.state) {
      case 'running':
        if (rec.status === 'Starting') this.transition(live, rec, 'started', {});
        if (state.handle) Object.assign(rec, { handle: state.handle });
        this.markDirty(live, rec);
        break;
      case 'succeeded':
        this.succeed(live, rec, state.properties, state.metadata ?? deriveStepMetadata(rec.stepType, state.properties));
        break;
      case 'failed':
        this.attemptFailed(live, rec, state.error, state.metadata);
        break;
      case 'stopped':
        this.finishStep(live, rec, 'stopped', {});
        live.scheduler.stopped(stepName);
        break;
    }
    this.pump(live);
    return (live.committed ??= new Promise((resolve) => {
      const settle = (accepted: boolean) => {
        live.resultWaiters.delete(settle);
        resolve(accepted);
      };
      live.resultWaiters.add(settle);
      live.after.push(() => settle(true));
    }));
  }

  /** Stops driving every execution (timers cleared); their state stays in the store for `resume`. */
  close(): void {
    for (const live of this.live.values()) for (const t of live.timers.values()) clearTimeout(t);
    this.live.clear();
  }

  // ---- set-up -------------------------------------------------------------------------------

  private open(record: ExecutionRecord, compiled: CompiledPipeline, records: StepExecutionRecord[] = []): LiveExecution {
    const info = stepInfoOf(compiled);
    const steps = new Map(records.map((r) => [r.stepName, r]));
    const definition = compiled.definition;
    const live: LiveExecution = {
      record,
      info,
      scheduler: new StepScheduler(compiled.order.map((n) => compiled.steps.get(n)!), record.maxParallelExecutionSteps),
      steps,
      requests: new Map(),
      uncommitted: new Set(),
      resolve: {
        parameters: record.parameters,
        execution: { executionId: record.id, executionArn: record.arn, pipelineName: record.pipelineName, pipelineArn: record.pipelineArn, startTime: record.createdAt },
        experiment: undefined,
        step: (name) => {
          const cs = compiled.steps.get(name);
          const r = steps.get(name);
          return cs && { step: cs.step, properties: r?.status === 'Succeeded' ? r.properties : undefined };
        },
        artifacts: this.options.artifacts,
        clock: this.options.clock,
      },
      dirty: new Map(),
      patch: undefined,
      after: [],
      committed: undefined,
      resultWaiters: new Set(),
      experimentReady: undefined,
      timers: new Map(),
      launchedThisCommit: 0,
      resumeQueued: false,
      stopRequested: record.status === 'Stopping',
      failReason: undefined,
      finished: false,
      waiters: [],
    };
    if (definition.PipelineExperimentConfig !== null) {
      live.resolve.experiment = { ExperimentName: record.pipelineName, TrialName: record.id };
      const config = definition.PipelineExperimentConfig;
      if (config) {
        // Experiment names may be expressions over parameters and execution variables.
        live.experimentReady = resolveValue(config, { ...live.resolve })
          .then(
            (v) => void Object.assign(live.resolve.experiment!, v),
            (err: unknown) => this.options.logger.warn({ err, executionId: record.id }, 'PipelineExperimentConfig could not be resolved'),
          )
          .finally(() => (live.experimentReady = undefined));
      }
    }
    this.live.set(record.id, live);
    return live;
  }

  // ---- scheduling ---------------------------------------------------------------------------

  /**
   * Launches the steps the scheduler says are ready, up to `maxLaunchesPerCommit` per commit; the
   * rest stay ready in the scheduler and are launched once that commit is made (write-ahead still
   * holds: each dispatch follows the commit of its own record).
   */
  private pump(live: LiveExecution): void {
    if (live.finished) return;
    const names = live.scheduler.takeReady(this.maxLaunchesPerCommit - live.launchedThisCommit);
    live.launchedThisCommit += names.length;
    for (const name of names) this.startLaunch(live, name);
    if (!live.finished && !live.resumeQueued && live.scheduler.canStart) {
      live.resumeQueued = true;
      live.after.push(() => {
        live.resumeQueued = false;
        this.pump(live);
      });
      this.queueFlush(live);
    }
    this.checkSettled(live);
  }

  /**
   * Launches one attempt of a step: at once when it has nothing to resolve (the hot path), else
   * after resolving (expressions, Condition, Fail, cache lookup). An unexpected error (a bug, not
   * a step failure) stops driving the execution.
   */
  private startLaunch(live: LiveExecution, name: string): void {
    try {
      const info = live.info.get(name)!;
      const previous = live.steps.get(name);
      const attempt = previous ? (isTerminalStepStatus(previous.status) ? previous.attempt + 1 : previous.attempt) : 1;
      const jobName = jobNameFor(live.record.id, name, attempt, info.compiled.step.Type);
      if (info.immediate && !live.experimentReady) this.begin(live, info, previous, attempt, { kind: 'dispatch', request: requestOf(info, info.compiled.step.Arguments as JsonObject, info.fields as JsonObject, jobName) });
      else this.launch(live, info, previous, attempt, jobName).catch((err: unknown) => this.internalError(live, name, err));
    } catch (err) {
      this.internalError(live, name, err);
    }
  }

  private internalError(live: LiveExecution, name: string, err: unknown): void {
    this.options.logger.error({ err, executionId: live.record.id, step: name }, 'internal error while starting a step; the execution is no longer driven by this process (resume it)');
    this.abandon(live, err);
  }

  /** Resolves what an attempt needs (Condition/Fail/cache/expressions), then begins it. */
  private async launch(live: LiveExecution, info: StepInfo, previous: StepExecutionRecord | undefined, attempt: number, jobName: string): Promise<void> {
    let outcome: Prepared;
    try {
      await live.experimentReady;
      outcome = await this.prepare(live, info, jobName);
    } catch (err) {
      outcome = { kind: 'failed', error: toSerializedError(err) };
    }
    this.begin(live, info, previous, attempt, outcome);
  }

  /** Records the attempt and acts on what was decided for it, unless the execution ended or halted meanwhile. */
  private begin(live: LiveExecution, info: StepInfo, previous: StepExecutionRecord | undefined, attempt: number, outcome: Prepared): void {
    if (live.finished) return;
    const step = info.compiled.step;
    if (live.scheduler.isHalted && !previous?.notBefore) {
      live.scheduler.release(step.Name);
      this.checkSettled(live);
      return;
    }
    const rec = this.startRecord(live, step.Name, step, attempt, previous);
    this.apply(live, rec, outcome);
    this.pump(live);
  }

  private async prepare(live: LiveExecution, info: StepInfo, jobName: string): Promise<Prepared> {
    const { dynamic } = info;
    const step = info.compiled.step;
    const ctx: ResolveContext = { ...live.resolve, current: { stepType: step.Type, jobName } };
    if (step.Type === 'Condition') {
      const outcome = await evaluateConditions(step.Arguments.Conditions, (operand, path) => resolveValue(operand, ctx, path));
      return { kind: 'condition', outcome };
    }
    if (step.Type === 'Fail') {
      const message = step.Arguments.ErrorMessage === undefined ? '' : await resolveValue(step.Arguments.ErrorMessage, ctx, 'Arguments.ErrorMessage');
      return { kind: 'fail', message: typeof message === 'string' ? message : JSON.stringify(message) };
    }
    const args = (dynamic ? await resolveValue(step.Arguments, ctx, 'Arguments') : step.Arguments) as JsonObject;
    const fields = (dynamic ? await resolveValue(info.fields, ctx) : info.fields) as JsonObject;
    const request = requestOf(info, args, fields, jobName);
    const cache = 'CacheConfig' in step ? step.CacheConfig : undefined;
    if (!cache?.Enabled) return { kind: 'dispatch', request };
    const key = cacheKey(step.Type, args, fields);
    const expireMs = cache.ExpireAfter === undefined ? undefined : parseExpireAfter(cache.ExpireAfter);
    if (cache.ExpireAfter !== undefined && expireMs === undefined) {
      this.options.logger.warn({ step: step.Name, expireAfter: cache.ExpireAfter }, 'CacheConfig.ExpireAfter is not an ISO-8601 duration; caching skipped');
      return { kind: 'dispatch', request, cacheKey: key };
    }
    const notBefore = expireMs === undefined ? 0 : this.now() - expireMs;
    const hit = await this.options.store.findCacheHit({ pipelineName: live.record.pipelineName, stepName: step.Name, cacheKey: key, notBefore });
    if (!hit || hit.executionId === live.record.id) return { kind: 'dispatch', request, cacheKey: key };
    const reason = `Cache key ${key.slice(0, 12)}… matched the run of execution ${hit.executionId} that ended ${new Date(hit.endTime).toISOString()}${cache.ExpireAfter ? `, within ExpireAfter ${cache.ExpireAfter}` : ''}.`;
    return { kind: 'cached', request, cacheKey: key, hit: { ...hit, reason } };
  }

  /** The record of a new attempt: a fresh Starting record, or the one waiting for its retry. */
  private startRecord(live: LiveExecution, name: string, step: Step, attempt: number, previous: StepExecutionRecord | undefined): StepExecutionRecord {
    const now = this.now();
    if (previous && !isTerminalStepStatus(previous.status)) {
      delete previous.notBefore;
      return previous;
    }
    const rec: StepExecutionRecord = {
      executionId: live.record.id,
      stepName: name,
      stepType: step.Type,
      status: 'Starting',
      attempt,
      startTime: now,
      updatedAt: now,
      version: previous?.version ?? 0,
      ...(step.DisplayName ? { displayName: step.DisplayName } : {}),
      ...(step.Description ? { description: step.Description } : {}),
    };
    live.steps.set(name, rec);
    return rec;
  }

  private apply(live: LiveExecution, rec: StepExecutionRecord, p: Prepared): void {
    switch (p.kind) {
      case 'condition': {
        const outcome = p.outcome ? 'True' : 'False';
        this.finishStep(live, rec, 'succeeded', { properties: { Outcome: p.outcome }, metadata: { Condition: { Outcome: outcome } } });
        live.scheduler.succeeded(rec.stepName, p.outcome);
        return;
      }
      case 'fail':
        live.failReason = p.message;
        this.finishStep(live, rec, 'failed', { failureReason: p.message, metadata: { Fail: { ErrorMessage: p.message } } });
        live.scheduler.failed(rec.stepName);
        return;
      case 'failed':
        this.finishStep(live, rec, 'failed', { failureReason: p.error.message, error: p.error });
        live.scheduler.failed(rec.stepName);
        return;
      case 'cached': {
        const { hit } = p;
        const metadata = { ...(hit.metadata ?? deriveStepMetadata(rec.stepType, hit.properties)), CacheHit: { SourcePipelineExecutionArn: hit.executionArn, Reason: hit.reason } };
        this.finishStep(live, rec, 'succeeded', {
          resolvedArguments: p.request.arguments,
          cacheKey: p.cacheKey,
          cacheHit: { sourceExecutionArn: hit.executionArn, sourceExecutionId: hit.executionId, reason: hit.reason },
          properties: hit.properties,
          metadata,
        });
        live.scheduler.succeeded(rec.stepName);
        return;
      }
      case 'dispatch': {
        live.requests.set(rec.stepName, p.request);
        rec.resolvedArguments = p.request.arguments;
        rec.updatedAt = this.now();
        if (p.cacheKey) rec.cacheKey = p.cacheKey;
        if (rec.handle) delete rec.handle;
        this.markDirty(live, rec);
        const work = this.workFor(live, rec, p.request);
        this.dispatchAfterCommit(live, rec.stepName, () => work);
      }
    }
  }

  /** Dispatches a step's attempt once the next commit is made; until then `redispatchInFlight` leaves it alone. */
  private dispatchAfterCommit(live: LiveExecution, stepName: string, work: () => StepWork): void {
    live.uncommitted.add(stepName);
    live.after.push(() => {
      live.uncommitted.delete(stepName);
      this.options.dispatcher.dispatch(work());
    });
  }

  private workFor(live: LiveExecution, rec: StepExecutionRecord, request: StepRequest): StepWork {
    const { id, arn, pipelineName } = live.record;
    return { executionId: id, executionArn: arn, pipelineName, stepName: rec.stepName, stepType: rec.stepType, attempt: rec.attempt, request, ...(rec.handle ? { handle: rec.handle } : {}) };
  }

  /** After a restart: resume an in-flight attempt by its handle, or start a new one. */
  /**
   * Step-level fields of in-flight attempts, resolved again after a restart (only arguments are
   * stored); a field that no longer resolves is passed unresolved.
   */
  private async resolveFieldsOf(live: LiveExecution, records: readonly StepExecutionRecord[]): Promise<Map<string, JsonObject>> {
    const out = new Map<string, JsonObject>();
    await live.experimentReady;
    for (const rec of records) {
      const info = live.info.get(rec.stepName)!;
      if (!info.dynamic) continue;
      const ctx: ResolveContext = { ...live.resolve, current: { stepType: rec.stepType, jobName: jobNameFor(live.record.id, rec.stepName, rec.attempt, rec.stepType) } };
      const value = await resolveValue(info.fields, ctx).catch(() => info.fields as JsonValue);
      out.set(rec.stepName, value as JsonObject);
    }
    return out;
  }

  private redispatch(live: LiveExecution, rec: StepExecutionRecord, resolvedFields: JsonObject | undefined): void {
    if (rec.status === 'Starting' && rec.notBefore !== undefined) {
      this.scheduleRetry(live, rec.stepName, Math.max(0, rec.notBefore - this.now()));
      return;
    }
    if (rec.resolvedArguments && (rec.handle || (this.options.redispatchUnstarted && rec.status !== 'Stopping'))) {
      const info = live.info.get(rec.stepName)!;
      const fields = resolvedFields ?? info.fields;
      const step = info.compiled.step;
      const request: StepRequest = { step, arguments: rec.resolvedArguments, jobName: jobNameFor(live.record.id, rec.stepName, rec.attempt, step.Type), ...(Object.keys(fields).length ? { stepFields: fields as JsonObject } : {}) };
      live.requests.set(rec.stepName, request);
      this.dispatchAfterCommit(live, rec.stepName, () => this.workFor(live, rec, request));
      this.queueFlush(live);
      return;
    }
    if (rec.status === 'Stopping') {
      this.finishStep(live, rec, 'stopped', {});
      live.scheduler.stopped(rec.stepName);
      return;
    }
    // Never started for sure (no handle): a new attempt, as after a retryable error.
    this.transition(live, rec, 'retry', { attempt: rec.attempt + 1, notBefore: this.now() });
    this.scheduleRetry(live, rec.stepName, 0);
  }

  private attemptFailed(live: LiveExecution, rec: StepExecutionRecord, error: SerializedError, metadata: JsonObject | undefined): void {
    const step = live.info.get(rec.stepName)!.compiled.step;
    const now = this.now();
    const decision = live.stopRequested || rec.status === 'Stopping' ? { retry: false as const } : decideRetry('RetryPolicies' in step ? step.RetryPolicies : undefined, error, rec.attempt, rec.startTime ?? now, now);
    if (decision.retry) {
      this.options.logger.info({ executionId: rec.executionId, step: rec.stepName, attempt: rec.attempt, delayMs: decision.delayMs, err: error }, 'step attempt failed; retrying');
      this.transition(live, rec, 'retry', { attempt: rec.attempt + 1, notBefore: now + decision.delayMs, error, failureReason: error.message });
      this.scheduleRetry(live, rec.stepName, decision.delayMs);
      return;
    }
    this.finishStep(live, rec, 'failed', { failureReason: error.message, error, ...(metadata ? { metadata } : {}) });
    live.scheduler.failed(rec.stepName);
  }

  private scheduleRetry(live: LiveExecution, name: string, delayMs: number): void {
    live.timers.set(
      name,
      setTimeout(() => {
        live.timers.delete(name);
        this.startLaunch(live, name);
      }, delayMs),
    );
  }

  private succeed(live: LiveExecution, rec: StepExecutionRecord, properties: JsonObject, metadata: JsonObject | undefined): void {
    this.finishStep(live, rec, 'succeeded', { properties, ...(metadata ? { metadata } : {}) });
    live.scheduler.succeeded(rec.stepName, outcomeOf(rec));
  }

  /** Stops in-flight steps; `again` also re-sends stop to steps already Stopping (after a restart). */
  private stopRunning(live: LiveExecution, again = false): void {
    for (const rec of live.steps.values()) {
      const resend = again && rec.status === 'Stopping';
      if (rec.status !== 'Starting' && rec.status !== 'Executing' && !resend) continue;
      const timer = live.timers.get(rec.stepName);
      if (timer) {
        clearTimeout(timer);
        live.timers.delete(rec.stepName);
        this.finishStep(live, rec, 'stopped', {});
        live.scheduler.stopped(rec.stepName);
        continue;
      }
      if (!resend) this.transition(live, rec, 'stop', {});
      const ref = { executionId: rec.executionId, stepName: rec.stepName, attempt: rec.attempt, ...(rec.handle ? { handle: rec.handle } : {}) };
      live.after.push(() => this.options.dispatcher.stop(ref));
    }
  }

  private checkSettled(live: LiveExecution): void {
    if (live.finished || !live.scheduler.settled) return;
    live.finished = true;
    const event: ExecutionEvent = live.stopRequested ? 'stopped' : live.scheduler.isHalted ? 'failed' : 'succeeded';
    const status = nextExecutionStatus(live.record.status, event);
    const now = this.now();
    const patch: Partial<ExecutionRecord> = { status, endedAt: now, updatedAt: now };
    if (event === 'failed') patch.failureReason = live.failReason || STEP_FAILURE_REASON;
    this.patchExecution(live, patch);
    live.after.push(() => {
      this.live.delete(live.record.id);
      for (const w of live.waiters) w.resolve(live.record);
      this.notify(live, (o) => o.onExecutionFinished?.(live.record));
    });
  }


  // ---- records and the write-ahead buffer ----------------------------------------------------

  private transition(live: LiveExecution, rec: StepExecutionRecord, event: StepEvent, patch: Partial<StepExecutionRecord>): void {
    const status = nextStepStatus(rec.status, event);
    Object.assign(rec, patch);
    rec.status = status;
    rec.updatedAt = this.now();
    this.markDirty(live, rec);
  }

  private finishStep(live: LiveExecution, rec: StepExecutionRecord, event: 'succeeded' | 'failed' | 'stopped', patch: Partial<StepExecutionRecord>): void {
    patch.endTime = this.now(); // callers pass a fresh object
    this.transition(live, rec, event, patch);
    const request = live.requests.get(rec.stepName);
    live.requests.delete(rec.stepName);
    if (this.options.observers?.length) live.after.push(() => this.notify(live, (o) => o.onStepFinished?.(live.record, rec, request)));
  }

  private patchExecution(live: LiveExecution, patch: Partial<ExecutionRecord>): void {
    Object.assign(live.record, patch);
    live.patch = { ...live.patch, ...patch };
    this.queueFlush(live);
  }

  private markDirty(live: LiveExecution, rec: StepExecutionRecord): void {
    live.dirty.set(rec.stepName, rec);
    this.queueFlush(live);
  }

  /**
   * Coalesces everything decided in this tick, by every execution, into one group commit (in the
   * next macrotask, or after the commit in progress if there is one), then acts on it.
   */
  private queueFlush(live: LiveExecution): void {
    if (this.fenced) return;
    this.pending.add(live);
    if (this.flushScheduled || this.flushing) return;
    this.flushScheduled = true;
    setImmediate(this.flushNow);
  }

  private readonly flushNow = (): void => void this.flush();

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    this.flushing = true;
    try {
      await this.commitPending();
    } finally {
      this.flushing = false;
      if (this.pending.size > 0 && !this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flushNow);
      }
    }
  }

  /**
   * Takes the buffered changes of pending executions (up to `maxCommitSteps` step records, at least
   * one execution) and commits them in one batch. If that fails, each execution's part is committed
   * alone, so only an execution whose own part fails is abandoned.
   */
  private async commitPending(): Promise<void> {
    const parts: CommitPart[] = [];
    let rows = 0;
    for (const live of this.pending) {
      if (parts.length > 0 && rows + live.dirty.size > this.maxCommitSteps) break;
      this.pending.delete(live);
      const part = takePart(live);
      rows += part.steps.length;
      parts.push(part);
    }
    if (this.fenced) return;
    const writing = parts.filter((p) => p.steps.length > 0 || p.patch);
    if (writing.length > 0) {
      try {
        await this.options.store.commit(batchOf(writing, this.options.fence));
      } catch (err) {
        if (isFenced(err)) {
          this.stopFenced(err, parts);
          return;
        }
        if (writing.length === 1) {
          this.commitFailed(writing[0]!, err);
          for (const part of parts) if (part !== writing[0]) this.committed(part);
          return;
        }
        this.options.logger.warn({ err, executions: writing.length, steps: rows }, 'group commit failed; committing each execution alone');
        for (const part of parts) {
          try {
            if (part.steps.length > 0 || part.patch) await this.options.store.commit(batchOf([part], this.options.fence));
          } catch (partErr) {
            if (isFenced(partErr)) {
              this.stopFenced(partErr, parts);
              return;
            }
            this.commitFailed(part, partErr);
            continue;
          }
          this.committed(part);
        }
        return;
      }
    }
    for (const part of parts) this.committed(part);
  }

  private commitFailed({ live }: CommitPart, err: unknown): void {
    this.options.logger.error({ err, executionId: live.record.id }, 'could not write execution state; the execution is no longer driven by this process (resume it)');
    this.abandon(live, err);
  }

  /** Makes a committed part current (versions, events), then runs what waited for it. */
  private committed({ live, steps, patch, after }: CommitPart): void {
    for (const s of steps) live.steps.get(s.stepName)!.version = s.version;
    if (patch) live.record.version++;
    const emit = this.options.onEvent;
    try {
      if (emit) {
        for (const s of steps) emit({ type: 'step', executionId: live.record.id, step: s });
        if (patch?.status) emit({ type: 'execution', execution: { ...live.record } });
      }
      for (const a of after) a();
    } catch (err) {
      // A bug in one execution's follow-up must not keep the others of the group waiting.
      this.options.logger.error({ err, executionId: live.record.id }, 'internal error after a commit; the execution is no longer driven by this process (resume it)');
      this.abandon(live, err);
    }
  }

  /** `{ fence }` when this coordinator's commits are fenced, else nothing. */
  private fenceOfBatch(): Pick<StoreBatch, 'fence'> {
    return this.options.fence ? { fence: this.options.fence } : {};
  }

  private assertNotFenced(): void {
    if (this.fenced) throw this.fenced;
  }

  /**
   * After a commit refused as fenced: stops driving every execution at once (timers cleared, the
   * refused parts' and every later follow-up dropped, so nothing is dispatched), rejects waiters
   * with the error, settles waiting results as not recorded, and tells the owner.
   */
  private stopFenced(err: OrchestratorError, parts: readonly CommitPart[] = []): void {
    if (this.fenced) return;
    this.fenced = err;
    const lives = new Set([...this.live.values(), ...parts.map((p) => p.live)]);
    this.options.logger.error({ err, fence: this.options.fence, executions: lives.size }, 'commit refused: another process holds a newer term of this fence; this coordinator stops driving every execution');
    this.live.clear();
    this.pending.clear();
    for (const live of lives) {
      for (const t of live.timers.values()) clearTimeout(t);
      live.timers.clear();
      live.finished = true;
      live.after = [];
      for (const w of live.waiters) w.reject(err);
      for (const settle of [...live.resultWaiters]) settle(false);
    }
    try {
      this.options.onFenced?.(err);
    } catch (callbackErr) {
      this.options.logger.error({ err: callbackErr }, 'onFenced threw');
    }
  }

  /** Stops driving an execution after an internal or store error; waiters get the error. */
  private abandon(live: LiveExecution, cause?: unknown): void {
    for (const t of live.timers.values()) clearTimeout(t);
    live.finished = true;
    this.live.delete(live.record.id);
    // Whatever it decided since is neither written nor acted on; `resume` rebuilds it from the store.
    this.pending.delete(live);
    const err = new OrchestratorError(ErrorCode.Internal, `Execution ${live.record.id} is no longer driven by this process after an error.`, {
      cause,
      fix: 'check the logs for the cause, then resume the execution (`resume()`), or retry it once it has ended.',
    });
    for (const w of live.waiters) w.reject(err);
    // Results waiting for a commit that will never come were not recorded.
    for (const settle of [...live.resultWaiters]) settle(false);
  }


  private notify(live: LiveExecution, call: (o: ExecutionObserver) => void | Promise<void> | undefined): void {
    for (const o of this.options.observers ?? []) {
      Promise.resolve()
        .then(() => call(o))
        .catch((err: unknown) => this.options.logger.error({ err, executionId: live.record.id }, 'an execution observer failed; the execution is not affected'));
    }
  }

  private now(): number {
    return this.options.clock.now();
  }
}

/** Step records per group commit unless `CoordinatorOptions.maxCommitSteps` says otherwise. */
const DEFAULT_MAX_COMMIT_STEPS = 2_000;
/** Launches per execution per commit unless `CoordinatorOptions.maxLaunchesPerCommit` says otherwise. */
const DEFAULT_MAX_LAUNCHES_PER_COMMIT = 1_000;

/** One execution's share of a group commit: its buffered records and patch, and what runs after. */
interface CommitPart {
  live: LiveExecution;
  steps: StepExecutionRecord[];
  patch: Partial<ExecutionRecord> | undefined;
  after: (() => void)[];
}

/** Takes (and clears) an execution's write-ahead buffer; records are copied at their next version. */
function takePart(live: LiveExecution): CommitPart {
  const part: CommitPart = { live, steps: [...live.dirty.values()].map((r) => ({ ...r, version: r.version + 1 })), patch: live.patch, after: live.after };
  live.dirty.clear();
  live.patch = undefined;
  live.after = [];
  live.launchedThisCommit = 0;
  live.committed = undefined;
  return part;
}

/** The store batch of some parts, fenced when the coordinator is. */
function batchOf(parts: readonly CommitPart[], fence: StoreFence | undefined): StoreBatch {
  const executions: ExecutionPatch[] = [];
  for (const { live, patch } of parts) if (patch) executions.push({ id: live.record.id, patch });
  const steps = parts.length === 1 ? parts[0]!.steps : parts.flatMap((p) => p.steps);
  return { steps, ...(executions.length > 0 ? { executions } : {}), ...(fence ? { fence } : {}) };
}

function isFenced(err: unknown): err is OrchestratorError {
  return err instanceof OrchestratorError && err.code === ErrorCode.Fenced;
}

/** What preparing an attempt decided. */
type Prepared =
  | { kind: 'dispatch'; request: StepRequest; cacheKey?: string }
  | { kind: 'cached'; request: StepRequest; cacheKey: string; hit: { executionId: string; executionArn: string; properties: JsonObject; metadata?: JsonObject; endTime: number; reason: string } }
  | { kind: 'condition'; outcome: boolean }
  | { kind: 'fail'; message: string }
  | { kind: 'failed'; error: SerializedError };

/** `StepInfo` by compiled pipeline: executions of one pipeline version share it. */
const stepInfos = new WeakMap<CompiledPipeline, ReadonlyMap<string, StepInfo>>();

function stepInfoOf(compiled: CompiledPipeline): ReadonlyMap<string, StepInfo> {
  let info = stepInfos.get(compiled);
  if (info) return info;
  const built = new Map<string, StepInfo>();
  for (const name of compiled.order) {
    const cs = compiled.steps.get(name)!;
    const fields = Object.freeze(stepFieldsOf(cs.step));
    const dynamic = hasExpressions(cs.step.Arguments) || hasExpressions(fields);
    const cached = 'CacheConfig' in cs.step && cs.step.CacheConfig?.Enabled === true;
    built.set(name, Object.freeze({ compiled: cs, fields, dynamic, immediate: !dynamic && !cached && cs.step.Type !== 'Condition' && cs.step.Type !== 'Fail' }));
  }
  info = built;
  stepInfos.set(compiled, info);
  return info;
}

/** The request of an attempt from its (resolved) arguments and step-level fields. */
function requestOf(info: StepInfo, args: JsonObject, fields: JsonObject, jobName: string): StepRequest {
  return { step: info.compiled.step, arguments: args, jobName, ...(Object.keys(fields).length > 0 ? { stepFields: fields } : {}) };
}

/** Step-level values beside `Arguments` (FunctionArn, SqsQueueUrl, OutputParameters, check flags …). */
function stepFieldsOf(step: Step): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(step)) if (!NON_FIELD_KEYS.has(k) && v !== undefined) out[k] = v;
  return out;
}

function outcomeOf(rec: StepExecutionRecord): boolean | undefined {
  const o: JsonValue | undefined = rec.stepType === 'Condition' ? rec.properties?.['Outcome'] : undefined;
  return typeof o === 'boolean' ? o : undefined;
}

function succeededSteps(records: readonly StepExecutionRecord[]): [string, boolean | undefined][] {
  return records.filter((r) => r.status === 'Succeeded').map((r) => [r.stepName, outcomeOf(r)]);
}

/** Steps a selective execution leaves out (none for a full execution). */
function excludedOf(record: ExecutionRecord, compiled: CompiledPipeline): string[] {
  return record.selectiveExecution ? excludedBySelection(compiled, record.selectiveExecution.selectedSteps) : [];
}

/** The ARN of another execution of the same pipeline. */
function sourceArn(record: ExecutionRecord, sourceId: string): string {
  return `${record.pipelineArn}/execution/${sourceId}`;
}
