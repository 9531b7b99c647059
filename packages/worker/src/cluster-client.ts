import { Job, Queue, type RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import {
  ErrorCode,
  OrchestratorError,
  asSentence,
  getExecutionOrThrow,
  isTerminalExecutionStatus,
  requestStopInStore,
  submitExecution,
  systemClock,
  type CairnStore,
  type CallbackMessage,
  type Clock,
  type EmbeddedRuntime,
  type ExecutionRecord,
  type ExecutorRouter,
  type RuntimeEvent,
  type StartExecutionInput,
} from '@cairn/core';
import { QueueName, channelNames, type ControlJob } from './queues.js';

/** What the CLI needs from a runtime: the embedded one, or a client of the cluster. */
export type ExecutionRuntime = Pick<EmbeddedRuntime, 'startExecution' | 'waitForExecution' | 'stopExecution' | 'retryExecution' | 'resumeExecution' | 'on' | 'close'>;

/** Options of a cluster client. */
export interface ClusterClientOptions {
  /** Redis connection of the cluster. */
  connection: RedisOptions;
  /** BullMQ key prefix of the cluster. */
  prefix: string;
  /** The cluster's store (PostgreSQL). */
  store: CairnStore;
  /** Executors of the deployment: new executions are checked against them before they are stored. */
  router: ExecutorRouter;
  /** ARN prefix of new executions. */
  arnPrefix: string;
  clock?: Clock;
  /** How often followed executions are read from the store, in milliseconds. @defaultValue 200 */
  pollIntervalMs?: number;
  /** Receives the messages of Callback steps of followed executions (workers publish them). */
  callbackSink?: (message: CallbackMessage) => void;
}

/**
 * Submits executions to a running cluster and follows them, with the embedded runtime's API: the
 * execution is validated and stored here (PostgreSQL), the scheduler is asked to take it over,
 * and progress is read back from the store. Stop marks the store; retry asks the scheduler.
 */
export class ClusterClient implements ExecutionRuntime {
  private readonly listeners = new Set<(event: RuntimeEvent) => void>();
  /** Followed executions and the record versions already reported. */
  private readonly followed = new Map<string, { execution: number; steps: Map<string, number> }>();
  private readonly clock: Clock;
  private readonly timer: NodeJS.Timeout;
  private readonly subscriber: Redis;
  /** Wakes `waitForExecution` callers when the scheduler announces an execution finished. */
  private readonly wakers = new Map<string, (() => void)[]>();
  private callbackSink: ((message: CallbackMessage) => void) | undefined;
  /** The read of followed executions under way, if any: one at a time, and `close` waits for it. */
  private polling: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly options: ClusterClientOptions,
    private readonly control = new Queue(QueueName.Control, { connection: options.connection, prefix: options.prefix, defaultJobOptions: { removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } } }),
  ) {
    this.clock = options.clock ?? systemClock;
    // Connection errors surface as rejected commands; the event itself needs no handling.
    this.control.on('error', () => undefined);
    this.timer = setInterval(() => void this.poll().catch(() => undefined), options.pollIntervalMs ?? 200);
    this.callbackSink = options.callbackSink;
    this.subscriber = this.subscribe();
  }

  /** Validates and stores the execution, then asks the scheduler to run it. */
  async startExecution(input: StartExecutionInput): Promise<ExecutionRecord> {
    const { store, router, arnPrefix } = this.options;
    const { record } = await submitExecution(input, { store, router, clock: this.clock, arnPrefix, runtime: 'distributed' });
    this.follow(record);
    await this.adopt(record);
    return record;
  }

  /** Asks the scheduler to take over an active distributed execution (it does so on its own within a reconciler pass too); `false` when there is none. */
  async resumeExecution(id: string): Promise<boolean> {
    const record = await getExecutionOrThrow(this.options.store, id);
    if (record.runtime !== 'distributed' || isTerminalExecutionStatus(record.status)) return false;
    this.follow(record);
    await this.adopt(record);
    return true;
  }

  /** Resolves with the execution once it is terminal (woken by the scheduler's notice; the store is read at least every second). */
  async waitForExecution(id: string): Promise<ExecutionRecord> {
    for (;;) {
      const record = await getExecutionOrThrow(this.options.store, id);
      if (isTerminalExecutionStatus(record.status)) {
        await this.poll(true);
        return record;
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.wakers.set(id, (this.wakers.get(id) ?? []).filter((w) => w !== wake));
          resolve();
        };
        const timer = setTimeout(wake, Math.max(this.options.pollIntervalMs ?? 200, 1_000));
        this.wakers.set(id, [...(this.wakers.get(id) ?? []), wake]);
      });
    }
  }

  /** Marks the execution Stopping; the scheduler stops its running steps. */
  stopExecution(id: string): Promise<void> {
    return requestStopInStore(this.options.store, id, this.clock);
  }

  /** Asks the scheduler to retry a Failed or Stopped execution and waits until it has (its refusal is thrown here). */
  async retryExecution(id: string): Promise<ExecutionRecord> {
    const record = await getExecutionOrThrow(this.options.store, id);
    if (record.status !== 'Failed' && record.status !== 'Stopped') {
      throw new OrchestratorError(ErrorCode.ExecutionNotRetryable, `Execution ${id} is ${record.status}; only Failed or Stopped executions can be retried.`, { fix: 'wait until it ends, or start a new execution.' });
    }
    const job = await this.send({ action: 'retry', executionId: id }, `retry__${id}__${record.version}`);
    await this.waitForJob(job);
    const retried = await getExecutionOrThrow(this.options.store, id);
    this.follow(retried);
    return retried;
  }

  /** Subscribes to progress events of the executions this client started, retried or waits for. */
  on(listener: (event: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops following and waits for a store read under way (so the caller may close the store next); closes the queue connection (not the store). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.polling?.catch(() => undefined);
    this.subscriber.disconnect();
    for (const wakers of [...this.wakers.values()]) for (const wake of wakers) wake();
    await this.control.close();
  }

  private async adopt(record: ExecutionRecord): Promise<void> {
    await this.send({ action: 'adopt', executionId: record.id }, `adopt__${record.id}__${record.version}`);
  }

  private async send(request: ControlJob, jobId: string): Promise<Job> {
    return this.control.add(request.action, request, { jobId });
  }

  private async waitForJob(job: Job): Promise<void> {
    for (;;) {
      const state = await job.getState();
      if (state === 'completed') return;
      if (state === 'failed') {
        const fresh = await Job.fromId(this.control, job.id!);
        const reason = fresh?.failedReason || 'The scheduler refused the retry.';
        // The scheduler's own errors already say what to do; only a reason without a fix gets one.
        throw new OrchestratorError(ErrorCode.ExecutionNotRetryable, asSentence(reason), reason.includes('To fix:') ? {} : { fix: "read the scheduler's log for the cause, correct it, then retry." });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private follow(record: ExecutionRecord): void {
    this.followed.set(record.id, { execution: record.version, steps: this.followed.get(record.id)?.steps ?? new Map() });
    this.emit({ type: 'execution', execution: record });
  }

  /**
   * Emits an event for every execution or step record whose version changed since the last read.
   * Reads run one at a time. A periodic read arriving during another is skipped; a `fresh` one
   * (the last read before `waitForExecution` returns) runs after it. A failed periodic read is
   * dropped (the next one reads again); `waitForExecution` sees its failure.
   */
  private async poll(fresh = false): Promise<void> {
    if (fresh) await this.polling?.catch(() => undefined);
    if (this.closed || this.listeners.size === 0) return;
    this.polling ??= this.readFollowed().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async readFollowed(): Promise<void> {
    for (const [id, seen] of this.followed) {
      const [record, steps] = await Promise.all([this.options.store.getExecution(id), this.options.store.listStepExecutions(id)]);
      for (const step of steps.sort((a, b) => a.updatedAt - b.updatedAt)) {
        if (seen.steps.get(step.stepName) === step.version) continue;
        seen.steps.set(step.stepName, step.version);
        this.emit({ type: 'step', executionId: id, step });
      }
      if (record && record.version !== seen.execution) {
        seen.execution = record.version;
        this.emit({ type: 'execution', execution: record });
      }
      if (record && isTerminalExecutionStatus(record.status)) this.followed.delete(id);
    }
  }

  private emit(event: RuntimeEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private subscribe(): Redis {
    const channels = channelNames(this.options.prefix);
    const subscriber = new Redis(this.options.connection);
    // Both channels carry hints; the store is what the client follows.
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, text: string) => {
      if (channel === channels.finished) {
        for (const wake of this.wakers.get(text) ?? []) wake();
        return;
      }
      const message = JSON.parse(text) as CallbackMessage;
      if ([...this.followed.keys()].some((id) => message.pipelineExecutionArn.endsWith(`/execution/${id}`))) this.callbackSink?.(message);
    });
    void subscriber.subscribe(channels.finished, ...(this.callbackSink ? [channels.callbacks] : []));
    return subscriber;
  }
}
