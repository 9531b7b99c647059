import { Redis } from 'ioredis';
import { describe, expect, onTestFinished, vi } from 'vitest';
import { queryLineage } from '@cairn/core';
import { eventStreamKey } from '../../src/events-redis-stream.js';
import { clusterTest as test, definition, makeCluster, NODE_IMAGE } from './harness.js';

const MODEL_DATA = 's3://fixtures/models/model.tar.gz';

describe('distributed runtime: Model Registry events and lineage', () => {
  test('a RegisterModel step run by a worker emits its event on <prefix>:events; approvals too; lineage is recorded', async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
    onTestFinished(() => cluster.close());
    const { registry } = await cluster.scheduler();
    await cluster.worker();
    const register = {
      Name: 'Register',
      Type: 'RegisterModel',
      Arguments: { ModelPackageGroupName: 'Churn', InferenceSpecification: { Containers: [{ Image: NODE_IMAGE, ModelDataUrl: MODEL_DATA }] } },
    };
    const final = await cluster.run(definition([register]));
    expect(final.status).toBe('Succeeded');

    const redis = new Redis(redisUrl);
    onTestFinished(() => void redis.disconnect());
    const statuses = async () =>
      (await redis.xrange(eventStreamKey(prefix), '-', '+')).map(([, fields]) => {
        const event = JSON.parse(fields[fields.indexOf('event') + 1] ?? '{}') as { detail: { ModelApprovalStatus: string; ModelPackageArn: string } };
        return event.detail.ModelApprovalStatus;
      });
    await vi.waitFor(async () => expect(await statuses()).toEqual(['PendingManualApproval']), { timeout: 10_000, interval: 100 });

    const v1 = await registry.approve('Churn/1', 'alice', 'ok');
    expect(v1.record.executionArn).toBe(final.arn);
    await vi.waitFor(async () => expect(await statuses()).toEqual(['PendingManualApproval', 'Approved']), { timeout: 10_000, interval: 100 });
    expect((await cluster.store.listDeliveries({})).map((d) => d.status)).toEqual(['delivered', 'delivered']);

    const up = await queryLineage(cluster.store, v1.record.arn, { direction: 'upstream' });
    expect(up.vertices.find((v) => v.kind === 'Action')).toMatchObject({ name: 'Register', type: 'ModelRegistration' });
    expect(up.vertices.some((v) => v.sourceUri === MODEL_DATA)).toBe(true);
  });
});
