import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../compile/compile-pipeline.js';
import { parsePipelineDefinition } from '../definition/parse.js';
import { ErrorCode, OrchestratorError } from '../errors.js';
import type { ExecutionRecord, StoreBatch } from '../store/execution-store.js';
import { MemoryStore } from '../store/memory-store.js';
import { makeExecutionRecord } from '../testing/fixtures.js';
import { Coordinator } from './coordinator.js';
import { definition, ManualClock, memoryArtifacts, processing, RecordingDispatcher, silentLogger } from './engine-test-support.js';

/** A memory store that records every batch it is given. */
class RecordingStore extends MemoryStore {
  readonly batches: StoreBatch[] = [];
  override async commit(batch: StoreBatch): Promise<void> {
    this.batches.push(structuredClone(batch));
    await super.commit(batch);
  }
}

const ok = { state: 'succeeded' as const, properties: { ProcessingJobArn: 'arn:job' } };
const FENCE = 'scheduler:test';

/** A coordinator fenced with the fence's first term, driving `executions` executions of A → B. */
async function setup(executions = 1) {
  const store = new RecordingStore();
  const dispatcher = new RecordingDispatcher();
  const fenced: OrchestratorError[] = [];
  const term = await store.advanceFence(FENCE);
  const coordinator = new Coordinator({
    store,
    artifacts: memoryArtifacts(),
    dispatcher,
    logger: silentLogger,
    clock: new ManualClock(),
    fence: { name: FENCE, term },
    onFenced: (err) => fenced.push(err),
  });
  const compiled = compilePipeline(parsePipelineDefinition(definition([processing('A'), processing('B', { DependsOn: ['A'] })])));
  const records: ExecutionRecord[] = [];
  for (let i = 0; i < executions; i++) {
    const record = makeExecutionRecord({ definition: JSON.stringify(compiled.definition) });
    await store.createExecution(record);
    records.push(record);
  }
  return { store, dispatcher, coordinator, compiled, records, fenced, term };
}

describe('Coordinator with a fence', () => {
  it('carries the fence in every commit and works normally while its term is current', async () => {
    const { store, dispatcher, coordinator, compiled, records, fenced, term } = await setup();
    const [record] = records as [ExecutionRecord];
    coordinator.start({ ...record }, compiled);
    await expect.poll(() => dispatcher.dispatched.length).toBe(1);
    const done = coordinator.waitFor(record.id)!;
    expect(await coordinator.reportResult(record.id, 'A', 1, ok)).toBe(true);
    await expect.poll(() => dispatcher.dispatched.length).toBe(2);
    await coordinator.reportResult(record.id, 'B', 1, ok);
    expect((await done).status).toBe('Succeeded');
    expect(store.batches.length).toBeGreaterThan(0);
    expect(store.batches.every((b) => b.fence?.name === FENCE && b.fence.term === term)).toBe(true);
    expect(fenced).toEqual([]);
  });

  it('stops at the first refused commit: nothing of it is dispatched or stored, waiters get FENCED, the owner is told once', async () => {
    const { store, dispatcher, coordinator, compiled, records, fenced } = await setup();
    const [record] = records as [ExecutionRecord];
    coordinator.start({ ...record }, compiled);
    await expect.poll(() => dispatcher.dispatched.length).toBe(1);
    const done = coordinator.waitFor(record.id)!;
    // Another scheduler takes over.
    await store.advanceFence(FENCE);
    // A's result makes B ready: the commit that would launch B is refused.
    expect(await coordinator.reportResult(record.id, 'A', 1, ok)).toBe(false);
    await expect(done).rejects.toMatchObject({ code: ErrorCode.Fenced });
    expect(dispatcher.dispatched.map((w) => w.stepName)).toEqual(['A']);
    expect(await store.getStepExecution(record.id, 'A')).toMatchObject({ status: 'Starting' });
    expect(await store.getStepExecution(record.id, 'B')).toBeUndefined();
    expect(fenced).toHaveLength(1);
    expect(fenced[0]).toBeInstanceOf(OrchestratorError);
    expect(fenced[0]!.code).toBe(ErrorCode.Fenced);
    expect(fenced[0]!.message).toMatch(/To fix: /);

    // It no longer drives anything, and takes nothing new.
    const batches = store.batches.length;
    expect(coordinator.executionIds).toEqual([]);
    expect(await coordinator.reportResult(record.id, 'A', 1, ok)).toBe(false);
    expect(coordinator.requestStop(record.id)).toBe(false);
    expect(coordinator.redispatchInFlight(record.id)).toBe(0);
    expect(() => coordinator.start({ ...record }, compiled)).toThrow(expect.objectContaining({ code: ErrorCode.Fenced }));
    await expect(coordinator.resume({ ...record }, compiled)).rejects.toMatchObject({ code: ErrorCode.Fenced });
    await new Promise((r) => setImmediate(r));
    expect(store.batches).toHaveLength(batches);
    expect(dispatcher.dispatched).toHaveLength(1);
    expect(fenced).toHaveLength(1);
  });

  it('does not fall back to committing each execution of a refused group commit alone', async () => {
    const { store, dispatcher, coordinator, compiled, records, fenced } = await setup(3);
    for (const record of records) coordinator.start({ ...record }, compiled);
    await expect.poll(() => dispatcher.dispatched.length).toBe(3);
    const before = store.batches.length;
    await store.advanceFence(FENCE);
    const results = records.map((r) => coordinator.reportResult(r.id, 'A', 1, ok));
    expect(await Promise.all(results)).toEqual([false, false, false]);
    // One refused group commit, no per-execution retries.
    expect(store.batches).toHaveLength(before + 1);
    expect(store.batches.at(-1)!.steps).toHaveLength(6);
    expect(dispatcher.dispatched).toHaveLength(3);
    expect(fenced).toHaveLength(1);
  });

  it('throws FENCED from a refused retry commit and stops', async () => {
    const { store, coordinator, compiled, records, fenced } = await setup();
    const [record] = records as [ExecutionRecord];
    await store.commit({ executions: [{ id: record.id, patch: { status: 'Failed' } }] });
    const failed = (await store.getExecution(record.id))!;
    await store.advanceFence(FENCE);
    await expect(coordinator.retry(failed, compiled)).rejects.toMatchObject({ code: ErrorCode.Fenced });
    expect(await store.getExecution(record.id)).toMatchObject({ status: 'Failed', version: failed.version });
    expect(coordinator.executionIds).toEqual([]);
    expect(fenced).toHaveLength(1);
  });
});
