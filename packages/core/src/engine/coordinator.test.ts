import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../compile/compile-pipeline.js';
import { parsePipelineDefinition } from '../definition/parse.js';
import type { ExecutionRecord } from '../store/execution-store.js';
import { MemoryStore } from '../store/memory-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { CairnStore } from '../store/store.js';
import { Coordinator } from './coordinator.js';
import { definition, ManualClock, memoryArtifacts, processing, RecordingDispatcher, silentLogger } from './engine-test-support.js';
import type { ExecutionObserver } from './types.js';

async function setup(store: CairnStore, steps: unknown[]) {
  const clock = new ManualClock();
  const dispatcher = new RecordingDispatcher();
  const coordinator = new Coordinator({ store, artifacts: memoryArtifacts(), dispatcher, logger: silentLogger, clock });
  const compiled = compilePipeline(parsePipelineDefinition(definition(steps)));
  const record: ExecutionRecord = {
    id: 'abcdefabcdef',
    arn: 'arn:aws:sagemaker:local:0:pipeline/p/execution/abcdefabcdef',
    pipelineName: 'p',
    pipelineArn: 'arn:aws:sagemaker:local:0:pipeline/p',
    pipelineVersion: 1,
    definition: JSON.stringify(compiled.definition),
    status: 'Executing',
    parameters: {},
    runtime: 'embedded',
    createdAt: clock.now(),
    updatedAt: clock.now(),
    version: 1,
  };
  await store.createExecution(record);
  return { coordinator, dispatcher, compiled, record, clock };
}

/** A second coordinator (a restarted process) resuming the execution `first` started. */
async function restart(store: CairnStore, first: Awaited<ReturnType<typeof setup>>, observers: ExecutionObserver[] = []) {
  const dispatcher = new RecordingDispatcher();
  const coordinator = new Coordinator({ store, artifacts: memoryArtifacts(), dispatcher, logger: silentLogger, clock: first.clock, observers });
  await coordinator.resume((await store.getExecution(first.record.id))!, first.compiled);
  return { coordinator, dispatcher };
}

const ok = { state: 'succeeded' as const, properties: { ProcessingJobArn: 'arn:job' } };

describe('Coordinator', () => {
  it('dispatches only after the Starting record is committed, and rejects stale and duplicate results', async () => {
    const store = new MemoryStore();
    const { coordinator, dispatcher, record, compiled } = await setup(store, [processing('A'), processing('B', { DependsOn: ['A'] })]);
    coordinator.start(record, compiled);
    expect(dispatcher.dispatched).toHaveLength(0);
    await expect.poll(() => dispatcher.dispatched.length).toBe(1);
    expect(await store.getStepExecution(record.id, 'A')).toMatchObject({ status: 'Starting', attempt: 1 });
    expect(await coordinator.reportResult(record.id, 'A', 2, ok)).toBe(false);
    expect(await coordinator.reportResult(record.id, 'Nope', 1, ok)).toBe(false);
    expect(await coordinator.reportResult('other', 'A', 1, ok)).toBe(false);
    expect(await coordinator.reportResult(record.id, 'A', 1, { state: 'running', handle: { id: 1 } })).toBe(true);
    expect(await store.getStepExecution(record.id, 'A')).toMatchObject({ status: 'Executing', handle: { id: 1 } });
    expect(await coordinator.reportResult(record.id, 'A', 1, ok)).toBe(true);
    expect(await coordinator.reportResult(record.id, 'A', 1, ok)).toBe(false);
    expect(await coordinator.reportResult(record.id, 'A', 1, { state: 'failed', error: { code: 'STEP_FAILED', message: 'late', retryable: false } })).toBe(false);
    expect(await store.getStepExecution(record.id, 'A')).toMatchObject({ status: 'Succeeded', metadata: { ProcessingJob: { Arn: 'arn:job' } } });
    expect(dispatcher.dispatched.map((w) => w.stepName)).toEqual(['A', 'B']);
  });

  it('re-dispatches in-flight attempts only once their launch is committed (a reconciler pass during the commit sends nothing new)', async () => {
    const store = new MemoryStore();
    const { coordinator, dispatcher, record, compiled } = await setup(store, [processing('A'), processing('B', { DependsOn: ['A'] })]);
    coordinator.start(record, compiled);
    await expect.poll(() => dispatcher.dispatched.length).toBe(1);
    // Hold the commit that records A's result and launches B.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const commit = store.commit.bind(store);
    store.commit = async (batch) => {
      await held;
      return commit(batch);
    };
    const reported = coordinator.reportResult(record.id, 'A', 1, ok);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(coordinator.redispatchInFlight(record.id)).toBe(0);
    expect(dispatcher.dispatched.map((w) => w.stepName)).toEqual(['A']);
    release();
    expect(await reported).toBe(true);
    expect(dispatcher.dispatched.map((w) => w.stepName)).toEqual(['A', 'B']);
    // Committed: B is in flight, and a reconciler pass may send it again (same job id).
    expect(coordinator.redispatchInFlight(record.id)).toBe(1);
  });

  it('stops dispatched steps through the dispatcher and ends Stopped once they report', async () => {
    const store = new MemoryStore();
    const { coordinator, dispatcher, record, compiled } = await setup(store, [processing('A')]);
    coordinator.start(record, compiled);
    await expect.poll(() => dispatcher.dispatched.length).toBe(1);
    const done = coordinator.waitFor(record.id)!;
    expect(coordinator.requestStop(record.id)).toBe(true);
    await expect.poll(() => dispatcher.stopped.length).toBe(1);
    expect(await store.getStepExecution(record.id, 'A')).toMatchObject({ status: 'Stopping' });
    expect((await store.getExecution(record.id))?.status).toBe('Stopping');
    await coordinator.reportResult(record.id, 'A', 1, { state: 'stopped' });
    expect(await done).toMatchObject({ status: 'Stopped' });
    expect(await store.getStepExecution(record.id, 'A')).toMatchObject({ status: 'Stopped' });
  });

  it('resumes: an attempt with a handle is re-dispatched as is, one without starts a new attempt', async () => {
    const store = new MemoryStore();
    const first = await setup(store, [processing('A'), processing('B')]);
    first.coordinator.start(first.record, first.compiled);
    await expect.poll(() => first.dispatcher.dispatched.length).toBe(2);
    await first.coordinator.reportResult(first.record.id, 'A', 1, { state: 'running', handle: { pid: 7 } });
    first.coordinator.close();

    const { dispatcher } = await restart(store, first);
    await expect.poll(() => dispatcher.dispatched.length).toBe(2);
    const byStep = Object.fromEntries(dispatcher.dispatched.map((w) => [w.stepName, w]));
    expect(byStep['A']).toMatchObject({ attempt: 1, handle: { pid: 7 } });
    expect(byStep['B']).toMatchObject({ attempt: 2 });
    expect(byStep['B']!.handle).toBeUndefined();
  });

  it('tells observers which steps had finished when it resumes an execution', async () => {
    const store = new MemoryStore();
    const first = await setup(store, [processing('A'), processing('B')]);
    first.coordinator.start(first.record, first.compiled);
    await expect.poll(() => first.dispatcher.dispatched.length).toBe(2);
    await first.coordinator.reportResult(first.record.id, 'A', 1, ok);
    first.coordinator.close();

    const resumed: { executionId: string; steps: string[] }[] = [];
    await restart(store, first, [{ onExecutionResumed: (execution, steps) => void resumed.push({ executionId: execution.id, steps: steps.map((s) => `${s.stepName}:${s.status}`) }) }]);
    await expect.poll(() => resumed).toEqual([{ executionId: first.record.id, steps: ['A:Succeeded'] }]);
  });

  it('resolves step-level fields again when it re-dispatches after a restart', async () => {
    const store = new MemoryStore();
    const steps = [{ Name: 'Fn', Type: 'Lambda', Arguments: {}, FunctionArn: { 'Std:Join': { On: ':', Values: ['arn', { Get: 'Execution.PipelineExecutionId' }] } } }];
    const first = await setup(store, steps);
    first.coordinator.start(first.record, first.compiled);
    await expect.poll(() => first.dispatcher.dispatched.length).toBe(1);
    expect(first.dispatcher.dispatched[0]!.request.stepFields).toEqual({ FunctionArn: `arn:${first.record.id}` });
    await first.coordinator.reportResult(first.record.id, 'Fn', 1, { state: 'running', handle: { invocation: 1 } });
    first.coordinator.close();
    const { dispatcher } = await restart(store, first);
    await expect.poll(() => dispatcher.dispatched.length).toBe(1);
    expect(dispatcher.dispatched[0]!.request.stepFields).toEqual({ FunctionArn: `arn:${first.record.id}` });
  });

  it('resumes a stopping execution: re-dispatches the stopping step by handle and asks it to stop again', async () => {
    const store = new MemoryStore();
    const first = await setup(store, [processing('A')]);
    first.coordinator.start(first.record, first.compiled);
    await expect.poll(() => first.dispatcher.dispatched.length).toBe(1);
    await first.coordinator.reportResult(first.record.id, 'A', 1, { state: 'running', handle: { pid: 9 } });
    first.coordinator.requestStop(first.record.id);
    await expect.poll(() => first.dispatcher.stopped.length).toBe(1);
    first.coordinator.close();

    const { coordinator, dispatcher } = await restart(store, first);
    const done = coordinator.waitFor(first.record.id)!;
    await expect.poll(() => dispatcher.stopped.length).toBe(1);
    expect(dispatcher.dispatched).toMatchObject([{ stepName: 'A', attempt: 1, handle: { pid: 9 } }]);
    await coordinator.reportResult(first.record.id, 'A', 1, { state: 'stopped' });
    expect(await done).toMatchObject({ status: 'Stopped' });
  });

  it('stops driving an execution whose state cannot be written, and tells its waiters', async () => {
    const store = new MemoryStore();
    const { coordinator, dispatcher, record, compiled } = await setup(store, [processing('A')]);
    store.commit = async () => {
      throw new Error('disk full');
    };
    coordinator.start(record, compiled);
    await expect(coordinator.waitFor(record.id)).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('no longer driven') });
    expect(dispatcher.dispatched).toHaveLength(0);
    expect(coordinator.executionIds).toEqual([]);
  });

  it('keeps SQLite records consistent through retries and an execution retry', async () => {
    const store = await SqliteStore.open({ path: ':memory:' });
    try {
      const { coordinator, dispatcher, record, compiled } = await setup(store, [processing('A'), processing('B', { DependsOn: ['A'] })]);
      coordinator.start(record, compiled);
      await expect.poll(() => dispatcher.dispatched.length).toBe(1);
      await coordinator.reportResult(record.id, 'A', 1, ok);
      await expect.poll(() => dispatcher.dispatched.length).toBe(2);
      const failed = coordinator.waitFor(record.id)!;
      await coordinator.reportResult(record.id, 'B', 1, { state: 'failed', error: { code: 'STEP_FAILED', message: 'bad', retryable: false } });
      expect(await failed).toMatchObject({ status: 'Failed', failureReason: 'Step failure: One or multiple steps failed' });
      const failedRecord = (await store.getExecution(record.id))!;
      const other = new Coordinator({ store, artifacts: memoryArtifacts(), dispatcher: new RecordingDispatcher(), logger: silentLogger, clock: new ManualClock() });
      await coordinator.retry(failedRecord, compiled);
      // A second process retrying from the same (now stale) record loses the compare-and-set.
      await expect(other.retry(failedRecord, compiled)).rejects.toMatchObject({ code: 'STORE_CONFLICT' });
      await expect(coordinator.retry(failedRecord, compiled)).rejects.toMatchObject({ code: 'EXECUTION_NOT_RETRYABLE' });
      await expect.poll(() => dispatcher.dispatched.length).toBe(3);
      expect(dispatcher.dispatched[2]).toMatchObject({ stepName: 'B', attempt: 2 });
      const done = coordinator.waitFor(record.id)!;
      await coordinator.reportResult(record.id, 'B', 2, ok);
      expect(await done).toMatchObject({ status: 'Succeeded' });
      const stored = await store.getExecution(record.id);
      expect(stored?.status).toBe('Succeeded');
      expect(stored?.failureReason).toBeUndefined();
      expect((await store.listStepExecutions(record.id)).map((s) => [s.stepName, s.status, s.attempt]).sort()).toEqual([
        ['A', 'Succeeded', 1],
        ['B', 'Succeeded', 2],
      ]);
    } finally {
      await store.close();
    }
  });
});
