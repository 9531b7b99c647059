import { describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../artifacts.js';
import type { JsonObject } from '../json.js';
import { MemoryStore } from '../store/memory-store.js';
import { TEST_ARN_PREFIX, makeExecutionRecord, makeStepRecord } from '../testing/fixtures.js';
import { queryLineage } from './query-lineage.js';
import { recordStepLineage } from './record-lineage.js';
import { lineageToJson, renderLineageMermaid, renderLineageTree } from './render-lineage.js';
import type { StepType } from '../definition/steps.js';

const RAW = 's3://data/raw/diamonds.csv';
const artifacts: ArtifactStore = {
  id: 'fake',
  readText: async () => '',
  digest: async (uri) => ({ kind: 'SHA256', value: `digest-of-${uri}`.padEnd(64, '0') }),
};

/** Records the lineage of a diamonds-shaped run: preprocess → train → evaluate → register. */
async function recordRun(store: MemoryStore, run: number) {
  const execution = makeExecutionRecord({ pipelineName: 'Diamonds', parameters: { MseThreshold: 6 } });
  const prefix = `s3://bucket/run${run}`;
  const steps: [string, StepType, JsonObject, JsonObject][] = [
    [
      'Preprocess',
      'Processing',
      {
        ProcessingInputs: [
          { InputName: 'input-1', S3Input: { S3Uri: RAW, LocalPath: '/opt/ml/processing/input' } },
          { InputName: 'code', S3Input: { S3Uri: 's3://code/preprocess.ts' } },
        ],
        ProcessingOutputConfig: { Outputs: [{ OutputName: 'train', S3Output: { S3Uri: `${prefix}/train` } }, { OutputName: 'test', S3Output: { S3Uri: `${prefix}/test` } }] },
      },
      {},
    ],
    [
      'Train',
      'Training',
      {
        HyperParameters: { max_depth: '4' },
        InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3Uri: `${prefix}/train` } } }],
        OutputDataConfig: { S3OutputPath: `${prefix}/model` },
      },
      { ModelArtifacts: { S3ModelArtifacts: `${prefix}/model/model.tar.gz` } },
    ],
    [
      'Evaluate',
      'Processing',
      {
        ProcessingInputs: [
          { InputName: 'model', S3Input: { S3Uri: `${prefix}/model/model.tar.gz` } },
          { InputName: 'test', S3Input: { S3Uri: `${prefix}/test` } },
        ],
        ProcessingOutputConfig: { Outputs: [{ OutputName: 'evaluation', S3Output: { S3Uri: `${prefix}/evaluation` } }] },
      },
      {},
    ],
    [
      'Register',
      'RegisterModel',
      {
        ModelPackageGroupName: 'Diamonds',
        InferenceSpecification: { Containers: [{ Image: 'img', ModelDataUrl: `${prefix}/model/model.tar.gz` }] },
        ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: `${prefix}/evaluation/evaluation.json` } } },
      },
      { ModelPackageArn: `${TEST_ARN_PREFIX}:model-package/diamonds/${run}` },
    ],
  ];
  for (const [name, type, args, properties] of steps) {
    const step = makeStepRecord(execution.id, name, { stepType: type, status: 'Succeeded', resolvedArguments: args, properties });
    await recordStepLineage({ store, artifacts, arnPrefix: TEST_ARN_PREFIX, clock: { now: () => run } }, execution, step);
  }
  return { execution, modelPackageArn: `${TEST_ARN_PREFIX}:model-package/diamonds/${run}` };
}

const uris = (vertices: { sourceUri?: string }[]) => vertices.map((v) => v.sourceUri).filter((u): u is string => u !== undefined);

describe('lineage', () => {
  it('answers which data, code and parameters produced a model version', async () => {
    const store = new MemoryStore();
    const { modelPackageArn } = await recordRun(store, 1);
    const result = await queryLineage(store, modelPackageArn, { direction: 'upstream' });
    expect(result.start).toMatchObject({ kind: 'Artifact', type: 'ModelPackage' });
    expect(uris(result.vertices)).toEqual(expect.arrayContaining([RAW, 's3://code/preprocess.ts', 's3://bucket/run1/train', 's3://bucket/run1/model/model.tar.gz']));
    const train = result.vertices.find((v) => v.kind === 'Action' && v.name === 'Train');
    expect(train).toMatchObject({ type: 'TrainingJob', properties: { HyperParameters: { max_depth: '4' } } });
    const raw = result.vertices.find((v) => v.sourceUri === RAW);
    expect(raw).toMatchObject({ type: 'DataSet', digest: { kind: 'SHA256' } });
    expect(result.vertices.find((v) => v.sourceUri === 's3://code/preprocess.ts')?.type).toBe('Code');
    expect(result.edges).toContainEqual(expect.objectContaining({ destinationArn: result.start.arn, type: 'DerivedFrom' }));
  });

  it('answers which model versions were trained from a data set, and a second run adds version 2 without touching version 1', async () => {
    const store = new MemoryStore();
    const first = await recordRun(store, 1);
    const before = await queryLineage(store, first.modelPackageArn, { direction: 'upstream' });
    const second = await recordRun(store, 2);
    const after = await queryLineage(store, first.modelPackageArn, { direction: 'upstream' });
    expect(after).toEqual(before);
    const downstream = await queryLineage(store, RAW, { direction: 'downstream' });
    expect(uris(downstream.vertices)).toEqual(expect.arrayContaining([first.modelPackageArn, second.modelPackageArn]));
    expect(downstream.vertices.filter((v) => v.kind === 'Context')).toEqual([]);
    const shallow = await queryLineage(store, RAW, { direction: 'downstream', depth: 1 });
    expect(shallow.vertices.map((v) => v.name)).toEqual(['diamonds.csv', 'Preprocess', 'Preprocess']);
  });

  it('de-duplicates artifacts shared by runs and reports an unknown start clearly', async () => {
    const store = new MemoryStore();
    await recordRun(store, 1);
    await recordRun(store, 2);
    const raw = await store.getLineageEntity(RAW);
    const consumers = await store.listAssociations({ sourceArn: raw?.arn ?? '' });
    expect(consumers).toHaveLength(2);
    await expect(queryLineage(store, 's3://nowhere', { direction: 'upstream' })).rejects.toMatchObject({ code: 'INPUT_UNREADABLE' });
  });

  it('renders a tree, QueryLineage-shaped JSON and Mermaid', async () => {
    const store = new MemoryStore();
    const { modelPackageArn } = await recordRun(store, 1);
    const result = await queryLineage(store, modelPackageArn, { direction: 'upstream', depth: 3 });
    const tree = renderLineageTree(result);
    expect(tree.split('\n')[0]).toBe(`Artifact/ModelPackage ${modelPackageArn}`);
    expect(tree).toMatch(/◀ Produced: Action\/ModelRegistration Register/);
    expect(tree).toMatch(/◀ ContributedTo: Artifact\/Model s3:\/\/bucket\/run1\/model\/model.tar.gz sha256:digest-of-s3/);
    const json = lineageToJson(result);
    expect(json).toMatchObject({ Direction: 'Ascendants', Vertices: expect.arrayContaining([expect.objectContaining({ LineageType: 'Action', Type: 'TrainingJob' })]) });
    expect((json['Edges'] as unknown[]).length).toBe(result.edges.length);
    const mermaid = renderLineageMermaid(result);
    expect(mermaid.split('\n')[0]).toBe('flowchart LR');
    expect(mermaid).toMatch(/n\d+ -->\|Produced\| n0/);
  });
});
