import { describe, expect, it } from 'vitest';
import type { ExecutionRecord, StepExecutionRecord } from '../store/execution-store.js';
import { MemoryStore } from '../store/memory-store.js';
import { makeExecutionRecord, makeStepRecord } from '../testing/fixtures.js';
import { recoverEndedExecutionsLineage } from './recover-lineage.js';

const NOW = 10_000_000;

async function seed(store: MemoryStore, execution: Partial<ExecutionRecord>, steps: [string, Partial<StepExecutionRecord>][]): Promise<ExecutionRecord> {
  const record = makeExecutionRecord(execution);
  await store.createExecution(record);
  await store.commit({ steps: steps.map(([name, s]) => makeStepRecord(record.id, name, s)) });
  return record;
}

describe('recoverEndedExecutionsLineage', () => {
  it("hands the last steps of executions that ended lately to the observer's recovery, and nothing else", async () => {
    const store = new MemoryStore();
    const recent = await seed(store, { status: 'Succeeded', createdAt: NOW - 300_000, endedAt: NOW - 60_000 }, [
      ['Early', { status: 'Succeeded', endTime: NOW - 200_000 }],
      ['Last', { status: 'Succeeded', endTime: NOW - 61_000 }],
      ['Failed', { status: 'Failed', endTime: NOW - 60_000 }],
    ]);
    await seed(store, { status: 'Succeeded', createdAt: NOW - 7_200_000, endedAt: NOW - 3_600_000 }, [['Old', { status: 'Succeeded', endTime: NOW - 3_600_000 }]]);
    await seed(store, { status: 'Executing', createdAt: NOW - 1_000 }, [['Running', { status: 'Executing' }]]);

    const calls: [string, string[]][] = [];
    const checked = await recoverEndedExecutionsLineage(store, { onExecutionResumed: async (e, steps) => void calls.push([e.id, steps.map((s) => s.stepName).sort()]) }, { now: NOW });

    expect(checked).toBe(1);
    expect(calls).toEqual([[recent.id, ['Failed', 'Last']]]);
  });

  it('looks as far back as it is told', async () => {
    const store = new MemoryStore();
    const old = await seed(store, { status: 'Failed', createdAt: NOW - 7_200_000, endedAt: NOW - 3_600_000 }, [['Old', { status: 'Failed', endTime: NOW - 3_600_000 }]]);
    const calls: string[] = [];
    await recoverEndedExecutionsLineage(store, { onExecutionResumed: async (e) => void calls.push(e.id) }, { now: NOW, endedWithinMs: 4_000_000 });
    expect(calls).toEqual([old.id]);
  });
});
