import { join } from 'node:path';
import { Queue } from 'bullmq';
import { describe, expect, onTestFinished, vi } from 'vitest';
import { sendCallbackSuccess, type CallbackMessage } from '@cairn/core';
import { ClusterClient } from '../../src/cluster-client.js';
import { createDeployment } from '../../src/deployment.js';
import { QueueName, stepJobId } from '../../src/queues.js';
import { clusterTest as test, definition, makeCluster, recordStep, runsOf } from './harness.js';

describe('long-running backend jobs', () => {
  test('a waiting Callback step holds no worker slot: its job is re-delayed between polls until the token is redeemed', async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
    onTestFinished(() => cluster.close());
    await cluster.scheduler();
    // Polls far apart, so the check below falls between two polls even on a loaded machine.
    const { worker } = await cluster.worker({ concurrency: 1, pollIntervalMs: 2_000 });
    const messages: CallbackMessage[] = [];
    const { connection } = cluster.settings;
    const client = new ClusterClient({ connection, prefix, store: cluster.store, router: createDeployment(cluster.config, cluster.store, cluster.settings.logger).router, arnPrefix: cluster.config.arnPrefix, callbackSink: (m) => messages.push(m) });
    const steps = new Queue(QueueName.Steps, { connection, prefix });
    onTestFinished(async () => {
      await client.close();
      await steps.close();
    });
    const log = join(cluster.workspace, 'runs.log');
    const approve = { Name: 'Approve', Type: 'Callback', Arguments: { model: 'm1' }, SqsQueueUrl: 'https://sqs.local/q', OutputParameters: [{ OutputName: 'ok', OutputType: 'Boolean' }] };
    const started = await client.startExecution({ pipelineName: 'p', definition: JSON.stringify(definition([approve, recordStep('After', log, ['Approve'])])) });

    await vi.waitFor(() => expect(messages).toHaveLength(1), { timeout: 10_000, interval: 20 });
    const jobId = stepJobId({ executionId: started.id, stepName: 'Approve', attempt: 1 });
    await vi.waitFor(async () => expect(await steps.getJob(jobId).then((j) => j?.isDelayed())).toBe(true), { timeout: 10_000, interval: 20 });
    expect(worker.activeCount).toBe(0);
    // The handle travels with the `running` result; the scheduler stores it.
    await vi.waitFor(async () => expect(await cluster.store.getStepExecution(started.id, 'Approve')).toMatchObject({ status: 'Executing', handle: expect.objectContaining({ tokenHash: expect.any(String) }) }), { timeout: 10_000, interval: 20 });

    await sendCallbackSuccess(cluster.store, messages[0]!.token, { ok: 'true' });
    const final = await client.waitForExecution(started.id);
    expect(final.status).toBe('Succeeded');
    expect((await cluster.store.getStepExecution(started.id, 'Approve'))?.properties).toEqual({ OutputParameters: { ok: true } });
    expect(runsOf(log)).toEqual(['After']);
  });
});
