import { describe, expect, it, vi } from 'vitest';
import type { ExecutionRecord, StepExecutionRecord } from '../store/execution-store.js';
import { MemoryStore } from '../store/memory-store.js';
import { TEST_ARN_PREFIX, makeExecutionRecord, makeStepRecord } from '../testing/fixtures.js';
import { stepActionArn } from './record-lineage.js';
import { recoverEndedExecutionsLineage } from './recover-lineage.js';

const NOW = 10_000_000;

async function seed(store: MemoryStore, execution: Partial<ExecutionRecord>, steps: [string, Partial<StepExecutionRecord>][]): Promise<ExecutionRecord> {
  const record = makeExecutionRecord(execution);
  await store.createExecution(record);
  await store.commit({ steps: steps.map(([name, s]) => makeStepRecord(record.id, name, s)) });
  return record;
}

/** Stores the Action of a step, as the lineage observer would have. */
async function recorded(store: MemoryStore, execution: ExecutionRecord, stepName: string): Promise<void> {
  await store.putLineageEntity({ arn: stepActionArn(TEST_ARN_PREFIX, execution.id, stepName), kind: 'Action', name: stepName, type: 'Lambda', createdAt: 1 });
}

/** An observer that records what it is asked to recover. */
function observer() {
  const calls: [string, string[]][] = [];
  return { calls, onExecutionResumed: async (e: ExecutionRecord, steps: readonly StepExecutionRecord[]) => void calls.push([e.id, steps.map((s) => s.stepName).sort()]) };
}

describe('recoverEndedExecutionsLineage', () => {
  it('hands the last steps without an Action of executions that ended lately to the observer, and nothing else', async () => {
    const store = new MemoryStore();
    const recent = await seed(store, { status: 'Succeeded', createdAt: NOW - 300_000, endedAt: NOW - 60_000 }, [
      ['Early', { status: 'Succeeded', endTime: NOW - 200_000 }],
      ['Last', { status: 'Succeeded', endTime: NOW - 61_000 }],
      ['Failed', { status: 'Failed', endTime: NOW - 60_000 }],
      ['Copied', { status: 'Succeeded', endTime: NOW - 60_000, selectiveSource: { sourceExecutionArn: 'arn:aws:sagemaker:us-east-1:000000000000:pipeline/p/execution/abcdefabcdef' } }],
    ]);
    const old = await seed(store, { status: 'Succeeded', createdAt: NOW - 7_200_000, endedAt: NOW - 3_600_000 }, [['Old', { status: 'Succeeded', endTime: NOW - 3_600_000 }]]);
    await seed(store, { status: 'Executing', createdAt: NOW - 1_000 }, [['Running', { status: 'Executing' }]]);

    const lineage = observer();
    expect(await recoverEndedExecutionsLineage(store, lineage, { now: NOW, arnPrefix: TEST_ARN_PREFIX })).toBe(1);
    expect(lineage.calls).toEqual([[recent.id, ['Failed', 'Last']]]);

    const further = observer();
    await recoverEndedExecutionsLineage(store, further, { now: NOW, arnPrefix: TEST_ARN_PREFIX, endedWithinMs: 4_000_000 });
    expect(further.calls.map(([id]) => id).sort()).toEqual([old.id, recent.id].sort());
  });

  it('goes back from the step that ended last and stops at the first group of steps whose Actions are all stored', async () => {
    const store = new MemoryStore();
    const steps = Array.from({ length: 40 }, (_, i): [string, Partial<StepExecutionRecord>] => [`s${i}`, { status: 'Succeeded', endTime: NOW - 40 + i }]);
    const execution = await seed(store, { status: 'Succeeded', createdAt: NOW - 1_000, endedAt: NOW }, steps);
    // The observer wrote the steps in the order they ended; a crash cut off the last three.
    for (let i = 0; i < 37; i++) await recorded(store, execution, `s${i}`);
    const lookups = vi.spyOn(store, 'getLineageEntity');

    const lineage = observer();
    await recoverEndedExecutionsLineage(store, lineage, { now: NOW, arnPrefix: TEST_ARN_PREFIX });

    expect(lineage.calls).toEqual([[execution.id, ['s37', 's38', 's39']]]);
    expect(lookups).toHaveBeenCalledTimes(16);
  });

  it('checks nothing more when the last steps have their Actions', async () => {
    const store = new MemoryStore();
    const execution = await seed(store, { status: 'Succeeded', createdAt: NOW - 1_000, endedAt: NOW }, [['A', { status: 'Succeeded', endTime: NOW }]]);
    await recorded(store, execution, 'A');
    const lineage = observer();
    await recoverEndedExecutionsLineage(store, lineage, { now: NOW, arnPrefix: TEST_ARN_PREFIX });
    expect(lineage.calls).toEqual([]);
  });
});
