import { describe, expect, onTestFinished, vi } from 'vitest';
import { stepActionArn } from '@cairn/core';
import { makeExecutionRecord, makeStepRecord } from '@cairn/core/testing';
import { clusterTest as test, makeCluster } from './harness.js';

describe('distributed runtime: lineage cut off by a scheduler crash', () => {
  test("a new scheduler records the Actions of the last steps of executions that ended just before it took over (and leaves older executions alone)", async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
    onTestFinished(() => cluster.close());
    const { store, config } = cluster;
    await store.putPipeline({ name: 'p', definition: '{"Version":"2020-12-01","Steps":[]}' });
    const now = Date.now();
    // What a scheduler that died right after committing these executions' ends leaves behind: no lineage.
    const ended = async (endedAt: number) => {
      const execution = makeExecutionRecord({ pipelineName: 'p', status: 'Succeeded', createdAt: endedAt - 1_000, endedAt, runtime: 'distributed' });
      await store.createExecution(execution);
      await store.commit({ steps: [makeStepRecord(execution.id, 'Last', { stepType: 'Lambda', status: 'Succeeded', startTime: endedAt - 500, endTime: endedAt })] });
      return execution;
    };
    const recent = await ended(now - 5_000);
    const old = await ended(now - 3_600_000);
    const action = (id: string) => store.getLineageEntity(stepActionArn(config.arnPrefix, id, 'Last'));
    expect(await action(recent.id)).toBeUndefined();

    await cluster.scheduler();

    await vi.waitFor(async () => expect(await action(recent.id)).toMatchObject({ kind: 'Action', name: 'Last' }), { timeout: 10_000, interval: 100 });
    expect(await action(old.id)).toBeUndefined();
  });
});
