import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EmbeddedRuntime,
  SqliteStore,
  createExecutorRouter,
  lineageObserver,
  queryLineage,
  type ExecutionRecord,
  type PipelineDefinition,
} from '@cairn/core';
import { LocalArtifactStore, localExecutor, resolveCairnConfig } from '@cairn/steps';

const EXAMPLE = join(import.meta.dirname, '../../../../../examples/diamonds');
const RAW_CSV = 's3://cairn-examples/diamonds/data/diamonds.csv';

/**
 * Lineage of real diamonds runs on the local executor, recorded by `lineageObserver`: from the model
 * version back to the raw CSV, from the CSV forward to every version, and a second run that makes
 * version 2 without disturbing version 1.
 */
describe('lineage of the diamonds example', () => {
  let dir: string;
  let store: SqliteStore;
  let runtime: EmbeddedRuntime;
  const runs: ExecutionRecord[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cairn-lineage-'));
    const raw = JSON.parse(readFileSync(join(EXAMPLE, 'cairn.config.json'), 'utf8')) as Record<string, unknown>;
    const config = resolveCairnConfig({ ...raw, workspace: join(dir, 'ws') }, EXAMPLE);
    store = await SqliteStore.open({ path: join(dir, 'ws', 'cairn.db'), arnPrefix: config.arnPrefix });
    const artifacts = new LocalArtifactStore({ root: config.artifactsRoot, mounts: config.mounts });
    const executors = createExecutorRouter([localExecutor({ config, artifacts })]);
    runtime = new EmbeddedRuntime({
      store,
      executors,
      artifacts,
      logger: pino({ level: 'silent' }),
      arnPrefix: config.arnPrefix,
      observers: [lineageObserver({ store, artifacts, arnPrefix: config.arnPrefix })],
    });
    const module = (await import(pathToFileURL(join(EXAMPLE, 'pipeline.ts')).href)) as { default: { definition(): PipelineDefinition } };
    for (let i = 0; i < 2; i++) {
      const started = await runtime.startExecution({ pipelineName: 'DiamondsPricePipeline', definition: module.default.definition() });
      runs.push(await runtime.waitForExecution(started.id));
    }
  }, 600_000);

  afterAll(async () => {
    await runtime.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('goes from a model version back to the raw CSV, with digests', async () => {
    expect(runs.map((r) => r.status)).toEqual(['Succeeded', 'Succeeded']);
    const v1 = await store.getModelPackage('DiamondsPriceModels/1');
    expect(v1?.executionArn).toBe(runs[0]?.arn);
    const up = await queryLineage(store, v1?.arn ?? '', { direction: 'upstream' });
    const csv = up.vertices.find((v) => v.sourceUri === RAW_CSV);
    expect(csv).toMatchObject({ kind: 'Artifact', type: 'DataSet', digest: { kind: 'SHA256' } });
    expect(up.vertices.filter((v) => v.kind === 'Action').map((v) => v.name)).toEqual(expect.arrayContaining(['TrainDiamonds', 'PreprocessDiamonds']));
    expect(up.vertices.some((v) => v.type === 'Code')).toBe(true);
    expect(up.vertices.some((v) => v.type === 'Model' && v.sourceUri?.endsWith('model.tar.gz'))).toBe(true);
  });

  it('goes from the raw CSV forward to both versions; version 2 leaves version 1 alone', async () => {
    const down = await queryLineage(store, RAW_CSV, { direction: 'downstream' });
    const packages = down.vertices.filter((v) => v.type === 'ModelPackage').map((v) => v.sourceUri);
    const [v1, v2] = await Promise.all([store.getModelPackage('DiamondsPriceModels/1'), store.getModelPackage('DiamondsPriceModels/2')]);
    expect(packages).toEqual(expect.arrayContaining([v1?.arn, v2?.arn]));
    const v1Up = await queryLineage(store, v1?.arn ?? '', { direction: 'upstream' });
    expect(v1Up.vertices.filter((v) => v.kind === 'Action').every((a) => String(a.properties?.['ExecutionArn']) === runs[0]?.arn)).toBe(true);
    expect(v1?.approvalStatus).toBe('PendingManualApproval');
  });
});
