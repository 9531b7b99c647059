import { afterEach, describe, expect, it, vi } from 'vitest';
import { OrchestratorError } from '../errors.js';
import type { ExecutionHandle, JobState } from '../executor.js';
import type { StepExecutionRecord } from '../store/execution-store.js';
import { lineageObserver } from '../lineage/lineage-observer.js';
import { MemoryStore } from '../store/memory-store.js';
import { toDescribePipelineExecution, toPipelineExecutionStep } from './api-shapes.js';
import { sendCallbackFailure, sendCallbackSuccess, type CallbackMessage } from './callback-executor.js';
import { STEP_FAILURE_REASON } from './coordinator.js';
import { EmbeddedRuntime, type RuntimeOptions } from './embedded-runtime.js';
import { createExecutorRouter } from './executor-router.js';
import { definition, FakeExecutor, gate, ManualClock, memoryArtifacts, processing, silentLogger, succeeded, type Behavior } from './engine-test-support.js';
import type { RuntimeEvent } from './types.js';

const failure = (message: string, exceptionType?: 'Step.SERVICE_FAULT'): JobState => ({
  state: 'failed',
  error: { code: exceptionType ? 'SERVICE_FAULT' : 'STEP_FAILED', message, retryable: exceptionType !== undefined, ...(exceptionType ? { exceptionType } : {}) },
});

const runtimes: EmbeddedRuntime[] = [];
afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.close();
  vi.useRealTimers();
});

function setup(behaviors: Record<string, Behavior> = {}, options: Partial<RuntimeOptions> = {}) {
  const store = (options.store as MemoryStore | undefined) ?? new MemoryStore();
  const executor = new FakeExecutor(behaviors);
  const runtime = new EmbeddedRuntime({
    store,
    executors: createExecutorRouter([executor]),
    artifacts: memoryArtifacts(),
    logger: silentLogger,
    pollIntervalMs: 10,
    ...options,
  });
  runtimes.push(runtime);
  const events: RuntimeEvent[] = [];
  runtime.on((e) => events.push(e));
  const steps = async (id: string) => new Map((await store.listStepExecutions(id)).map((s) => [s.stepName, s] as const));
  return { store, executor, runtime, events, steps };
}

/** Like `vi.waitFor`, but polls on `setImmediate`, so fake timers do not move while it waits. */
async function waitStill(check: () => Promise<void>, tries = 1000): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return await check();
    } catch (err) {
      if (i >= tries) throw err;
    }
    await new Promise((r) => setImmediate(r));
  }
}

async function run(rt: EmbeddedRuntime, def: unknown, input: { parameters?: Record<string, string>; maxParallelExecutionSteps?: number } = {}) {
  const started = await rt.startExecution({ pipelineName: 'Demo', definition: def as never, ...input });
  return rt.waitForExecution(started.id);
}

describe('EmbeddedRuntime', () => {
  it('runs a DAG through Starting → Executing → Succeeded and records properties and metadata', async () => {
    const { runtime, events, steps, executor } = setup();
    const def = definition([processing('A'), processing('B', { DependsOn: ['A'] }, { Environment: { A: { Get: 'Steps.A.ProcessingJobName' } } })]);
    const done = await run(runtime, def);
    expect(done.status).toBe('Succeeded');
    expect(done.id).toMatch(/^[a-z0-9]{12}$/);
    expect(done.arn).toBe(`arn:aws:sagemaker:local:000000000000:pipeline/demo/execution/${done.id}`);
    const recorded = await steps(done.id);
    const a = recorded.get('A')!;
    expect(a).toMatchObject({ status: 'Succeeded', attempt: 1, metadata: { ProcessingJob: { Arn: expect.stringContaining('pipelines-') } } });
    expect(recorded.get('B')!.resolvedArguments?.['Environment']).toEqual({ A: a.properties?.['ProcessingJobName'] });
    expect(executor.starts.map((s) => s.jobName)).toEqual([
      expect.stringMatching(new RegExp(`^pipelines-${done.id}-A-[A-Za-z0-9]{10}$`)),
      expect.stringMatching(new RegExp(`^pipelines-${done.id}-B-[A-Za-z0-9]{10}$`)),
    ]);
    const statuses = events.flatMap((e) => (e.type === 'step' && e.step.stepName === 'A' ? [e.step.status] : []));
    expect(statuses.at(-1)).toBe('Succeeded');
    expect(events.filter((e) => e.type === 'execution').map((e) => (e.type === 'execution' ? e.execution.status : ''))).toEqual(['Executing', 'Succeeded']);
  });

  it('rejects bad parameters and missing executors before anything runs', async () => {
    const { runtime, store } = setup();
    const def = definition([processing('A')], [{ Name: 'N', Type: 'Integer' }]);
    await expect(runtime.startExecution({ pipelineName: 'P', definition: def as never, parameters: { N: 'x', M: '1' } })).rejects.toMatchObject({ code: 'PARAMETER_INVALID' });
    const emptyRouter = new EmbeddedRuntime({ store, executors: createExecutorRouter([]), artifacts: memoryArtifacts(), logger: silentLogger });
    runtimes.push(emptyRouter);
    await expect(emptyRouter.startExecution({ pipelineName: 'P', definition: def as never, parameters: { N: '1' } })).rejects.toMatchObject({ code: 'EXECUTOR_MISSING' });
    expect(await store.listExecutions()).toHaveLength(0);
  });

  describe('conditions', () => {
    const def = definition(
      [
        {
          Name: 'Check',
          Type: 'Condition',
          Arguments: {
            Conditions: [{ Type: 'GreaterThanOrEqualTo', LeftValue: { Get: 'Parameters.Score' }, RightValue: 0.5 }],
            IfSteps: [processing('Yes')],
            ElseSteps: [
              processing('No'),
              {
                Name: 'Stop',
                Type: 'Fail',
                Arguments: { ErrorMessage: { 'Std:Join': { On: ' ', Values: ['Failed due to xxx == yyy returns:', { Get: 'Steps.Check.Outcome' }] } } },
              },
            ],
          },
        },
        processing('AfterYes', { DependsOn: ['Yes'] }),
      ],
      [{ Name: 'Score', Type: 'Float', DefaultValue: 0.9 }],
    );

    it('runs the If branch; the Else branch never runs and is not recorded', async () => {
      const { runtime, steps } = setup();
      const done = await run(runtime, def);
      expect(done.status).toBe('Succeeded');
      const recorded = await steps(done.id);
      expect([...recorded.keys()].sort()).toEqual(['AfterYes', 'Check', 'Yes']);
      expect(recorded.get('Check')).toMatchObject({ properties: { Outcome: true }, metadata: { Condition: { Outcome: 'True' } } });
    });

    it('runs the Else branch; a Fail step fails the execution with its message, which cannot be retried', async () => {
      const { runtime, steps } = setup();
      const done = await run(runtime, def, { parameters: { Score: '0.1' } });
      expect(done.status).toBe('Failed');
      expect(done.failureReason).toBe('Failed due to xxx == yyy returns: false');
      const recorded = await steps(done.id);
      expect([...recorded.keys()].sort()).toEqual(['Check', 'No', 'Stop']);
      expect(recorded.get('Stop')).toMatchObject({ status: 'Failed', failureReason: done.failureReason, metadata: { Fail: { ErrorMessage: done.failureReason } } });
      await expect(runtime.retryExecution(done.id)).rejects.toMatchObject({ code: 'EXECUTION_NOT_RETRYABLE' });
    });

    it('fails the condition step on incompatible operand types', async () => {
      const { runtime, steps } = setup();
      const bad = definition([{ Name: 'C', Type: 'Condition', Arguments: { Conditions: [{ Type: 'Equals', LeftValue: 1, RightValue: 'x' }], IfSteps: [processing('Y')] } }]);
      const done = await run(runtime, bad);
      expect(done.status).toBe('Failed');
      expect(done.failureReason).toBe(STEP_FAILURE_REASON);
      expect((await steps(done.id)).get('C')).toMatchObject({ status: 'Failed', error: { code: 'CONDITION_FAILED' } });
    });
  });

  it('decides a condition from a property file and resolves experiment names', async () => {
    const output = { ProcessingOutputConfig: { Outputs: [{ OutputName: 'evaluation', S3Output: { S3Uri: 's3://b/eval/' } }] } };
    const { runtime, steps } = setup(
      { Eval: (req, ctx) => succeeded(ctx.stepType, req.jobName, output) },
      { artifacts: memoryArtifacts({ 's3://b/eval/evaluation.json': '{"metrics": {"mse": {"value": 0.2}}}' }) },
    );
    const def = {
      ...definition([
        processing('Eval', { PropertyFiles: [{ PropertyFileName: 'Report', OutputName: 'evaluation', FilePath: 'evaluation.json' }] }, { ProcessingOutputConfig: { Outputs: [{ OutputName: 'evaluation', S3Output: { S3Uri: 's3://b/eval/', LocalPath: '/opt/ml/processing/evaluation', S3UploadMode: 'EndOfJob' } }] } }),
        {
          Name: 'Good',
          Type: 'Condition',
          Arguments: {
            Conditions: [{ Type: 'LessThanOrEqualTo', LeftValue: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Eval.PropertyFiles.Report' }, Path: 'metrics.mse.value' } }, RightValue: 0.5 }],
            IfSteps: [processing('Ship', {}, { Environment: { TRIAL: { Get: 'PipelineExperimentConfig.TrialName' }, EXP: { Get: 'PipelineExperimentConfig.ExperimentName' } } })],
          },
        },
      ]),
      PipelineExperimentConfig: { ExperimentName: { Get: 'Execution.PipelineName' }, TrialName: { 'Std:Join': { On: '-', Values: ['trial', { Get: 'Execution.PipelineExecutionId' }] } } },
    };
    const done = await run(runtime, def);
    expect(done.status).toBe('Succeeded');
    const recorded = await steps(done.id);
    expect(recorded.get('Good')?.properties).toEqual({ Outcome: true });
    expect(recorded.get('Ship')?.resolvedArguments?.['Environment']).toEqual({ TRIAL: `trial-${done.id}`, EXP: 'Demo' });
  });

  it('propagates failure: dependents never run, running steps finish, the execution fails', async () => {
    const slow = gate();
    const { runtime, steps, executor } = setup({
      Bad: () => failure('boom'),
      Slow: async (req, ctx) => (await slow.promise, succeeded(ctx.stepType, req.jobName)),
    });
    const started = await runtime.startExecution({ pipelineName: 'P', definition: definition([processing('Bad'), processing('Slow'), processing('After', { DependsOn: ['Bad'] }), processing('Late', { DependsOn: ['Slow'] })]) as never });
    await vi.waitFor(async () => expect((await steps(started.id)).get('Bad')?.status).toBe('Failed'));
    slow.open();
    const done = await runtime.waitForExecution(started.id);
    expect(done).toMatchObject({ status: 'Failed', failureReason: STEP_FAILURE_REASON });
    const recorded = await steps(done.id);
    expect(recorded.get('Slow')?.status).toBe('Succeeded');
    expect(recorded.has('After')).toBe(false);
    expect(recorded.has('Late')).toBe(false);
    expect(executor.startsOf('Late')).toBe(0);
  });

  it('honours MaxParallelExecutionSteps', async () => {
    const hold = gate();
    const slow: Behavior = async (req, ctx) => (await hold.promise, succeeded(ctx.stepType, req.jobName));
    const { runtime, executor } = setup({ A: slow, B: slow, C: slow, D: slow, E: slow });
    const started = await runtime.startExecution({ pipelineName: 'P', definition: definition(['A', 'B', 'C', 'D', 'E'].map((n) => processing(n))) as never, maxParallelExecutionSteps: 2 });
    await vi.waitFor(() => expect(executor.running).toBe(2));
    hold.open();
    expect((await runtime.waitForExecution(started.id)).status).toBe('Succeeded');
    expect(executor.maxRunning).toBe(2);
    expect(executor.starts).toHaveLength(5);
  });

  it('retries per policy with backoff, then succeeds; AttemptCount counts attempts', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let calls = 0;
    const { runtime, executor, steps } = setup({
      A: (req, ctx) => (++calls <= 2 ? failure('transient', 'Step.SERVICE_FAULT') : succeeded(ctx.stepType, req.jobName)),
    });
    const policy = { ExceptionType: ['Step.SERVICE_FAULT'], IntervalSeconds: 2, BackoffRate: 3, MaxAttempts: 4 };
    const started = await runtime.startExecution({ pipelineName: 'P', definition: definition([processing('A', { RetryPolicies: [policy] })]) as never });
    // vi.waitFor would advance the fake clock by 50 ms per check and eat into the backoff.
    await waitStill(async () => expect((await steps(started.id)).get('A')).toMatchObject({ status: 'Starting', attempt: 2 }));
    await vi.advanceTimersByTimeAsync(1999);
    expect(executor.startsOf('A')).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await waitStill(async () => expect((await steps(started.id)).get('A')).toMatchObject({ status: 'Starting', attempt: 3 }));
    await vi.advanceTimersByTimeAsync(5999);
    expect(executor.startsOf('A')).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    const done = await runtime.waitForExecution(started.id);
    expect(done.status).toBe('Succeeded');
    expect((await steps(done.id)).get('A')).toMatchObject({ status: 'Succeeded', attempt: 3 });
    expect(new Set(executor.starts.map((s) => s.jobName)).size).toBe(3);
  });

  it('fails a step after MaxAttempts retries and does not retry errors without a matching policy', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { runtime, executor, steps } = setup({ A: () => failure('always', 'Step.SERVICE_FAULT'), B: () => failure('fatal') });
    const def = definition([processing('A', { RetryPolicies: [{ ExceptionType: ['Step.SERVICE_FAULT'], IntervalSeconds: 1, BackoffRate: 1, MaxAttempts: 2 }] }), processing('B')]);
    const started = await runtime.startExecution({ pipelineName: 'P', definition: def as never });
    for (let i = 0; i < 5; i++) await vi.advanceTimersByTimeAsync(1000);
    const done = await runtime.waitForExecution(started.id);
    expect(done.status).toBe('Failed');
    expect(executor.startsOf('A')).toBe(3);
    expect(executor.startsOf('B')).toBe(1);
    expect((await steps(done.id)).get('A')).toMatchObject({ status: 'Failed', attempt: 3, failureReason: 'always' });
  });

  it('serves cache hits within ExpireAfter and misses after it', async () => {
    const clock = new ManualClock();
    const { runtime, executor, steps } = setup({}, { clock });
    const def = definition([processing('A', { CacheConfig: { Enabled: true, ExpireAfter: 'PT1H' } }), processing('B', { DependsOn: ['A'] })]);
    const first = await run(runtime, def);
    clock.time += 30 * 60_000;
    const second = await run(runtime, { ...def, Steps: [processing('A', { CacheConfig: { Enabled: true, ExpireAfter: 'PT1H' } }, { RoleArn: 'other-role' }), processing('B', { DependsOn: ['A'] })] });
    expect(executor.startsOf('A')).toBe(1);
    const hit = (await steps(second.id)).get('A')!;
    expect(hit).toMatchObject({ status: 'Succeeded', cacheHit: { sourceExecutionId: first.id, sourceExecutionArn: first.arn } });
    expect(hit.properties).toEqual((await steps(first.id)).get('A')!.properties);
    expect(hit.metadata?.['CacheHit']).toMatchObject({ Reason: expect.stringContaining(first.id) });
    expect(toPipelineExecutionStep(hit)).toMatchObject({ CacheHitResult: { SourcePipelineExecutionArn: first.arn }, AttemptCount: 1 });
    clock.time += 2 * 3_600_000;
    await run(runtime, def);
    expect(executor.startsOf('A')).toBe(2);
  });

  it('stops running steps and ends Stopped', async () => {
    const { runtime, steps, executor } = setup({
      Long: (_req, ctx) => new Promise<JobState>((resolve) => ctx.signal.addEventListener('abort', () => resolve({ state: 'stopped' }))),
    });
    const started = await runtime.startExecution({ pipelineName: 'P', definition: definition([processing('Long'), processing('Next', { DependsOn: ['Long'] })]) as never });
    await vi.waitFor(() => expect(executor.running).toBe(1));
    await runtime.stopExecution(started.id);
    const done = await runtime.waitForExecution(started.id);
    expect(done.status).toBe('Stopped');
    const recorded = await steps(done.id);
    expect(recorded.get('Long')?.status).toBe('Stopped');
    expect(recorded.has('Next')).toBe(false);
  });

  it('notices a stop requested by another process through the store', async () => {
    const { runtime, store, executor } = setup({
      Long: (_req, ctx) => new Promise<JobState>((resolve) => ctx.signal.addEventListener('abort', () => resolve({ state: 'stopped' }))),
    });
    const other = new EmbeddedRuntime({ store, executors: createExecutorRouter([]), artifacts: memoryArtifacts(), logger: silentLogger, pollIntervalMs: 10 });
    runtimes.push(other);
    const started = await runtime.startExecution({ pipelineName: 'P', definition: definition([processing('Long')]) as never });
    await vi.waitFor(() => expect(executor.running).toBe(1));
    await other.stopExecution(started.id);
    expect((await other.waitForExecution(started.id)).status).toBe('Stopped');
  });

  it('retries a failed execution in place, keeping succeeded steps', async () => {
    let fail = true;
    const { runtime, executor, steps } = setup({ B: (req, ctx) => (fail ? failure('first time') : succeeded(ctx.stepType, req.jobName)) });
    const def = definition([processing('A'), processing('B', { DependsOn: ['A'] }), processing('C', { DependsOn: ['B'] })]);
    const first = await run(runtime, def);
    expect(first.status).toBe('Failed');
    fail = false;
    const retried = await runtime.retryExecution(first.id);
    expect(retried).toMatchObject({ id: first.id, status: 'Executing' });
    const done = await runtime.waitForExecution(first.id);
    expect(done.status).toBe('Succeeded');
    expect(done.failureReason).toBeUndefined();
    expect([executor.startsOf('A'), executor.startsOf('B'), executor.startsOf('C')]).toEqual([1, 2, 1]);
    expect((await steps(first.id)).get('B')).toMatchObject({ status: 'Succeeded', attempt: 2 });
    await expect(runtime.retryExecution(first.id)).rejects.toMatchObject({ code: 'EXECUTION_NOT_RETRYABLE' });
  });

  it('runs a selective execution: upstream reused, selected run, downstream skipped', async () => {
    const { runtime, executor, steps } = setup();
    const def = definition([processing('A'), processing('B', { DependsOn: ['A'] }), processing('C', { DependsOn: ['B'] })]);
    const source = await run(runtime, def);
    const started = await runtime.startExecution({ pipelineName: 'Demo', definition: def as never, selectiveExecution: { sourceExecutionId: source.id, selectedSteps: ['B'] } });
    const done = await runtime.waitForExecution(started.id);
    expect(done.status).toBe('Succeeded');
    const recorded = await steps(done.id);
    expect([...recorded.keys()].sort()).toEqual(['A', 'B']);
    expect(recorded.get('A')).toMatchObject({ status: 'Succeeded', selectiveSource: { sourceExecutionArn: source.arn } });
    expect(toPipelineExecutionStep(recorded.get('A')!)).toMatchObject({ SelectiveExecutionResult: { SourcePipelineExecutionArn: source.arn } });
    expect(executor.startsOf('B')).toBe(2);
    expect(executor.startsOf('A')).toBe(1);
    expect(toDescribePipelineExecution(done)).toMatchObject({ SelectiveExecutionConfig: { SourcePipelineExecutionArn: source.arn, SelectedSteps: [{ StepName: 'B' }] } });
    await expect(runtime.startExecution({ pipelineName: 'Demo', definition: def as never, selectiveExecution: { selectedSteps: ['A', 'C'] } })).rejects.toMatchObject({ code: 'PARAMETER_INVALID' });
    await expect(runtime.startExecution({ pipelineName: 'Demo', definition: def as never, selectiveExecution: { selectedSteps: ['C'] } })).rejects.toMatchObject({ code: 'PARAMETER_INVALID' });
  });

  it('keeps the selection when a selective execution is retried', async () => {
    let fail = false;
    const { runtime, executor, steps } = setup({ B: (req, ctx) => (fail ? failure('once') : succeeded(ctx.stepType, req.jobName)) });
    const def = definition([processing('A'), processing('B', { DependsOn: ['A'] }), processing('C', { DependsOn: ['B'] })]);
    const source = await run(runtime, def);
    fail = true;
    const started = await runtime.startExecution({ pipelineName: 'Demo', definition: def as never, selectiveExecution: { sourceExecutionId: source.id, selectedSteps: ['B'] } });
    expect((await runtime.waitForExecution(started.id)).status).toBe('Failed');
    fail = false;
    await runtime.retryExecution(started.id);
    expect((await runtime.waitForExecution(started.id)).status).toBe('Succeeded');
    expect([...(await steps(started.id)).keys()].sort()).toEqual(['A', 'B']);
    expect(executor.startsOf('C')).toBe(1);
  });

  describe('callback steps', () => {
    const def = definition([
      { Name: 'Cb', Type: 'Callback', Arguments: { x: { Get: 'Execution.PipelineExecutionId' } }, SqsQueueUrl: 'https://sqs/q', OutputParameters: [{ OutputName: 'n', OutputType: 'Integer' }] },
      processing('Use', {}, { Environment: { N: { 'Std:Join': { On: '', Values: [{ Get: "Steps.Cb.OutputParameters['n']" }] } } } }),
    ]);

    it('waits for the token; success converts outputs and feeds dependents', async () => {
      const messages: CallbackMessage[] = [];
      const { runtime, store, steps } = setup({}, { callbackSink: (m) => void messages.push(m) });
      const started = await runtime.startExecution({ pipelineName: 'P', definition: def as never });
      await vi.waitFor(() => expect(messages).toHaveLength(1));
      const { token } = messages[0]!;
      expect(token).toMatch(/^[A-Za-z0-9]{22}$/);
      expect(messages[0]).toMatchObject({ pipelineExecutionArn: started.arn, stepName: 'Cb', arguments: { x: started.id } });
      await sendCallbackSuccess(store, token, { n: '42' });
      const done = await runtime.waitForExecution(started.id);
      expect(done.status).toBe('Succeeded');
      const recorded = await steps(done.id);
      expect(recorded.get('Cb')).toMatchObject({
        properties: { OutputParameters: { n: 42 } },
        metadata: { Callback: { CallbackToken: `${token.slice(0, 6)}…`, SqsQueueUrl: 'https://sqs/q', OutputParameters: [{ Name: 'n', Value: '42' }] } },
      });
      expect(recorded.get('Use')?.resolvedArguments?.['Environment']).toEqual({ N: '42' });
      await expect(sendCallbackSuccess(store, token, {})).rejects.toMatchObject({ code: 'CALLBACK_TOKEN_INVALID' });
      await expect(sendCallbackFailure(store, 'nope', 'x')).rejects.toBeInstanceOf(OrchestratorError);
    });

    it('fails the step with the reason sent', async () => {
      const messages: CallbackMessage[] = [];
      const { runtime, store, steps } = setup({}, { callbackSink: (m) => void messages.push(m) });
      const started = await runtime.startExecution({ pipelineName: 'P', definition: def as never });
      await vi.waitFor(() => expect(messages).toHaveLength(1));
      await sendCallbackFailure(store, messages[0]!.token, 'rejected by reviewer');
      const done = await runtime.waitForExecution(started.id);
      expect(done.status).toBe('Failed');
      expect((await steps(done.id)).get('Cb')).toMatchObject({ status: 'Failed', failureReason: 'rejected by reviewer' });
    });
  });

  it('resumes after a crash: polls in-flight attempts by their handle instead of restarting them', async () => {
    const store = new MemoryStore();
    const first = setup({ A: () => new Promise<JobState>(() => undefined) }, { store });
    const started = await first.runtime.startExecution({ pipelineName: 'P', definition: definition([processing('A'), processing('B', { DependsOn: ['A'] })]) as never });
    await vi.waitFor(async () => expect((await first.steps(started.id)).get('A')).toMatchObject({ status: 'Executing', handle: { jobName: expect.any(String) } }));
    await first.runtime.close();

    const polled: unknown[] = [];
    const second = setup({}, { store });
    second.executor.wait = undefined as never;
    second.executor.poll = async (handle: ExecutionHandle) => (polled.push(handle), succeeded('Processing', String(handle['jobName'])));
    const resumed = await second.runtime.resume();
    expect(resumed.map((r) => r.id)).toEqual([started.id]);
    const done = await second.runtime.waitForExecution(started.id);
    expect(done.status).toBe('Succeeded');
    expect(polled[0]).toEqual({ jobName: first.executor.starts[0]!.jobName });
    expect(second.executor.startsOf('A')).toBe(0);
    expect(second.executor.startsOf('B')).toBe(1);
  });

  it('resumes after a crash: records the lineage of steps that finished before it but whose lineage write was cut off', async () => {
    const store = new MemoryStore();
    const arnPrefix = 'arn:aws:sagemaker:local:000000000000';
    // The first process finishes A, then dies before its lineage is written (the write never ends).
    const stalled = Object.assign(Object.create(store) as MemoryStore, { writeLineage: () => new Promise<never>(() => undefined) });
    const first = setup({ B: () => new Promise<JobState>(() => undefined) }, { store, observers: [lineageObserver({ store: stalled, arnPrefix })] });
    const started = await first.runtime.startExecution({ pipelineName: 'P', definition: definition([processing('A'), processing('B', { DependsOn: ['A'] })]) as never });
    await vi.waitFor(async () => expect((await first.steps(started.id)).get('B')).toMatchObject({ status: 'Executing' }));
    await first.runtime.close();

    const lineage = lineageObserver({ store, arnPrefix });
    const second = setup({}, { store, observers: [lineage] });
    await second.runtime.resume();
    expect((await second.runtime.waitForExecution(started.id)).status).toBe('Succeeded');
    await lineage.close();
    for (const step of ['a', 'b']) expect(await store.getLineageEntity(`${arnPrefix}:action/${started.id}-${step}`)).toMatchObject({ kind: 'Action', properties: { Status: 'Succeeded' } });
  });

  it('observers see finished steps and executions; their errors do not fail the execution', async () => {
    const seen: string[] = [];
    const { runtime } = setup({}, {
      observers: [
        { onStepFinished: (_e, s: StepExecutionRecord) => void seen.push(`step:${s.stepName}:${s.status}`), onExecutionFinished: (e) => void seen.push(`execution:${e.status}`) },
        { onStepFinished: () => { throw new Error('observer bug'); } },
      ],
    });
    const done = await run(runtime, definition([processing('A')]));
    expect(done.status).toBe('Succeeded');
    await vi.waitFor(() => expect(seen).toEqual(['step:A:Succeeded', 'execution:Succeeded']));
  });
});
