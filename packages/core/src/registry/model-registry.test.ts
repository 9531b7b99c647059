import { describe, expect, it } from 'vitest';
import { ErrorCode, OrchestratorError } from '../errors.js';
import { MemoryStore } from '../store/memory-store.js';
import { TEST_ARN_PREFIX } from '../testing/fixtures.js';
import { ModelRegistry, type RemoteModelRegistry } from './model-registry.js';
import type { ModelApprovalStatus } from '../store/registry-store.js';
import type { EventSink } from '../events/sinks.js';
import type { StoredEvent } from '../store/event-store.js';

function setup(sinks: EventSink[] = []) {
  let now = 1_000;
  const store = new MemoryStore();
  const registry = new ModelRegistry({ store, sinks, clock: { now: () => now++ } });
  const create = () =>
    registry.createModelPackage({
      request: { ModelPackageGroupName: 'Churn', InferenceSpecification: { Containers: [{ Image: 'img' }] } },
      createdBy: 'pipeline',
      arnPrefix: TEST_ARN_PREFIX,
      now: now++,
      executionArn: `${TEST_ARN_PREFIX}:pipeline/p/execution/abc`,
    });
  return { store, registry, create };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (e: unknown) => (e instanceof OrchestratorError ? e.code : 'not an OrchestratorError'),
  );
}

describe('ModelRegistry approval transitions', () => {
  it('allows pending → approved → rejected → approved → pending', async () => {
    const { registry, create } = setup();
    const v1 = await create();
    expect((await registry.approve(v1.arn, 'alice', 'good metrics')).record.approvalStatus).toBe('Approved');
    expect((await registry.reject('Churn/1', 'bob', 'drift')).record.approvalStatus).toBe('Rejected');
    expect((await registry.approve('Churn/1', 'carol')).record.approvalStatus).toBe('Approved');
    const back = await registry.updateApprovalStatus({ ref: 'Churn/1', status: 'PendingManualApproval', by: 'dave', now: 9_999 });
    expect(back.change).toMatchObject({ from: 'Approved', to: 'PendingManualApproval', by: 'dave' });
  });

  it('refuses a no-op with APPROVAL_TRANSITION_INVALID and a clear message', async () => {
    const { registry, create } = setup();
    await create();
    const err = await registry.updateApprovalStatus({ ref: 'Churn/1', status: 'PendingManualApproval', by: 'x', now: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrchestratorError);
    expect((err as OrchestratorError).code).toBe(ErrorCode.ApprovalTransitionInvalid);
    expect((err as OrchestratorError).message).toMatch(/already PendingManualApproval\. To fix: from PendingManualApproval you can go to Approved or Rejected\./);
    await registry.approve('Churn/1', 'a');
    expect(await codeOf(registry.approve('Churn/1', 'a'))).toBe(ErrorCode.ApprovalTransitionInvalid);
  });

  it('refuses a move whose expected status no longer holds, and unknown versions', async () => {
    const { registry, create } = setup();
    await create();
    await registry.approve('Churn/1', 'a');
    expect(await codeOf(registry.updateApprovalStatus({ ref: 'Churn/1', status: 'Rejected', by: 'b', now: 1, expectedStatus: 'PendingManualApproval' }))).toBe(
      ErrorCode.StoreConflict,
    );
    expect(await codeOf(registry.approve('Churn/7', 'a'))).toBe(ErrorCode.ModelPackageNotFound);
  });

  it('keeps the audit trail: from, to, who, when, why', async () => {
    const { registry, create } = setup();
    const v1 = await create();
    await registry.approve('Churn/1', 'alice', 'looks good');
    await registry.reject('Churn/1', 'bob', 'bias found');
    const trail = await registry.listApprovalChanges(v1.arn);
    expect(trail.map(({ from, to, by, reason }) => ({ from, to, by, reason }))).toEqual([
      { from: null, to: 'PendingManualApproval', by: 'pipeline', reason: undefined },
      { from: 'PendingManualApproval', to: 'Approved', by: 'alice', reason: 'looks good' },
      { from: 'Approved', to: 'Rejected', by: 'bob', reason: 'bias found' },
    ]);
    expect(trail.every((c, i) => i === 0 || c.at > (trail[i - 1]?.at ?? 0))).toBe(true);
  });

  it('finds the latest version in a status, and version 2 leaves version 1 alone', async () => {
    const { registry, create } = setup();
    await create();
    await registry.approve('Churn/1', 'a');
    await create();
    expect((await registry.latest('Churn'))?.version).toBe(1);
    expect((await registry.latest('Churn', 'PendingManualApproval'))?.version).toBe(2);
    await registry.approve('Churn/2', 'a');
    expect((await registry.latest('Churn'))?.version).toBe(2);
    expect((await registry.describe('Churn/1')).approvalStatus).toBe('Approved');
    expect(await registry.latest('Other')).toBeUndefined();
  });
});

describe('ModelRegistry.waitForApproval', () => {
  it('reports reached, opposite and timeout', async () => {
    const { registry, create } = setup();
    await create();
    await create();
    await create();
    const approved = registry.waitForApproval('Churn/1', 'Approved', { timeoutMs: 10_000, pollIntervalMs: 5 });
    await registry.approve('Churn/1', 'a');
    expect((await approved).outcome).toBe('reached');
    const rejected = registry.waitForApproval('Churn/2', 'Approved', { timeoutMs: 10_000, pollIntervalMs: 5 });
    await registry.reject('Churn/2', 'a');
    expect((await rejected).outcome).toBe('opposite');
    const timedOut = await registry.waitForApproval('Churn/3', 'Approved', { timeoutMs: 1, pollIntervalMs: 1 });
    expect(timedOut).toMatchObject({ outcome: 'timeout', record: { approvalStatus: 'PendingManualApproval' } });
  });
});

describe('ModelRegistry events', () => {
  it('records a Model Package State Change event for creation and each change', async () => {
    const received: StoredEvent[] = [];
    const sink: EventSink = { id: 'test', deliver: async (event) => void received.push(event) };
    const { registry, store, create } = setup([sink]);
    const v1 = await create();
    await registry.approve('Churn/1', 'alice', 'ok');
    expect(await registry.flush(1_000)).toBe(true);
    expect(received.map((e) => (e.envelope['detail'] as { ModelApprovalStatus: string }).ModelApprovalStatus)).toEqual(['PendingManualApproval', 'Approved']);
    expect(received[1]?.envelope).toMatchObject({
      version: '0',
      'detail-type': 'SageMaker Model Package State Change',
      source: 'aws.sagemaker',
      account: '123456789012',
      region: 'us-east-1',
      resources: [v1.arn],
      detail: { ModelPackageGroupName: 'Churn', ModelPackageVersion: 1, ModelPackageArn: v1.arn, ApprovalDescription: 'ok' },
    });
    expect(received[1]?.envelope['time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect((await store.listDeliveries({ status: 'delivered' })).length).toBe(2);
  });
});

describe('ModelRegistry with a remote registry', () => {
  function remoteSetup() {
    const calls: string[] = [];
    const remoteStatus = new Map<string, { status: ModelApprovalStatus; reason?: string }>();
    const remote: RemoteModelRegistry = {
      remoteArn: (record) => (record.description['CreatedBy'] as { UserProfileName?: string }).UserProfileName === 'remote' ? `remote:${record.arn}` : undefined,
      updateApprovalStatus: async (arn, status, reason) => {
        calls.push(`${arn} ${status} ${reason ?? ''}`);
        if (reason === 'refuse') throw new Error('remote refused');
        remoteStatus.set(arn, { status, ...(reason !== undefined ? { reason } : {}) });
      },
      describeApproval: async (arn) => remoteStatus.get(arn) ?? { status: 'PendingManualApproval' },
    };
    const store = new MemoryStore();
    const registry = new ModelRegistry({ store, remote });
    const create = (createdBy: string) =>
      registry.createModelPackage({ request: { ModelPackageGroupName: 'Churn' }, createdBy, arnPrefix: TEST_ARN_PREFIX, now: 1 });
    return { calls, remoteStatus, registry, create };
  }

  it('changes a mirrored version remotely first, and not at all when the remote refuses', async () => {
    const { calls, registry, create } = remoteSetup();
    const mirrored = await create('remote');
    const own = await create('pipeline');
    await registry.approve(mirrored.arn, 'alice', 'ok');
    await registry.approve(own.arn, 'alice', 'ok');
    expect(calls).toEqual([`remote:${mirrored.arn} Approved ok`]);
    await expect(registry.reject(mirrored.arn, 'bob', 'refuse')).rejects.toThrow('remote refused');
    expect((await registry.describe(mirrored.arn)).approvalStatus).toBe('Approved');
  });

  it('refresh and waitForApproval record a decision taken remotely', async () => {
    const { remoteStatus, registry, create } = remoteSetup();
    const mirrored = await create('remote');
    expect((await registry.refresh(mirrored.arn)).approvalStatus).toBe('PendingManualApproval');
    const waiting = registry.waitForApproval(mirrored.arn, 'Approved', { timeoutMs: 10_000, pollIntervalMs: 5 });
    remoteStatus.set(`remote:${mirrored.arn}`, { status: 'Approved', reason: 'approved in Studio' });
    expect((await waiting).outcome).toBe('reached');
    const trail = await registry.listApprovalChanges(mirrored.arn);
    expect(trail.at(-1)).toMatchObject({ from: 'PendingManualApproval', to: 'Approved', by: 'sagemaker', reason: 'approved in Studio' });
  });
});

describe('ModelRegistry event types', () => {
  it('records deliveries only for sinks that take Model Package State Change events', async () => {
    const all: EventSink = { id: 'all', deliver: async () => undefined };
    const other: EventSink = { id: 'other', eventTypes: ['Something Else'], deliver: async () => undefined };
    const { registry, store, create } = setup([all, other]);
    await create();
    expect(await registry.flush(1_000)).toBe(true);
    expect((await store.listDeliveries({})).map((d) => d.sinkId)).toEqual(['all']);
  });
});
