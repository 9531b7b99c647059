import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, OrchestratorError } from '../errors.js';
import type { StepExecutionRecord, StoreBatch } from '../store/execution-store.js';
import type { StoredEvent } from '../store/event-store.js';
import type { LineageAssociation, LineageEntity } from '../store/lineage-store.js';
import type { ModelPackageRecord } from '../store/registry-store.js';
import type { CairnStore } from '../store/store.js';
import { TEST_ARN_PREFIX, makeExecutionRecord, makeStepRecord } from './fixtures.js';

/** What a contract run needs: a fresh, empty store and a way to dispose of it. */
export type MakeStore = () => Promise<{ store: CairnStore; cleanup: () => Promise<void> }>;

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected an OrchestratorError with code ${code}`).toBeInstanceOf(OrchestratorError);
  expect((error as OrchestratorError).code).toBe(code);
  expect((error as OrchestratorError).message).toMatch(/To fix: /);
}

/** A step record with every optional field set, to prove the round trip is lossless. */
function fullStep(executionId: string): StepExecutionRecord {
  return makeStepRecord(executionId, 'Train', {
    status: 'Failed',
    attempt: 2,
    displayName: 'Train it',
    description: 'trains',
    startTime: 1_100,
    endTime: 1_200,
    failureReason: 'ClientError: boom',
    error: { code: ErrorCode.StepFailed, message: 'boom', retryable: false, details: { exitCode: 2 } },
    metadata: { TrainingJob: { Arn: 'arn:aws:sagemaker:us-east-1:1:training-job/x' } },
    properties: { ModelArtifacts: { S3ModelArtifacts: 's3://b/model.tar.gz' }, List: [1, 'two', null, true] },
    resolvedArguments: { HyperParameters: { eta: '0.2' } },
    cacheKey: 'k1',
    cacheHit: { sourceExecutionArn: 'arn:x', sourceExecutionId: 'abc', reason: 'same arguments' },
    selectiveSource: { sourceExecutionArn: 'arn:y' },
    executorId: 'local',
    handle: { pid: 42, sandbox: '/tmp/x' },
    notBefore: 1_300,
    logPath: '/tmp/x/log.txt',
    updatedAt: 1_250,
  });
}

/**
 * The contract every `CairnStore` passes: each method, compare-and-set and atomicity of
 * batches, registry versioning, the event outbox and lineage de-duplication. `makeStore` returns a fresh store.
 */
export function describeStoreContract(name: string, makeStore: MakeStore): void {
  describe(`CairnStore contract: ${name}`, () => {
    let store: CairnStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
    });
    afterEach(async () => {
      await cleanup();
    });

    describe('pipelines', () => {
      it('stores a new version only when the definition or settings change', async () => {
        const v1 = await store.putPipeline({ name: 'churn', definition: '{"a":1}' });
        expect(v1).toMatchObject({ name: 'churn', version: 1, definition: '{"a":1}' });
        expect(v1.arn).toMatch(/^arn:aws:sagemaker:[^:]+:[^:]+:pipeline\/churn$/);
        expect((await store.putPipeline({ name: 'churn', definition: '{"a":1}' })).version).toBe(1);
        expect((await store.putPipeline({ name: 'churn', definition: '{"a":2}' })).version).toBe(2);
        const v3 = await store.putPipeline({ name: 'churn', definition: '{"a":2}', roleArn: 'arn:role', maxParallelExecutionSteps: 4 });
        expect(v3).toMatchObject({ version: 3, roleArn: 'arn:role', maxParallelExecutionSteps: 4 });
        expect(await store.getPipeline('churn')).toEqual(v3);
        expect((await store.getPipeline('churn', 1))?.definition).toBe('{"a":1}');
        expect(await store.getPipeline('churn', 9)).toBeUndefined();
        expect(await store.getPipeline('nope')).toBeUndefined();
      });

      it('lists the latest version of each pipeline', async () => {
        await store.putPipeline({ name: 'b', definition: '1' });
        await store.putPipeline({ name: 'a', definition: '1' });
        await store.putPipeline({ name: 'a', definition: '2' });
        const list = await store.listPipelines();
        expect(list.map((p) => [p.name, p.version])).toEqual([
          ['a', 2],
          ['b', 1],
        ]);
      });
    });

    describe('executions', () => {
      it('creates, reads and refuses a duplicate id', async () => {
        const record = makeExecutionRecord({
          displayName: 'run',
          description: 'd',
          parameters: { Epochs: 5, Rate: 0.5, Name: 'x', Flag: true },
          maxParallelExecutionSteps: 2,
          selectiveExecution: { sourceExecutionId: 'src', selectedSteps: ['A'] },
        });
        await store.createExecution(record);
        expect(await store.getExecution(record.id)).toEqual(record);
        expect(await store.getExecution('missing')).toBeUndefined();
        await expectCode(store.createExecution(record), ErrorCode.StoreConflict);
      });

      it('lists newest first, filters by pipeline and status, and honours the limit', async () => {
        const a = makeExecutionRecord({ pipelineName: 'a', createdAt: 1 });
        const b = makeExecutionRecord({ pipelineName: 'b', createdAt: 2, status: 'Succeeded' });
        const c = makeExecutionRecord({ pipelineName: 'a', createdAt: 3, status: 'Stopping' });
        for (const r of [a, b, c]) await store.createExecution(r);
        expect((await store.listExecutions()).map((e) => e.id)).toEqual([c.id, b.id, a.id]);
        expect((await store.listExecutions({ pipelineName: 'a' })).map((e) => e.id)).toEqual([c.id, a.id]);
        expect((await store.listExecutions({ status: 'Succeeded' })).map((e) => e.id)).toEqual([b.id]);
        expect((await store.listExecutions({ limit: 1 })).map((e) => e.id)).toEqual([c.id]);
        expect((await store.listActiveExecutions()).map((e) => e.id)).toEqual([c.id, a.id]);
      });
    });

    describe('commit', () => {
      let executionId: string;
      beforeEach(async () => {
        const record = makeExecutionRecord();
        executionId = record.id;
        await store.createExecution(record);
      });

      it('round-trips every field of a step record', async () => {
        const step = fullStep(executionId);
        await store.commit({ steps: [step] });
        expect(await store.getStepExecution(executionId, 'Train')).toEqual(step);
        expect(await store.listStepExecutions(executionId)).toEqual([step]);
        expect(await store.getStepExecution(executionId, 'Other')).toBeUndefined();
      });

      it('round-trips text that needs quoting in SQL, arrays or JSON', async () => {
        const awkward = 'a "quoted" \\ back\\slash, {braces}, NULL, \'single\', tab\t, newline\n, ünïcødé 🚀 \u0001';
        const step = makeStepRecord(executionId, 'Awkward', { cacheKey: awkward, failureReason: awkward, properties: { [awkward]: [awkward, null, { NULL: 'NULL' }] } });
        await store.commit({ steps: [step, makeStepRecord(executionId, 'Plain')] });
        await store.commit({ steps: [{ ...step, version: 2 }] });
        expect(await store.getStepExecution(executionId, 'Awkward')).toEqual({ ...step, version: 2 });
      });

      it('applies step upserts and the execution patch together', async () => {
        await store.commit({
          steps: [makeStepRecord(executionId, 'A'), makeStepRecord(executionId, 'B')],
          executions: [{ id: executionId, patch: { updatedAt: 2_000 }, expectedVersion: 1 }],
        });
        await store.commit({
          steps: [makeStepRecord(executionId, 'A', { status: 'Executing', version: 2 })],
          executions: [{ id: executionId, patch: { status: 'Succeeded', endedAt: 3_000, failureReason: 'none' } }],
        });
        expect((await store.getStepExecution(executionId, 'A'))?.status).toBe('Executing');
        expect((await store.listStepExecutions(executionId)).map((s) => s.stepName).sort()).toEqual(['A', 'B']);
        expect(await store.getExecution(executionId)).toMatchObject({ status: 'Succeeded', endedAt: 3_000, updatedAt: 2_000, version: 3 });
      });

      it('rejects a stale step version and applies nothing of the batch', async () => {
        await store.commit({ steps: [makeStepRecord(executionId, 'A')] });
        await store.commit({ steps: [makeStepRecord(executionId, 'A', { version: 2, status: 'Executing' })] });
        const stale = store.commit({
          steps: [makeStepRecord(executionId, 'New'), makeStepRecord(executionId, 'A', { version: 2, status: 'Failed' })],
          executions: [{ id: executionId, patch: { status: 'Failed' } }],
        });
        await expectCode(stale, ErrorCode.StoreConflict);
        expect((await store.getStepExecution(executionId, 'A'))?.status).toBe('Executing');
        expect(await store.getStepExecution(executionId, 'New')).toBeUndefined();
        expect(await store.getExecution(executionId)).toMatchObject({ status: 'Executing', version: 1 });
      });

      it('rejects version 1 for an existing step and version > 1 for a missing one', async () => {
        await store.commit({ steps: [makeStepRecord(executionId, 'A')] });
        await expectCode(store.commit({ steps: [makeStepRecord(executionId, 'A')] }), ErrorCode.StoreConflict);
        await expectCode(store.commit({ steps: [makeStepRecord(executionId, 'Missing', { version: 3 })] }), ErrorCode.StoreConflict);
        expect(await store.getStepExecution(executionId, 'Missing')).toBeUndefined();
      });

      it('rejects a stale expectedVersion and rolls back the steps', async () => {
        const stale = store.commit({
          steps: [makeStepRecord(executionId, 'A')],
          executions: [{ id: executionId, patch: { status: 'Stopping' }, expectedVersion: 7 }],
        });
        await expectCode(stale, ErrorCode.StoreConflict);
        expect(await store.getStepExecution(executionId, 'A')).toBeUndefined();
        expect((await store.getExecution(executionId))?.status).toBe('Executing');
      });

      it('reports a patch of an unknown execution and rolls back the steps', async () => {
        const missing = store.commit({ steps: [makeStepRecord(executionId, 'A')], executions: [{ id: 'nosuchexecut', patch: { status: 'Failed' } }] });
        await expectCode(missing, ErrorCode.ExecutionNotFound);
        expect(await store.getStepExecution(executionId, 'A')).toBeUndefined();
      });

      it('accepts one step twice in a batch with consecutive versions, keeping the last', async () => {
        await store.commit({
          steps: [makeStepRecord(executionId, 'A'), makeStepRecord(executionId, 'A', { version: 2, status: 'Executing' })],
        });
        expect(await store.getStepExecution(executionId, 'A')).toMatchObject({ version: 2, status: 'Executing' });
        await store.commit({
          steps: [makeStepRecord(executionId, 'A', { version: 3, status: 'Executing' }), makeStepRecord(executionId, 'A', { version: 4, status: 'Succeeded' })],
        });
        expect(await store.getStepExecution(executionId, 'A')).toMatchObject({ version: 4, status: 'Succeeded' });
        await expectCode(
          store.commit({ steps: [makeStepRecord(executionId, 'A', { version: 5 }), makeStepRecord(executionId, 'A', { version: 7 })] }),
          ErrorCode.StoreConflict,
        );
      });

      it('writes batches larger than one statement', async () => {
        const steps = Array.from({ length: 2_500 }, (_, i) => makeStepRecord(executionId, `S${i}`));
        await store.commit({ steps });
        await store.commit({ steps: steps.map((s) => ({ ...s, version: 2, status: 'Succeeded' as const })) });
        const stored = await store.listStepExecutions(executionId);
        expect(stored).toHaveLength(2_500);
        expect(stored.every((s) => s.version === 2 && s.status === 'Succeeded')).toBe(true);
      });

      it('lets exactly one of two racing writers win', async () => {
        await store.commit({ steps: [makeStepRecord(executionId, 'A')] });
        const attempts = ['Executing', 'Failed'].map((status) =>
          store.commit({
            steps: [makeStepRecord(executionId, 'A', { version: 2, status: status as 'Executing' | 'Failed' })],
            executions: [{ id: executionId, patch: { updatedAt: 5 }, expectedVersion: 1 }],
          }),
        );
        const results = await Promise.allSettled(attempts);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect((rejected?.reason as OrchestratorError).code).toBe(ErrorCode.StoreConflict);
        expect(await store.getExecution(executionId)).toMatchObject({ version: 2 });
      });

      describe('across executions', () => {
        let others: string[];
        beforeEach(async () => {
          others = [];
          for (let i = 0; i < 2; i++) {
            const record = makeExecutionRecord();
            others.push(record.id);
            await store.createExecution(record);
          }
        });

        /** Every execution's steps and record as stored, for before/after comparisons. */
        const snapshot = async () => {
          const ids = [executionId, ...others];
          return Promise.all(ids.map(async (id) => ({ execution: await store.getExecution(id), steps: (await store.listStepExecutions(id)).sort((a, b) => a.stepName.localeCompare(b.stepName)) })));
        };

        it('applies the steps and patches of several executions in one batch', async () => {
          const [b, c] = others as [string, string];
          await store.commit({
            steps: [makeStepRecord(executionId, 'A'), makeStepRecord(b, 'A'), makeStepRecord(c, 'A'), makeStepRecord(c, 'B')],
            executions: [
              { id: executionId, patch: { updatedAt: 2_000 }, expectedVersion: 1 },
              { id: c, patch: { status: 'Succeeded', endedAt: 3_000 } },
            ],
          });
          expect((await store.listStepExecutions(c)).map((s) => s.stepName).sort()).toEqual(['A', 'B']);
          expect(await store.getStepExecution(b, 'A')).toMatchObject({ version: 1 });
          expect(await store.getExecution(executionId)).toMatchObject({ updatedAt: 2_000, version: 2 });
          expect(await store.getExecution(b)).toMatchObject({ status: 'Executing', version: 1 });
          expect(await store.getExecution(c)).toMatchObject({ status: 'Succeeded', endedAt: 3_000, version: 2 });
        });

        it('applies two patches of one execution in order, the second seeing the first one’s version', async () => {
          await store.commit({
            executions: [
              { id: executionId, patch: { status: 'Stopping' }, expectedVersion: 1 },
              { id: executionId, patch: { status: 'Stopped', endedAt: 9 }, expectedVersion: 2 },
            ],
          });
          expect(await store.getExecution(executionId)).toMatchObject({ status: 'Stopped', endedAt: 9, version: 3 });
          const stale = store.commit({
            executions: [
              { id: executionId, patch: { updatedAt: 10 }, expectedVersion: 3 },
              { id: executionId, patch: { updatedAt: 11 }, expectedVersion: 3 },
            ],
          });
          await expectCode(stale, ErrorCode.StoreConflict);
          expect(await store.getExecution(executionId)).toMatchObject({ version: 3 });
        });

        it.each<[string, string, (b: string) => StoreBatch]>([
          ['a stale step version in one execution', ErrorCode.StoreConflict, (b: string) => ({ steps: [makeStepRecord(b, 'A', { version: 2, status: 'Failed' as const })] })],
          ['a new step that exists in one execution', ErrorCode.StoreConflict, (b: string) => ({ steps: [makeStepRecord(b, 'Done')] })],
          ['a stale expected version of one execution', ErrorCode.StoreConflict, (b: string) => ({ executions: [{ id: b, patch: { status: 'Failed' as const }, expectedVersion: 1 }] })],
          ['a patch of an unknown execution', ErrorCode.ExecutionNotFound, () => ({ executions: [{ id: 'nosuchexecut', patch: { status: 'Failed' as const } }] })],
        ])('rolls back every execution’s part for %s', async (_case, code, bad) => {
          const [b, c] = others as [string, string];
          // b is at execution version 2, with step A at version 2 and step Done at version 1.
          await store.commit({ steps: [makeStepRecord(b, 'A'), makeStepRecord(b, 'Done')], executions: [{ id: b, patch: { updatedAt: 1 } }] });
          await store.commit({ steps: [makeStepRecord(b, 'A', { version: 2, status: 'Executing' })] });
          await store.commit({ steps: [makeStepRecord(executionId, 'A')] });
          const before = await snapshot();
          const part = bad(b);
          const batch = store.commit({
            steps: [makeStepRecord(executionId, 'A', { version: 2, status: 'Succeeded' }), makeStepRecord(c, 'New'), ...(part.steps ?? [])],
            executions: [{ id: executionId, patch: { status: 'Succeeded' }, expectedVersion: 1 }, { id: c, patch: { status: 'Failed' } }, ...(part.executions ?? [])],
          });
          await expectCode(batch, code);
          expect(await snapshot()).toEqual(before);
        });

        it('writes a batch of many executions larger than one statement, and checks every version in it', async () => {
          const ids = [executionId, ...others];
          for (let i = 0; i < 117; i++) {
            const record = makeExecutionRecord();
            ids.push(record.id);
            await store.createExecution(record);
          }
          const steps = ids.flatMap((id) => Array.from({ length: 10 }, (_, k) => makeStepRecord(id, `s${k}`)));
          await store.commit({ steps, executions: ids.map((id) => ({ id, patch: { updatedAt: 2 }, expectedVersion: 1 })) });
          await store.commit({ steps: steps.map((s) => ({ ...s, version: 2, status: 'Executing' as const })), executions: ids.map((id) => ({ id, patch: { updatedAt: 3 }, expectedVersion: 2 })) });
          // The last step of the last execution is stale: nothing of the 1,200 step writes lands.
          const stale = steps.map((s, i) => ({ ...s, version: i === steps.length - 1 ? 2 : 3, status: 'Succeeded' as const }));
          await expectCode(store.commit({ steps: stale }), ErrorCode.StoreConflict);
          const stored = (await Promise.all(ids.map((id) => store.listStepExecutions(id)))).flat();
          expect(stored).toHaveLength(1_200);
          expect(stored.every((s) => s.version === 2 && s.status === 'Executing')).toBe(true);
          expect((await Promise.all(ids.map((id) => store.getExecution(id)))).every((e) => e?.version === 3 && e.updatedAt === 3)).toBe(true);
        });
      });
    });

    describe('fences', () => {
      let executionId: string;
      beforeEach(async () => {
        const record = makeExecutionRecord();
        executionId = record.id;
        await store.createExecution(record);
      });

      it('advances a term from 1, one name independent of another', async () => {
        expect(await store.advanceFence('scheduler:a')).toBe(1);
        expect(await store.advanceFence('scheduler:a')).toBe(2);
        expect(await store.advanceFence('scheduler:b')).toBe(1);
        expect(await store.advanceFence('scheduler:a')).toBe(3);
      });

      it('applies a commit of the current term, steps and patches alike', async () => {
        const term = await store.advanceFence('f');
        const fence = { name: 'f', term };
        await store.commit({ steps: [makeStepRecord(executionId, 'A')], executions: [{ id: executionId, patch: { updatedAt: 2 } }], fence });
        await store.commit({ steps: [makeStepRecord(executionId, 'A', { version: 2, status: 'Executing' }), makeStepRecord(executionId, 'B')], fence });
        await store.commit({ steps: [makeStepRecord(executionId, 'B', { version: 2, status: 'Executing' })], fence });
        await store.commit({ executions: [{ id: executionId, patch: { updatedAt: 3 }, expectedVersion: 2 }], fence });
        expect(await store.getStepExecution(executionId, 'A')).toMatchObject({ version: 2, status: 'Executing' });
        expect(await store.getStepExecution(executionId, 'B')).toMatchObject({ version: 2, status: 'Executing' });
        expect(await store.getExecution(executionId)).toMatchObject({ updatedAt: 3, version: 3 });
      });

      it.each<[string, (id: string) => StoreBatch]>([
        ['new steps', (id) => ({ steps: [makeStepRecord(id, 'B')] })],
        ['step updates', (id) => ({ steps: [makeStepRecord(id, 'A', { version: 2, status: 'Succeeded' })] })],
        ['new steps and updates', (id) => ({ steps: [makeStepRecord(id, 'A', { version: 2, status: 'Succeeded' }), makeStepRecord(id, 'B')] })],
        ['patches only', (id) => ({ executions: [{ id, patch: { status: 'Failed' } }] })],
        ['steps and a patch', (id) => ({ steps: [makeStepRecord(id, 'B')], executions: [{ id, patch: { status: 'Failed' } }] })],
      ])('refuses a commit of an older term with FENCED and applies nothing (%s)', async (_case, batch) => {
        const old = await store.advanceFence('f');
        await store.commit({ steps: [makeStepRecord(executionId, 'A')], fence: { name: 'f', term: old } });
        expect(await store.advanceFence('f')).toBe(old + 1);
        const before = { execution: await store.getExecution(executionId), steps: await store.listStepExecutions(executionId) };
        const refused = store.commit({ ...batch(executionId), fence: { name: 'f', term: old } });
        await expectCode(refused, ErrorCode.Fenced);
        expect({ execution: await store.getExecution(executionId), steps: await store.listStepExecutions(executionId) }).toEqual(before);
        // The same changes without a fence, or with the current term, still apply.
        await store.commit({ ...batch(executionId), fence: { name: 'f', term: old + 1 } });
      });

      it('refuses a term the fence never had, and a fence never advanced', async () => {
        await store.advanceFence('f');
        await expectCode(store.commit({ steps: [makeStepRecord(executionId, 'A')], fence: { name: 'f', term: 2 } }), ErrorCode.Fenced);
        await expectCode(store.commit({ steps: [makeStepRecord(executionId, 'A')], fence: { name: 'never', term: 1 } }), ErrorCode.Fenced);
        expect(await store.getStepExecution(executionId, 'A')).toBeUndefined();
      });

      it('leaves commits without a fence, and fences of other names, unaffected', async () => {
        const a = await store.advanceFence('a');
        const b = await store.advanceFence('b');
        await store.advanceFence('a');
        await store.commit({ steps: [makeStepRecord(executionId, 'A')] });
        await store.commit({ steps: [makeStepRecord(executionId, 'B')], fence: { name: 'b', term: b } });
        await expectCode(store.commit({ steps: [makeStepRecord(executionId, 'C')], fence: { name: 'a', term: a } }), ErrorCode.Fenced);
        expect((await store.listStepExecutions(executionId)).map((s) => s.stepName).sort()).toEqual(['A', 'B']);
      });

      it('reports FENCED before a version conflict in the same batch', async () => {
        const old = await store.advanceFence('f');
        await store.commit({ steps: [makeStepRecord(executionId, 'A')] });
        await store.advanceFence('f');
        await expectCode(store.commit({ steps: [makeStepRecord(executionId, 'A')], fence: { name: 'f', term: old } }), ErrorCode.Fenced);
      });
    });

    describe('findCacheHit', () => {
      it('finds the most recent successful run of the same pipeline, step and key', async () => {
        const runs = [
          { pipelineName: 'p', status: 'Succeeded', endTime: 100, cacheKey: 'k' },
          { pipelineName: 'p', status: 'Succeeded', endTime: 300, cacheKey: 'k' },
          { pipelineName: 'p', status: 'Failed', endTime: 400, cacheKey: 'k' },
          { pipelineName: 'other', status: 'Succeeded', endTime: 500, cacheKey: 'k' },
          { pipelineName: 'p', status: 'Succeeded', endTime: 600, cacheKey: 'other' },
        ] as const;
        const ids: string[] = [];
        for (const run of runs) {
          const execution = makeExecutionRecord({ pipelineName: run.pipelineName });
          ids.push(execution.id);
          await store.createExecution(execution);
          await store.commit({
            steps: [makeStepRecord(execution.id, 'Train', { status: run.status, endTime: run.endTime, cacheKey: run.cacheKey, properties: { n: run.endTime }, metadata: { m: 1 } })],
          });
        }
        const hit = await store.findCacheHit({ pipelineName: 'p', stepName: 'Train', cacheKey: 'k', notBefore: 50 });
        expect(hit).toMatchObject({ executionId: ids[1], stepName: 'Train', properties: { n: 300 }, metadata: { m: 1 }, endTime: 300 });
        expect(hit?.executionArn).toMatch(new RegExp(`/execution/${ids[1]}$`));
        expect(await store.findCacheHit({ pipelineName: 'p', stepName: 'Train', cacheKey: 'k', notBefore: 301 })).toBeUndefined();
        expect(await store.findCacheHit({ pipelineName: 'p', stepName: 'Other', cacheKey: 'k', notBefore: 0 })).toBeUndefined();
      });
    });

    describe('callback tokens', () => {
      const token = {
        tokenHash: 'h'.repeat(64),
        executionId: 'abcdefabcdef',
        stepName: 'Wait',
        attempt: 1,
        outputParameters: [{ OutputName: 'score', OutputType: 'Float' }],
        createdAt: 10,
      };

      it('stores, redeems once and refuses a duplicate', async () => {
        await store.putCallbackToken(token);
        expect(await store.getCallbackToken(token.tokenHash)).toEqual(token);
        await expectCode(store.putCallbackToken(token), ErrorCode.StoreConflict);
        const redeemed = await store.redeemCallbackToken(token.tokenHash, { outcome: 'succeeded', at: 20, outputs: [{ Name: 'score', Value: '0.9' }] });
        expect(redeemed).toEqual({ ...token, redeemedAt: 20, outcome: 'succeeded', outputs: [{ Name: 'score', Value: '0.9' }] });
        expect(await store.redeemCallbackToken(token.tokenHash, { outcome: 'failed', at: 30, failureReason: 'late' })).toBeUndefined();
        expect(await store.getCallbackToken(token.tokenHash)).toEqual(redeemed);
        expect(await store.redeemCallbackToken('unknown', { outcome: 'failed', at: 1 })).toBeUndefined();
      });

      it('lets exactly one concurrent redemption win', async () => {
        await store.putCallbackToken(token);
        const results = await Promise.all(
          ['a', 'b', 'c'].map((reason) => store.redeemCallbackToken(token.tokenHash, { outcome: 'failed', at: 5, failureReason: reason })),
        );
        expect(results.filter((r) => r !== undefined)).toHaveLength(1);
      });

      it("lists one attempt's tokens, oldest first, redeemed or not", async () => {
        const second = { ...token, tokenHash: 'i'.repeat(64), createdAt: 11 };
        await store.putCallbackToken(second);
        await store.putCallbackToken(token);
        await store.putCallbackToken({ ...token, tokenHash: 'j'.repeat(64), attempt: 2 });
        await store.putCallbackToken({ ...token, tokenHash: 'k'.repeat(64), stepName: 'Other' });
        await store.putCallbackToken({ ...token, tokenHash: 'l'.repeat(64), executionId: 'fedcbafedcba' });
        const redeemed = await store.redeemCallbackToken(second.tokenHash, { outcome: 'failed', at: 20, failureReason: 'no' });
        expect(await store.listCallbackTokens({ executionId: token.executionId, stepName: 'Wait', attempt: 1 })).toEqual([token, redeemed]);
        expect(await store.listCallbackTokens({ executionId: token.executionId, stepName: 'Wait', attempt: 3 })).toEqual([]);
      });
    });

    describe('model registry', () => {
      const create = (group: string, extra: Record<string, unknown> = {}) =>
        store.createModelPackage({
          request: { ModelPackageGroupName: group, InferenceSpecification: { Containers: [{ Image: 'img' }] }, ...(extra as object) },
          createdBy: 'ci',
          arnPrefix: TEST_ARN_PREFIX,
          now: 1_000,
          executionArn: `${TEST_ARN_PREFIX}:pipeline/p/execution/abc`,
          stepName: 'Register',
        });

      it('creates groups once', async () => {
        const g = await store.ensureModelPackageGroup({ name: 'Churn', description: 'd', arnPrefix: TEST_ARN_PREFIX, now: 5 });
        expect(g).toEqual({
          ModelPackageGroupName: 'Churn',
          ModelPackageGroupArn: `${TEST_ARN_PREFIX}:model-package-group/churn`,
          ModelPackageGroupDescription: 'd',
          CreationTime: 5,
          ModelPackageGroupStatus: 'Completed',
        });
        expect(await store.ensureModelPackageGroup({ name: 'Churn', arnPrefix: TEST_ARN_PREFIX, now: 9 })).toEqual(g);
        expect(await store.getModelPackageGroup('Churn')).toEqual(g);
        expect(await store.getModelPackageGroup('nope')).toBeUndefined();
        await store.ensureModelPackageGroup({ name: 'Alpha', arnPrefix: TEST_ARN_PREFIX, now: 5 });
        expect((await store.listModelPackageGroups()).map((x) => x.ModelPackageGroupName)).toEqual(['Alpha', 'Churn']);
      });

      it('creates versions 1, 2 … with the DescribeModelPackage shape', async () => {
        const v1 = await create('Churn', {
          ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: 's3://b/eval.json' } } },
          CustomerMetadataProperties: { team: 'ml' },
          MetadataProperties: { CommitId: 'abc' },
          ClientToken: 'tok',
        });
        const v2 = await create('Churn', { ModelApprovalStatus: 'Approved' });
        expect(v1.arn).toBe(`${TEST_ARN_PREFIX}:model-package/churn/1`);
        expect(v2.arn).toBe(`${TEST_ARN_PREFIX}:model-package/churn/2`);
        expect(v1).toMatchObject({ groupName: 'Churn', version: 1, approvalStatus: 'PendingManualApproval', stepName: 'Register', createdAt: 1_000 });
        expect(v1.description).toMatchObject({
          ModelPackageGroupName: 'Churn',
          ModelPackageVersion: 1,
          ModelPackageArn: v1.arn,
          ModelPackageStatus: 'Completed',
          ModelApprovalStatus: 'PendingManualApproval',
          CreationTime: 1_000,
          InferenceSpecification: { Containers: [{ Image: 'img' }] },
          ModelMetrics: { ModelQuality: { Statistics: { S3Uri: 's3://b/eval.json' } } },
          CustomerMetadataProperties: { team: 'ml' },
          MetadataProperties: { CommitId: 'abc', GeneratedBy: `${TEST_ARN_PREFIX}:pipeline/p/execution/abc` },
        });
        expect(v1.description).not.toHaveProperty('ClientToken');
        expect(v2.approvalStatus).toBe('Approved');
        expect(await store.getModelPackage(v1.arn)).toEqual(v1);
        expect(await store.getModelPackage('Churn/2')).toEqual(v2);
        expect(await store.getModelPackage('Churn/3')).toBeUndefined();
        expect((await store.listModelPackages({ groupName: 'Churn' })).map((p) => p.version)).toEqual([2, 1]);
        expect((await store.listModelPackages({ groupName: 'Churn', status: 'Approved' })).map((p) => p.version)).toEqual([2]);
        expect((await store.getModelPackageGroup('Churn'))?.ModelPackageGroupArn).toBe(`${TEST_ARN_PREFIX}:model-package-group/churn`);
      });

      it('hands out distinct versions to concurrent creates', async () => {
        const created = await Promise.all(Array.from({ length: 6 }, () => create('Race')));
        expect(created.map((p) => p.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
      });

      it('changes the approval status with an audit trail', async () => {
        const v1 = await create('Churn');
        const { record, change } = await store.updateApprovalStatus({ ref: 'Churn/1', status: 'Approved', by: 'alice', reason: 'looks good', now: 2_000 });
        expect(record).toMatchObject({ approvalStatus: 'Approved', updatedAt: 2_000 });
        expect(record.description).toMatchObject({ ModelApprovalStatus: 'Approved', ApprovalDescription: 'looks good', LastModifiedTime: 2_000 });
        expect(change).toEqual({ modelPackageArn: v1.arn, from: 'PendingManualApproval', to: 'Approved', by: 'alice', reason: 'looks good', at: 2_000 });
        expect(await store.getModelPackage(v1.arn)).toEqual(record);
        await store.updateApprovalStatus({ ref: v1.arn, status: 'Rejected', by: 'bob', now: 3_000 });
        const trail = await store.listApprovalChanges('Churn/1');
        expect(trail.map((c) => [c.from, c.to, c.by])).toEqual([
          [null, 'PendingManualApproval', 'ci'],
          ['PendingManualApproval', 'Approved', 'alice'],
          ['Approved', 'Rejected', 'bob'],
        ]);
        expect(await store.listApprovalChanges(v1.arn)).toEqual(trail);
      });

      it('compare-and-sets on expectedStatus and reports unknown packages', async () => {
        await create('Churn');
        await expectCode(
          store.updateApprovalStatus({ ref: 'Churn/1', status: 'Approved', by: 'a', now: 1, expectedStatus: 'Rejected' }),
          ErrorCode.StoreConflict,
        );
        expect((await store.getModelPackage('Churn/1'))?.approvalStatus).toBe('PendingManualApproval');
        expect(await store.listApprovalChanges('Churn/1')).toHaveLength(1);
        await expectCode(store.updateApprovalStatus({ ref: 'Churn/9', status: 'Approved', by: 'a', now: 1 }), ErrorCode.ModelPackageNotFound);
        await expectCode(store.getModelPackage('not a ref'), ErrorCode.ModelPackageNotFound);
      });
    });

    describe('event outbox', () => {
      const event = (id: string, createdAt = 100): StoredEvent => ({
        id,
        detailType: 'SageMaker Model Package State Change',
        envelope: { id, 'detail-type': 'SageMaker Model Package State Change', detail: { ModelApprovalStatus: 'Approved' } },
        createdAt,
      });

      it('appends an event with one pending delivery per sink', async () => {
        const deliveries = await store.appendEvent(event('e1'), ['hook-a', 'hook-b']);
        expect(deliveries.map((d) => [d.sinkId, d.status, d.attempts, d.nextAttemptAt])).toEqual([
          ['hook-a', 'pending', 0, 100],
          ['hook-b', 'pending', 0, 100],
        ]);
        expect(await store.getEvent('e1')).toEqual(event('e1'));
        expect(await store.getDelivery(deliveries[0]?.id ?? '')).toEqual(deliveries[0]);
        expect(await store.listDeliveries({ eventId: 'e1' })).toHaveLength(2);
        await expectCode(store.appendEvent(event('e1'), ['hook-a']), ErrorCode.StoreConflict);
      });

      it('claims due deliveries once and records attempts', async () => {
        await store.appendEvent(event('due', 100), ['hook']);
        await store.appendEvent(event('later', 500), ['hook']);
        const claimed = await store.claimDueDeliveries({ now: 200, leaseUntil: 10_000, limit: 10 });
        expect(claimed.map((d) => [d.eventId, d.nextAttemptAt])).toEqual([['due', 10_000]]);
        expect(await store.claimDueDeliveries({ now: 200, leaseUntil: 10_000, limit: 10 })).toEqual([]);
        const id = claimed[0]?.id ?? '';
        const updated = await store.updateDelivery(id, { status: 'delivered', attempts: 1, lastStatusCode: 204, deliveredAt: 300, updatedAt: 300 });
        expect(updated).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 204, deliveredAt: 300 });
        expect((await store.listDeliveries({ status: 'delivered' })).map((d) => d.id)).toEqual([id]);
        expect(await store.updateDelivery('unknown', { status: 'failed', updatedAt: 1 })).toBeUndefined();
      });

      it('never hands one delivery to two concurrent claimers', async () => {
        for (let i = 0; i < 10; i++) await store.appendEvent(event(`e${i}`), ['hook']);
        const claims = await Promise.all([1, 2, 3].map(() => store.claimDueDeliveries({ now: 1_000, leaseUntil: 9_000, limit: 4 })));
        const ids = claims.flat().map((d) => d.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids.length).toBe(10);
      });

      it('appends the event of a registry change in the same transaction', async () => {
        const outbox = { sinkIds: ['hook'], build: (r: ModelPackageRecord) => event(`${r.version}-${r.approvalStatus}`) };
        const created = await store.createModelPackage({ request: { ModelPackageGroupName: 'G' }, createdBy: 'ci', arnPrefix: TEST_ARN_PREFIX, now: 1, outbox });
        expect(await store.getEvent('1-PendingManualApproval')).toBeDefined();
        await store.updateApprovalStatus({ ref: created.arn, status: 'Approved', by: 'a', now: 2, outbox });
        expect(await store.getEvent('1-Approved')).toBeDefined();
        await expectCode(store.updateApprovalStatus({ ref: created.arn, status: 'Rejected', by: 'a', now: 3, expectedStatus: 'PendingManualApproval', outbox }), ErrorCode.StoreConflict);
        expect(await store.getEvent('1-Rejected')).toBeUndefined();
        const failing = { sinkIds: ['hook'], build: (): StoredEvent => { throw new Error('cannot build'); } };
        await expect(store.updateApprovalStatus({ ref: created.arn, status: 'Rejected', by: 'a', now: 4, outbox: failing })).rejects.toThrow('cannot build');
        expect((await store.getModelPackage(created.arn))?.approvalStatus).toBe('Approved');
        expect(await store.listApprovalChanges(created.arn)).toHaveLength(2);
      });

      describe('pruneEvents', () => {
        /** Appends an event with one delivery per status given (in that status). */
        async function eventWith(id: string, createdAt: number, statuses: ('pending' | 'delivered' | 'failed')[]): Promise<void> {
          const deliveries = await store.appendEvent(event(id, createdAt), statuses.map((_, i) => `hook-${i}`));
          for (const [i, d] of deliveries.entries()) {
            const status = statuses[i] ?? 'pending';
            if (status !== 'pending') await store.updateDelivery(d.id, { status, attempts: 1, updatedAt: createdAt + 1 });
          }
        }
        const deliveriesOf = async (eventId: string): Promise<number> => (await store.listDeliveries({ eventId })).length;

        it('deletes old events whose deliveries are all settled, with their deliveries, and keeps pending and recent ones', async () => {
          await eventWith('delivered', 100, ['delivered', 'delivered']);
          await eventWith('failed', 110, ['failed', 'delivered']);
          await eventWith('no-sink', 120, []);
          await eventWith('one-pending', 130, ['delivered', 'pending']);
          await eventWith('recent', 1_000, ['delivered']);
          await eventWith('at-cutoff', 500, ['delivered']);
          expect(await store.countPrunableEvents({ before: 500 })).toBe(3);

          expect(await store.pruneEvents({ before: 500 })).toBe(3);
          for (const id of ['delivered', 'failed', 'no-sink']) expect(await store.getEvent(id)).toBeUndefined();
          expect(await deliveriesOf('delivered')).toBe(0);
          expect(await deliveriesOf('failed')).toBe(0);
          for (const id of ['one-pending', 'recent', 'at-cutoff']) expect(await store.getEvent(id)).toBeDefined();
          expect(await deliveriesOf('one-pending')).toBe(2);
          expect(await deliveriesOf('recent')).toBe(1);
          expect(await store.pruneEvents({ before: 500 })).toBe(0);
          expect(await store.countPrunableEvents({ before: 500 })).toBe(0);
        });

        it('deletes at most limit events per call, oldest first', async () => {
          for (let i = 0; i < 5; i++) await eventWith(`e${i}`, 100 + i, ['delivered']);
          expect(await store.pruneEvents({ before: 1_000, limit: 2 })).toBe(2);
          expect(await store.getEvent('e0')).toBeUndefined();
          expect(await store.getEvent('e1')).toBeUndefined();
          expect(await store.getEvent('e2')).toBeDefined();
          expect(await store.countPrunableEvents({ before: 1_000 })).toBe(3);
          expect(await store.pruneEvents({ before: 1_000, limit: 2 })).toBe(2);
          expect(await store.pruneEvents({ before: 1_000, limit: 2 })).toBe(1);
          expect(await store.listDeliveries({})).toEqual([]);
        });

        it('prunes an event once its last pending delivery settles', async () => {
          await eventWith('e', 100, ['pending']);
          expect(await store.pruneEvents({ before: 1_000 })).toBe(0);
          const [delivery] = await store.listDeliveries({ eventId: 'e' });
          await store.updateDelivery(delivery?.id ?? '', { status: 'failed', attempts: 8, updatedAt: 200 });
          expect(await store.pruneEvents({ before: 1_000 })).toBe(1);
          expect(await store.getDelivery(delivery?.id ?? '')).toBeUndefined();
        });
      });
    });

    describe('lineage', () => {
      const artifact = (arn: string, uri: string): LineageEntity => ({
        arn,
        kind: 'Artifact',
        name: uri,
        type: 'DataSet',
        sourceUri: uri,
        digest: { kind: 'SHA256', value: 'ab'.repeat(32) },
        properties: { rows: 10 },
        createdAt: 1,
      });

      it('de-duplicates artifacts by source URI and finds entities by ARN or URI', async () => {
        const first = await store.putLineageEntity(artifact('arn:artifact/1', 's3://b/data.csv'));
        expect(await store.putLineageEntity(artifact('arn:artifact/2', 's3://b/data.csv'))).toEqual(first);
        expect(await store.getLineageEntity('arn:artifact/1')).toEqual(first);
        expect(await store.getLineageEntity('s3://b/data.csv')).toEqual(first);
        expect(await store.getLineageEntity('arn:artifact/2')).toBeUndefined();
        const action: LineageEntity = { arn: 'arn:action/train', kind: 'Action', name: 'train', type: 'ModelTraining', createdAt: 2 };
        expect(await store.putLineageEntity(action)).toEqual(action);
        expect(await store.putLineageEntity({ ...action, name: 'again' })).toEqual(action);
      });

      it('adds associations idempotently and lists them by either end', async () => {
        const a = { sourceArn: 'arn:artifact/1', destinationArn: 'arn:action/train', type: 'ContributedTo' as const, createdAt: 1 };
        const b = { sourceArn: 'arn:action/train', destinationArn: 'arn:artifact/model', type: 'Produced' as const, createdAt: 2 };
        await store.addAssociation(a);
        await store.addAssociation(a);
        await store.addAssociation(b);
        expect(await store.listAssociations({ sourceArn: 'arn:artifact/1' })).toEqual([a]);
        expect(await store.listAssociations({ destinationArn: 'arn:artifact/model' })).toEqual([b]);
        expect(await store.listAssociations({ sourceArn: 'arn:action/train', destinationArn: 'arn:artifact/model' })).toEqual([b]);
        expect(await store.listAssociations({})).toEqual([a, b]);
      });

      it('writes entities and associations in one call with the merge rules of putLineageEntity and addAssociation', async () => {
        const stored = await store.putLineageEntity(artifact('arn:artifact/1', 's3://b/data.csv'));
        const action: LineageEntity = { arn: 'arn:action/train', kind: 'Action', name: 'train', type: 'ModelTraining', createdAt: 2 };
        await store.putLineageEntity(action);
        const old = { sourceArn: 'arn:action/old', destinationArn: 'arn:action/train', type: 'AssociatedWith' as const, createdAt: 1 };
        await store.addAssociation(old);
        const made = { ...artifact('arn:artifact/3', 's3://b/model.tar.gz'), type: 'Model' };
        const context: LineageEntity = { arn: 'arn:context/run', kind: 'Context', name: 'run', type: 'PipelineExecution', sourceUri: 'arn:execution/run', createdAt: 3 };
        const link = (sourceArn: string, destinationArn: string, type: LineageAssociation['type']): LineageAssociation => ({ sourceArn, destinationArn, type, createdAt: 3 });
        const result = await store.writeLineage({
          entities: [
            artifact('arn:artifact/2', 's3://b/data.csv'), // stored under arn:artifact/1
            { ...action, name: 'again' }, // stored
            made,
            { ...made, arn: 'arn:artifact/4', type: 'DataSet' }, // the same URI again in this write
            context,
            { ...context, name: 'again' },
          ],
          associations: [
            link('arn:artifact/2', 'arn:action/train', 'ContributedTo'),
            link('arn:action/train', 'arn:artifact/3', 'Produced'),
            link('arn:action/train', 'arn:artifact/4', 'Produced'), // re-pointed to arn:artifact/3: a duplicate
            link('arn:action/train', 'arn:context/run', 'AssociatedWith'),
            { ...old, type: 'SameAs', createdAt: 9 }, // stored
          ],
        });
        expect(result).toEqual([stored, action, made, made, context, context]);
        expect(await store.getLineageEntity('arn:artifact/2')).toBeUndefined();
        expect(await store.getLineageEntity('arn:artifact/4')).toBeUndefined();
        expect(await store.getLineageEntity('s3://b/model.tar.gz')).toEqual(made);
        expect(await store.getLineageEntity('arn:context/run')).toEqual(context);
        expect(await store.listAssociations({ destinationArn: 'arn:action/train' })).toEqual([old, link('arn:artifact/1', 'arn:action/train', 'ContributedTo')]);
        expect(await store.listAssociations({ sourceArn: 'arn:action/train' })).toEqual([link('arn:action/train', 'arn:artifact/3', 'Produced'), link('arn:action/train', 'arn:context/run', 'AssociatedWith')]);
        expect(await store.writeLineage({ entities: [], associations: [] })).toEqual([]);
      });

      it('writes lineage larger than one statement', async () => {
        const entities = Array.from({ length: 2_500 }, (_, i) => artifact(`arn:artifact/${i}`, `s3://b/${i}.csv`));
        const associations = entities.slice(1).map((e, i) => ({ sourceArn: `arn:artifact/${i}`, destinationArn: e.arn, type: 'DerivedFrom' as const, createdAt: i }));
        await store.putLineageEntity(artifact('arn:artifact/old-1999', 's3://b/1999.csv'));
        const result = await store.writeLineage({ entities, associations });
        expect(result).toHaveLength(2_500);
        expect(result[1999]?.arn).toBe('arn:artifact/old-1999');
        expect(await store.getLineageEntity('s3://b/2499.csv')).toEqual(entities[2499]);
        expect(await store.listAssociations({ destinationArn: 'arn:artifact/old-1999' })).toEqual([associations[1998]].map((a) => ({ ...a, destinationArn: 'arn:artifact/old-1999' })));
        expect(await store.listAssociations({})).toHaveLength(2_499);
      });

      it('writes quotes, backslashes, unicode and nested JSON as given, and leaves an absent URI, digest or properties absent', async () => {
        const odd = `quote " apostrophe ' backslash \\ \\u0041 newline \n tab \t é 漢字 🙂 $1 ? {"a":1}`;
        const entities: LineageEntity[] = [
          {
            arn: `arn:artifact/${odd}`,
            kind: 'Artifact',
            name: odd,
            type: 'DataSet',
            sourceUri: `s3://b/${odd}`,
            digest: { kind: 'S3ETag', value: '"0123"' },
            properties: { [odd]: odd, nested: { list: [1, 2.5, -3e-7, true, false, null, odd, []], empty: {}, none: null }, big: 2 ** 53 - 1 },
            createdAt: 1,
          },
          { arn: 'arn:action/plain', kind: 'Action', name: 'plain', type: 'ModelTraining', createdAt: 2 },
          { arn: 'arn:artifact/no-digest', kind: 'Artifact', name: 'model', type: 'Model', sourceUri: 's3://b/model', properties: {}, createdAt: 3 },
        ];
        const associations: LineageAssociation[] = [{ sourceArn: `arn:artifact/${odd}`, destinationArn: 'arn:action/plain', type: 'ContributedTo', createdAt: 4 }];
        expect(await store.writeLineage({ entities, associations })).toStrictEqual(entities);
        for (const entity of entities) expect(await store.getLineageEntity(entity.arn)).toStrictEqual(entity);
        expect(await store.getLineageEntity(`s3://b/${odd}`)).toStrictEqual(entities[0]);
        // Written again (the artifact under another ARN): the stored entities come back.
        const again = await store.writeLineage({
          entities: [{ ...entities[0]!, arn: 'arn:artifact/other', name: 'other' }, { ...entities[1]!, name: 'other' }, entities[2]!],
          associations: [{ sourceArn: 'arn:artifact/other', destinationArn: 'arn:action/plain', type: 'SameAs', createdAt: 5 }],
        });
        expect(again).toStrictEqual(entities);
        expect(await store.listAssociations({ destinationArn: 'arn:action/plain' })).toStrictEqual(associations);
      });

      it('writes more than 10,000 entities and 20,000 associations in one call', async () => {
        const count = 12_000;
        const entities = Array.from({ length: count }, (_, i) => artifact(`arn:artifact/${i}`, `s3://b/${i}.csv`));
        const associations = entities.flatMap((e, i) =>
          [i + 1, i + 2].filter((j) => j < count).map((j) => ({ sourceArn: e.arn, destinationArn: `arn:artifact/${j}`, type: 'DerivedFrom' as const, createdAt: i })),
        );
        const before = await store.putLineageEntity(artifact('arn:artifact/old-10500', 's3://b/10500.csv'));
        await store.putLineageEntity(entities[11_999]!);
        const result = await store.writeLineage({ entities, associations });
        expect(result).toHaveLength(count);
        expect(result[10_500]).toStrictEqual(before);
        expect(result[11_999]).toStrictEqual(entities[11_999]);
        expect(await store.getLineageEntity('arn:artifact/10500')).toBeUndefined();
        expect(await store.getLineageEntity('s3://b/11998.csv')).toStrictEqual(entities[11_998]);
        expect(await store.listAssociations({ destinationArn: 'arn:artifact/old-10500' })).toStrictEqual(
          [associations[2 * 10_498 + 1]!, associations[2 * 10_499]!].map((a) => ({ ...a, destinationArn: 'arn:artifact/old-10500' })),
        );
        expect(await store.listAssociations({})).toHaveLength(2 * count - 3);
      });
    });
  });
}
