import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it, onTestFinished } from 'vitest';
import { SqliteStore, stepActionArn } from '@cairn/core';
import { makeExecutionRecord, makeStepRecord } from '@cairn/core/testing';
import { DEFAULT_ARN_PREFIX } from '@cairn/steps';
import { cli } from './harness.js';


it('a cairn run records the lineage that a killed cairn process left unwritten for an execution that had just ended', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'cairn-lineage-recovery-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const dbPath = path.join(dir, '.cairn', 'cairn.db');
  let store = await SqliteStore.open({ path: dbPath });
  // What a `cairn run` killed right after its execution ended leaves: the records, no lineage.
  await store.putPipeline({ name: 'p', definition: '{"Version":"2020-12-01","Steps":[]}' });
  const ended = makeExecutionRecord({ pipelineName: 'p', status: 'Succeeded', createdAt: Date.now() - 3_000, endedAt: Date.now() - 2_000, runtime: 'embedded' });
  await store.createExecution(ended);
  await store.commit({ steps: [makeStepRecord(ended.id, 'Last', { stepType: 'Lambda', status: 'Succeeded', endTime: ended.endedAt! })] });
  await store.close();
  const action = stepActionArn(DEFAULT_ARN_PREFIX, ended.id, 'Last');

  const definition = path.join(dir, 'fail.json');
  await writeFile(definition, JSON.stringify({ Version: '2020-12-01', Steps: [{ Name: 'Stop', Type: 'Fail', Arguments: { ErrorMessage: 'by design' } }] }));
  const run = await cli(['run', definition, '--name', 'other', '--no-progress'], dir);
  expect(run.code, run.stderr).toBe(1);

  store = await SqliteStore.open({ path: dbPath });
  onTestFinished(() => store.close());
  expect(await store.getLineageEntity(action)).toMatchObject({ kind: 'Action', name: 'Last' });
});
