import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { postgresTest } from '@cairn/test-support';
import { cli, fixture, writeTestConfig } from './harness.js';

postgresTest('--database keeps executions in PostgreSQL, in the schema the URL names', async ({ databaseUrl, schema }) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'cairn-cli-pg-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const config = path.join(dir, 'cairn.config.json');
  await writeTestConfig(config, dir);
  const url = new URL(databaseUrl);
  url.searchParams.set('schema', schema);
  const postgres = ['--config', config, '--database', url.toString()];

  const run = await cli([...postgres, 'run', fixture('flaky.json'), '--param', `Marker=${config}`, '--no-progress'], dir);
  expect(run.code).toBe(0);
  const listed = JSON.parse((await cli([...postgres, 'executions', 'list', '--json'], dir)).stdout) as { PipelineExecutionSummaries: unknown[] };
  expect(listed.PipelineExecutionSummaries).toEqual([expect.objectContaining({ PipelineExecutionStatus: 'Succeeded' })]);
  // The embedded SQLite store of the same workspace has none.
  expect(JSON.parse((await cli(['--config', config, 'executions', 'list', '--json'], dir)).stdout)).toEqual({ PipelineExecutionSummaries: [] });
});
