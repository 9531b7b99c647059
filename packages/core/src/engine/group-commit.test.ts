import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../compile/compile-pipeline.js';
import type { CompiledPipeline } from '../compile/types.js';
import { parsePipelineDefinition } from '../definition/parse.js';
import type { ExecutionRecord, StoreBatch } from '../store/execution-store.js';
import { MemoryStore } from '../store/memory-store.js';
import { makeExecutionRecord } from '../testing/fixtures.js';
import { Coordinator, type CoordinatorOptions } from './coordinator.js';
import { definition, gate, ManualClock, memoryArtifacts, processing, silentLogger } from './engine-test-support.js';
import type { StepDispatcher, StepRef, StepWork } from './types.js';

/** A memory store that records every batch and can hold commits until a gate opens. */
class RecordingStore extends MemoryStore {
  readonly batches: StoreBatch[] = [];
  hold: Promise<void> | undefined;
  /** Rejects (without applying) any batch that writes a step or patch of this execution. */
  failFor: string | undefined;

  override async commit(batch: StoreBatch): Promise<void> {
    this.batches.push(structuredClone(batch));
    await this.hold;
    const ids = new Set([...(batch.steps ?? []).map((s) => s.executionId), ...(batch.executions ?? []).map((e) => e.id)]);
    if (this.failFor !== undefined && ids.has(this.failFor)) throw new Error(`cannot write ${this.failFor}`);
    await super.commit(batch);
  }

  /** The executions each recorded batch touches. */
  get executionsPerBatch(): number[] {
    return this.batches.map((b) => new Set((b.steps ?? []).map((s) => s.executionId)).size);
  }
}

class RecordingDispatcher implements StepDispatcher {
  readonly dispatched: StepWork[] = [];
  dispatch(work: StepWork): void {
    this.dispatched.push(work);
  }
  stop(_ref: StepRef): void {}
}

const ok = { state: 'succeeded' as const, properties: { ProcessingJobArn: 'arn:job' } };

async function setup(executions: number, steps: unknown[] = [processing('A'), processing('B', { DependsOn: ['A'] })], options: Partial<CoordinatorOptions> = {}) {
  const store = new RecordingStore();
  const dispatcher = new RecordingDispatcher();
  const coordinator = new Coordinator({ store, artifacts: memoryArtifacts(), dispatcher, logger: silentLogger, clock: new ManualClock(), ...options });
  const compiled = compilePipeline(parsePipelineDefinition(definition(steps)));
  const records: ExecutionRecord[] = [];
  for (let i = 0; i < executions; i++) {
    const record = makeExecutionRecord({ definition: JSON.stringify(compiled.definition) });
    await store.createExecution(record);
    records.push(record);
  }
  return { store, dispatcher, coordinator, compiled, records };
}

function startAll(coordinator: Coordinator, records: ExecutionRecord[], compiled: CompiledPipeline): void {
  for (const record of records) coordinator.start({ ...record }, compiled);
}

/** A logger whose lines the test can read. */
function capturingLogger() {
  const lines: { level: number; msg: string; executionId?: string; executions?: number }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('Coordinator group commit', () => {
  it('commits what every execution decided in one tick in one batch, then dispatches', async () => {
    const { store, dispatcher, coordinator, compiled, records } = await setup(5);
    startAll(coordinator, records, compiled);
    await expect.poll(() => dispatcher.dispatched.length).toBe(5);
    expect(store.executionsPerBatch).toEqual([5]);

    // Results of all five in one tick: one batch carries every Succeeded A and Starting B.
    const results = records.map((r) => coordinator.reportResult(r.id, 'A', 1, ok));
    expect(await Promise.all(results)).toEqual([true, true, true, true, true]);
    expect(store.batches).toHaveLength(2);
    expect(store.batches[1]!.steps).toHaveLength(10);
    await expect.poll(() => dispatcher.dispatched.length).toBe(10);

    const finals = records.map((r) => coordinator.waitFor(r.id)!);
    await Promise.all(records.map((r) => coordinator.reportResult(r.id, 'B', 1, ok)));
    expect((await Promise.all(finals)).map((r) => r.status)).toEqual(Array(5).fill('Succeeded'));
    // The last batch ends all five executions: five patches beside the step records.
    expect(store.batches.at(-1)!.executions?.map((e) => e.patch.status)).toEqual(Array(5).fill('Succeeded'));
    expect(store.batches).toHaveLength(3);
    for (const r of records) expect(await store.getExecution(r.id)).toMatchObject({ status: 'Succeeded', version: 2 });
  });

  it('bounds a batch by maxCommitSteps without splitting an execution, and commits the rest next', async () => {
    const { store, dispatcher, coordinator, compiled, records } = await setup(5, [processing('A'), processing('B')], { maxCommitSteps: 5 });
    startAll(coordinator, records, compiled);
    await expect.poll(() => dispatcher.dispatched.length).toBe(10);
    expect(store.batches.map((b) => b.steps?.length)).toEqual([4, 4, 2]);
    expect(store.executionsPerBatch).toEqual([2, 2, 1]);
  });

  it('collects changes made while a commit is in flight for the next one, and dispatches nothing before its own commit', async () => {
    const { store, dispatcher, coordinator, compiled, records } = await setup(3);
    const held = gate();
    store.hold = held.promise;
    coordinator.start({ ...records[0]! }, compiled);
    await expect.poll(() => store.batches.length).toBe(1);
    coordinator.start({ ...records[1]! }, compiled);
    coordinator.start({ ...records[2]! }, compiled);
    await new Promise((r) => setImmediate(r));
    expect(store.batches).toHaveLength(1);
    expect(dispatcher.dispatched).toHaveLength(0);
    held.open();
    await expect.poll(() => dispatcher.dispatched.length).toBe(3);
    expect(store.executionsPerBatch).toEqual([1, 2]);
  });

  it('resolves a reported result only once the batch carrying its consequence is committed', async () => {
    const { store, dispatcher, coordinator, compiled, records } = await setup(2);
    startAll(coordinator, records, compiled);
    await expect.poll(() => dispatcher.dispatched.length).toBe(2);
    const held = gate();
    store.hold = held.promise;
    let settled = false;
    const accepted = coordinator.reportResult(records[0]!.id, 'A', 1, ok).then((v) => ((settled = true), v));
    await expect.poll(() => store.batches.length).toBe(2);
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    expect(await store.getStepExecution(records[0]!.id, 'A')).toMatchObject({ status: 'Starting' });
    held.open();
    expect(await accepted).toBe(true);
    expect(await store.getStepExecution(records[0]!.id, 'A')).toMatchObject({ status: 'Succeeded' });
  });

  it('resolves a reported result false when its execution is abandoned before the commit (it was not recorded)', async () => {
    const { store, dispatcher, coordinator, compiled, records } = await setup(1);
    startAll(coordinator, records, compiled);
    await expect.poll(() => dispatcher.dispatched.length).toBe(1);
    const abandoned = coordinator.waitFor(records[0]!.id)!.catch((err: unknown) => err);
    store.failFor = records[0]!.id;
    await expect(coordinator.reportResult(records[0]!.id, 'A', 1, ok)).resolves.toBe(false);
    expect(await abandoned).toMatchObject({ code: 'INTERNAL' });
    expect(await store.getStepExecution(records[0]!.id, 'A')).toMatchObject({ status: 'Starting' });
  });

  it('when a group commit fails, commits each execution alone and abandons only the one whose part fails', async () => {
    const { logger, lines } = capturingLogger();
    const { store, dispatcher, coordinator, compiled, records } = await setup(3, undefined, { logger });
    const [a, bad, c] = records as [ExecutionRecord, ExecutionRecord, ExecutionRecord];
    store.failFor = bad.id;
    startAll(coordinator, records, compiled);
    const abandoned = coordinator.waitFor(bad.id)!;
    await expect(abandoned).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining(bad.id) });
    await expect.poll(() => dispatcher.dispatched.length).toBe(2);
    expect(dispatcher.dispatched.map((w) => w.executionId).sort()).toEqual([a.id, c.id].sort());
    // One group attempt, then one batch per execution.
    expect(store.executionsPerBatch).toEqual([3, 1, 1, 1]);
    expect(await store.getStepExecution(bad.id, 'A')).toBeUndefined();
    expect(await store.getStepExecution(a.id, 'A')).toMatchObject({ status: 'Starting', version: 1 });
    expect(coordinator.executionIds.sort()).toEqual([a.id, c.id].sort());
    expect(lines.filter((l) => l.level >= 40).map((l) => [l.msg, l.executionId ?? l.executions])).toEqual([
      ['group commit failed; committing each execution alone', 3],
      ['could not write execution state; the execution is no longer driven by this process (resume it)', bad.id],
    ]);

    // The others go on in later group commits.
    store.failFor = undefined;
    const done = [a, c].map((r) => coordinator.waitFor(r.id)!);
    await Promise.all([a, c].map((r) => coordinator.reportResult(r.id, 'A', 1, ok)));
    await expect.poll(() => dispatcher.dispatched.length).toBe(4);
    await Promise.all([a, c].map((r) => coordinator.reportResult(r.id, 'B', 1, ok)));
    expect((await Promise.all(done)).map((r) => r.status)).toEqual(['Succeeded', 'Succeeded']);
  });

  describe('a wide fan-out', () => {
    const fan = (n: number) => [processing('root'), ...Array.from({ length: n }, (_, i) => processing(`m${i}`, { DependsOn: ['root'] })), processing('sink', { DependsOn: Array.from({ length: n }, (_, i) => `m${i}`) })];

    it('launches at most maxLaunchesPerCommit steps per commit, each dispatched only after the commit of its own record', async () => {
      const { store, dispatcher, coordinator, compiled, records } = await setup(1, fan(25), { maxLaunchesPerCommit: 10 });
      const committedBefore = new Map<string, number>();
      const dispatch = dispatcher.dispatch.bind(dispatcher);
      dispatcher.dispatch = (work) => {
        // How many batches had been committed when each step was dispatched.
        committedBefore.set(work.stepName, store.batches.length);
        dispatch(work);
      };
      const [record] = records as [ExecutionRecord];
      startAll(coordinator, records, compiled);
      await expect.poll(() => dispatcher.dispatched.length).toBe(1);
      const done = coordinator.waitFor(record.id)!;
      await coordinator.reportResult(record.id, 'root', 1, ok);
      await expect.poll(() => dispatcher.dispatched.length).toBe(26);
      // root Starting; root Succeeded + 10 Starting; 10; 5.
      expect(store.batches.map((b) => b.steps?.length)).toEqual([1, 11, 10, 5]);
      for (const [i, batch] of store.batches.entries()) {
        for (const step of batch.steps ?? []) if (step.status === 'Starting') expect(committedBefore.get(step.stepName), step.stepName).toBe(i + 1);
      }
      await Promise.all(Array.from({ length: 25 }, (_, i) => coordinator.reportResult(record.id, `m${i}`, 1, ok)));
      await expect.poll(() => dispatcher.dispatched.at(-1)?.stepName).toBe('sink');
      await coordinator.reportResult(record.id, 'sink', 1, ok);
      expect((await done).status).toBe('Succeeded');
    });

    it('results arriving while the backlog waits do not launch more than maxLaunchesPerCommit into one commit', async () => {
      const { store, dispatcher, coordinator, compiled, records } = await setup(1, fan(35), { maxLaunchesPerCommit: 10 });
      const [record] = records as [ExecutionRecord];
      startAll(coordinator, records, compiled);
      await expect.poll(() => dispatcher.dispatched.length).toBe(1);
      const done = coordinator.waitFor(record.id)!;
      const held = gate();
      store.hold = held.promise;
      const rootDone = coordinator.reportResult(record.id, 'root', 1, ok);
      await expect.poll(() => store.batches.length).toBe(2);
      held.open();
      store.hold = undefined;
      await rootDone;
      // Results of the first chunk, each pumping the scheduler while 25 steps wait in the backlog.
      await Promise.all(Array.from({ length: 10 }, (_, i) => coordinator.reportResult(record.id, `m${i}`, 1, ok)));
      await expect.poll(() => dispatcher.dispatched.length).toBe(36);
      const starting = store.batches.map((b) => (b.steps ?? []).filter((s) => s.status === 'Starting').length);
      expect(Math.max(...starting)).toBe(10);
      expect(starting.reduce((a, b) => a + b, 0)).toBe(36);
      await Promise.all(Array.from({ length: 25 }, (_, i) => coordinator.reportResult(record.id, `m${i + 10}`, 1, ok)));
      await expect.poll(() => dispatcher.dispatched.at(-1)?.stepName).toBe('sink');
      await coordinator.reportResult(record.id, 'sink', 1, ok);
      expect((await done).status).toBe('Succeeded');
    });

    it('launches nothing more from the backlog once a launched step fails, and ends Failed when the launched ones are done', async () => {
      const { store, dispatcher, coordinator, compiled, records } = await setup(1, fan(25), { maxLaunchesPerCommit: 10 });
      const [record] = records as [ExecutionRecord];
      const held = gate();
      startAll(coordinator, records, compiled);
      await expect.poll(() => dispatcher.dispatched.length).toBe(1);
      const done = coordinator.waitFor(record.id)!;
      await coordinator.reportResult(record.id, 'root', 1, ok);
      await expect.poll(() => dispatcher.dispatched.length).toBe(11);
      // Hold the commit of the second chunk, fail a step of the first meanwhile.
      store.hold = held.promise;
      await expect.poll(() => store.batches.length).toBe(3);
      const failed = coordinator.reportResult(record.id, 'm0', 1, { state: 'failed', error: { code: 'STEP_FAILED', message: 'boom', retryable: false } });
      held.open();
      store.hold = undefined;
      expect(await failed).toBe(true);
      await expect.poll(() => dispatcher.dispatched.length).toBe(21);
      await new Promise((r) => setTimeout(r, 20));
      // The second chunk was committed before the failure; the rest of the backlog never starts.
      expect(dispatcher.dispatched).toHaveLength(21);
      await Promise.all(Array.from({ length: 19 }, (_, i) => coordinator.reportResult(record.id, `m${i + 1}`, 1, ok)));
      expect((await done).status).toBe('Failed');
      expect(await store.getStepExecution(record.id, 'm24')).toBeUndefined();
    });
  });
});
