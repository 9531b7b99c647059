import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { ArtifactStore } from '../artifacts.js';
import type { StepType } from '../definition/steps.js';
import type { JsonObject } from '../json.js';
import type { ExecutionRecord, StepExecutionRecord } from '../store/execution-store.js';
import type { LineageEntity, LineageWrite } from '../store/lineage-store.js';
import { MemoryStore } from '../store/memory-store.js';
import { TEST_ARN_PREFIX, makeExecutionRecord, makeStepRecord } from '../testing/fixtures.js';
import { lineageObserver, type LineageObserverOptions } from './lineage-observer.js';
import { recordStepLineage } from './record-lineage.js';

const RAW = 's3://data/raw/diamonds.csv';

/** A fake artifact store that counts digests and how many run at once. */
function fakeArtifacts() {
  const digested: string[] = [];
  let active = 0;
  let maxActive = 0;
  const artifacts: ArtifactStore = {
    id: 'fake',
    readText: async () => '',
    digest: async (uri) => {
      digested.push(uri);
      maxActive = Math.max(maxActive, ++active);
      await new Promise((resolve) => setImmediate(resolve));
      active--;
      return { kind: 'SHA256', value: `digest-of-${uri}`.padEnd(64, '0') };
    },
  };
  return { artifacts, digested, maxActive: () => maxActive };
}

/** Digests ready in the same tick. */
const quickArtifacts: ArtifactStore = {
  id: 'quick',
  readText: async () => '',
  digest: async (uri) => ({ kind: 'SHA256', value: `digest-of-${uri}`.padEnd(64, '0') }),
};

/** The finished steps of a diamonds-shaped run: preprocess → train → evaluate → register. */
function diamondsRun(run: number): { execution: ExecutionRecord; steps: StepExecutionRecord[] } {
  const execution = makeExecutionRecord({ pipelineName: 'Diamonds', parameters: { MseThreshold: 6 } });
  const prefix = `s3://bucket/run${run}`;
  const steps: [string, StepType, JsonObject, JsonObject][] = [
    [
      'Preprocess',
      'Processing',
      {
        ProcessingInputs: [
          { InputName: 'input-1', S3Input: { S3Uri: RAW } },
          { InputName: 'code', S3Input: { S3Uri: 's3://code/preprocess.ts' } },
        ],
        ProcessingOutputConfig: { Outputs: [{ OutputName: 'train', S3Output: { S3Uri: `${prefix}/train` } }, { OutputName: 'test', S3Output: { S3Uri: `${prefix}/test` } }] },
      },
      {},
    ],
    ['Train', 'Training', { HyperParameters: { max_depth: '4' }, InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3Uri: `${prefix}/train` } } }] }, { ModelArtifacts: { S3ModelArtifacts: `${prefix}/model/model.tar.gz` } }],
    [
      'Evaluate',
      'Processing',
      {
        ProcessingInputs: [{ InputName: 'model', S3Input: { S3Uri: `${prefix}/model/model.tar.gz` } }],
        ProcessingOutputConfig: { Outputs: [{ OutputName: 'evaluation', S3Output: { S3Uri: `${prefix}/evaluation` } }] },
      },
      {},
    ],
    [
      'Register',
      'RegisterModel',
      { InferenceSpecification: { Containers: [{ Image: 'img', ModelDataUrl: `${prefix}/model/model.tar.gz` }] } },
      { ModelPackageArn: `${TEST_ARN_PREFIX}:model-package/diamonds/${run}` },
    ],
  ];
  return {
    execution,
    steps: steps.map(([name, stepType, resolvedArguments, properties]) => makeStepRecord(execution.id, name, { stepType, status: 'Succeeded', resolvedArguments, properties })),
  };
}

/** Every association and the entities at their ends, sorted, to compare stores. */
async function dump(store: MemoryStore): Promise<{ entities: LineageEntity[]; associations: string[] }> {
  const associations = await store.listAssociations({});
  const arns = [...new Set(associations.flatMap((a) => [a.sourceArn, a.destinationArn]))].sort();
  const entities = await Promise.all(arns.map(async (arn) => (await store.getLineageEntity(arn)) ?? ({ arn, missing: true } as unknown as LineageEntity)));
  return { entities, associations: associations.map((a) => `${a.sourceArn} -${a.type}-> ${a.destinationArn} @${a.createdAt}`).sort() };
}

function spiedStore() {
  const store = new MemoryStore();
  return {
    store,
    writes: vi.spyOn(store, 'writeLineage'),
    puts: vi.spyOn(store, 'putLineageEntity'),
    adds: vi.spyOn(store, 'addAssociation'),
  };
}

function capturedLogger() {
  const lines: { level: number; msg: string; count?: number; steps?: string[] }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const options = (store: MemoryStore, artifacts: ArtifactStore, more: Partial<LineageObserverOptions> = {}): LineageObserverOptions => ({
  store,
  artifacts,
  arnPrefix: TEST_ARN_PREFIX,
  clock: { now: () => 7 },
  ...more,
});

describe('lineageObserver', () => {
  it('writes the steps that finish in one tick in one batch, with the same lineage as recording them one by one', async () => {
    const runs = Array.from({ length: 25 }, (_, i) => diamondsRun(i));
    const batched = spiedStore();
    const observer = lineageObserver(options(batched.store, quickArtifacts));
    await Promise.all(runs.flatMap(({ execution, steps }) => steps.map((step) => observer.onStepFinished(execution, step))));
    // 100 steps: one write, and one more for the DerivedFrom links of the RegisterModel steps.
    expect(batched.writes).toHaveBeenCalledTimes(2);
    expect(batched.puts).not.toHaveBeenCalled();
    expect(batched.adds).not.toHaveBeenCalled();

    const oneByOne = new MemoryStore();
    const { artifacts } = fakeArtifacts();
    for (const { execution, steps } of runs) {
      for (const step of steps) await recordStepLineage({ store: oneByOne, artifacts, arnPrefix: TEST_ARN_PREFIX, clock: { now: () => 7 } }, execution, step);
    }
    const expected = await dump(oneByOne);
    expect(expected.associations.filter((a) => a.includes('-DerivedFrom->'))).toHaveLength(25);
    expect(await dump(batched.store)).toEqual(expected);
  });

  it('does not write the contexts or digest the artifacts it has stored already', async () => {
    const { store, writes } = spiedStore();
    const fake = fakeArtifacts();
    const observer = lineageObserver(options(store, fake.artifacts));
    const { execution, steps } = diamondsRun(1);
    const [preprocess, train] = steps as [StepExecutionRecord, StepExecutionRecord];
    await observer.onStepFinished(execution, preprocess);
    await observer.onStepFinished(execution, train);
    const second = writes.mock.calls[1]?.[0] as LineageWrite;
    // Train: its action and its model; its input (Preprocess's output) is known, so neither written nor digested again.
    expect(second.entities.map((e) => e.kind)).toEqual(['Action', 'Artifact']);
    expect(second.associations.map((a) => a.type)).toEqual(['AssociatedWith', 'ContributedTo', 'Produced']);
    expect(fake.digested.filter((uri) => uri.endsWith('/train'))).toHaveLength(1);
    expect((await store.listAssociations({ destinationArn: second.entities[0]?.arn ?? '' })).map((a) => a.type)).toEqual(['ContributedTo']);
  });

  it('digests artifacts in parallel, a bounded number at once, and a shared URI once', async () => {
    const { store } = spiedStore();
    const fake = fakeArtifacts();
    const observer = lineageObserver(options(store, fake.artifacts, { digestConcurrency: 4 }));
    const execution = makeExecutionRecord();
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        observer.onStepFinished(execution, makeStepRecord(execution.id, `S${i}`, { stepType: 'Processing', status: 'Succeeded', resolvedArguments: { ProcessingInputs: [{ S3Input: { S3Uri: `s3://b/${i}` } }, { S3Input: { S3Uri: RAW } }] } })),
      ),
    );
    expect(fake.maxActive()).toBe(4);
    expect(fake.digested).toHaveLength(41);
    expect((await store.getLineageEntity(RAW))?.digest?.value).toMatch(/^digest-of-s3/);
  });

  it('writes at most maxBatchSteps steps at once, one write at a time', async () => {
    const { store, writes } = spiedStore();
    let inFlight = 0;
    let maxInFlight = 0;
    const write = MemoryStore.prototype.writeLineage.bind(store);
    writes.mockImplementation(async (w) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return write(w);
    });
    const observer = lineageObserver(options(store, fakeArtifacts().artifacts, { maxBatchSteps: 100 }));
    const execution = makeExecutionRecord();
    const first = Array.from({ length: 250 }, (_, i) => observer.onStepFinished(execution, makeStepRecord(execution.id, `S${i}`, { status: 'Succeeded' })));
    await first[0];
    // Steps that finish while a write is in flight join the next one (the last 50 of the first 250).
    const later = Array.from({ length: 30 }, (_, i) => observer.onStepFinished(execution, makeStepRecord(execution.id, `T${i}`, { status: 'Succeeded' })));
    await Promise.all([...first, ...later]);
    expect(writes.mock.calls.map(([w]) => w.entities.filter((e) => e.kind === 'Action').length)).toEqual([100, 100, 80]);
    expect(maxInFlight).toBe(1);
    expect(await store.listAssociations({ destinationArn: `${TEST_ARN_PREFIX}:context/p-${execution.id}` })).toHaveLength(280);
  });

  it('on resume, records the finished steps whose Action a crash left unwritten, and only those', async () => {
    const { store, writes } = spiedStore();
    const { execution, steps } = diamondsRun(1);
    const [preprocess, train, evaluate, register] = steps as [StepExecutionRecord, StepExecutionRecord, StepExecutionRecord, StepExecutionRecord];
    const before = lineageObserver(options(store, quickArtifacts));
    await before.onStepFinished(execution, preprocess);
    await before.onStepFinished(execution, train);
    // The process died before Evaluate's and Register's lineage was written; a copied step never had any here.
    const copied = makeStepRecord(execution.id, 'Copied', { status: 'Succeeded', selectiveSource: { sourceExecutionArn: 'arn:source' } });
    writes.mockClear();
    const fake = fakeArtifacts();
    const after = lineageObserver(options(store, fake.artifacts));
    await after.onExecutionResumed(execution, [preprocess, train, evaluate, register, copied]);
    expect(writes.mock.calls.flatMap(([w]) => w.entities.filter((e) => e.kind === 'Action').map((e) => e.name))).toEqual(['Evaluate', 'Register']);
    expect(fake.digested.some((uri) => uri.endsWith('/train'))).toBe(false);
    const oneByOne = new MemoryStore();
    for (const step of steps) await recordStepLineage({ store: oneByOne, artifacts: quickArtifacts, arnPrefix: TEST_ARN_PREFIX, clock: { now: () => 7 } }, execution, step);
    expect(await dump(store)).toEqual(await dump(oneByOne));

    writes.mockClear();
    await after.onExecutionResumed(execution, steps);
    expect(writes).not.toHaveBeenCalled();
  });

  it('close waits for the lineage a resume is making up', async () => {
    const { store } = spiedStore();
    const { execution, steps } = diamondsRun(2);
    const observer = lineageObserver(options(store, fakeArtifacts().artifacts, { maxDelayMs: 600_000 }));
    void observer.onExecutionResumed(execution, steps);
    await observer.close();
    expect(await store.getLineageEntity(`${TEST_ARN_PREFIX}:action/${execution.id}-register`)).toMatchObject({ kind: 'Action', name: 'Register' });
  });

  it('flush and close write everything finished before them without waiting for the batch delay', async () => {
    const { store, writes } = spiedStore();
    const observer = lineageObserver(options(store, fakeArtifacts().artifacts, { maxDelayMs: 600_000 }));
    const { execution, steps } = diamondsRun(1);
    const pending = steps.map((step) => observer.onStepFinished(execution, step));
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).not.toHaveBeenCalled();
    await observer.flush();
    expect(writes).toHaveBeenCalledTimes(2);
    expect((await dump(store)).associations.filter((a) => a.includes('-DerivedFrom->'))).toHaveLength(1);
    await Promise.all(pending);

    const next = diamondsRun(2);
    void observer.onStepFinished(next.execution, next.steps[0] as StepExecutionRecord);
    await observer.close();
    expect(await store.getLineageEntity(`${TEST_ARN_PREFIX}:action/${next.execution.id}-preprocess`)).toBeDefined();
    // After close, a step is written at once.
    await observer.onStepFinished(next.execution, next.steps[1] as StepExecutionRecord);
    expect(await store.getLineageEntity(`${TEST_ARN_PREFIX}:action/${next.execution.id}-train`)).toBeDefined();
  });

  it('logs a failed batch, writes its other steps one at a time and never rejects', async () => {
    const { store, writes } = spiedStore();
    const write = MemoryStore.prototype.writeLineage.bind(store);
    writes.mockImplementation(async (w) => {
      if (w.entities.some((e) => e.name === 'Bad')) throw new Error('cannot store Bad');
      return write(w);
    });
    const { logger, lines } = capturedLogger();
    const observer = lineageObserver(options(store, fakeArtifacts().artifacts, { logger }));
    const execution = makeExecutionRecord();
    const names = ['A', 'Bad', 'C'];
    await Promise.all(names.map((name) => observer.onStepFinished(execution, makeStepRecord(execution.id, name, { status: 'Succeeded' }))));
    expect(await store.getLineageEntity(`${TEST_ARN_PREFIX}:action/${execution.id}-a`)).toBeDefined();
    expect(await store.getLineageEntity(`${TEST_ARN_PREFIX}:action/${execution.id}-c`)).toBeDefined();
    expect(await store.getLineageEntity(`${TEST_ARN_PREFIX}:action/${execution.id}-bad`)).toBeUndefined();
    expect(lines.filter((l) => l.level >= 50)).toMatchObject([{ count: 1, steps: [`${execution.id}/Bad`] }]);
  });

  it('gives up a failed batch after a few single-step failures in a row (the store is down)', async () => {
    const { store, writes } = spiedStore();
    writes.mockRejectedValue(new Error('connection refused'));
    const { logger, lines } = capturedLogger();
    const observer = lineageObserver(options(store, fakeArtifacts().artifacts, { logger }));
    const execution = makeExecutionRecord();
    await Promise.all(Array.from({ length: 50 }, (_, i) => observer.onStepFinished(execution, makeStepRecord(execution.id, `S${i}`, { status: 'Succeeded' }))));
    expect(writes).toHaveBeenCalledTimes(4);
    expect(lines.filter((l) => l.level >= 50)).toMatchObject([{ count: 50 }]);
  });

  it('logs a step whose lineage cannot be prepared, and the others are still written', async () => {
    const { store } = spiedStore();
    const { logger, lines } = capturedLogger();
    const observer = lineageObserver(options(store, fakeArtifacts().artifacts, { logger }));
    const execution = makeExecutionRecord();
    const broken = { ...makeStepRecord(execution.id, 'Broken', { status: 'Succeeded' }), get stepName(): string { throw new Error('broken record'); } };
    await Promise.all([observer.onStepFinished(execution, broken), observer.onStepFinished(execution, makeStepRecord(execution.id, 'Fine', { status: 'Succeeded' }))]);
    expect(await store.getLineageEntity(`${TEST_ARN_PREFIX}:action/${execution.id}-fine`)).toBeDefined();
    expect(lines.filter((l) => l.level >= 50)).toHaveLength(1);
  });
});
