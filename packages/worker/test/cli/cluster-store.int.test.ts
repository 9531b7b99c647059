import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, onTestFinished, vi } from 'vitest';
import { postgresTest } from '@cairn/test-support';
import { cli, fixture, writeTestConfig } from './harness.js';

postgresTest('with --redis and no --database, run/retry/stop read the cluster store of DATABASE_URL, as the cluster client does', async ({ databaseUrl, schema }) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'cairn-cli-cluster-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const config = path.join(dir, 'cairn.config.json');
  await writeTestConfig(config, dir);
  const url = new URL(databaseUrl);
  url.searchParams.set('schema', schema);
  // An execution that has ended, in the cluster's PostgreSQL store.
  expect((await cli(['--config', config, '--database', url.toString(), 'run', fixture('flaky.json'), '--param', `Marker=${config}`, '--no-progress'], dir)).code).toBe(0);
  const listed = JSON.parse((await cli(['--config', config, '--database', url.toString(), 'executions', 'list', '--json'], dir)).stdout) as { PipelineExecutionSummaries: { PipelineExecutionArn: string }[] };
  const arn = listed.PipelineExecutionSummaries[0]!.PipelineExecutionArn;

  vi.stubEnv('DATABASE_URL', url.toString());
  onTestFinished(() => void vi.unstubAllEnvs());
  // Found in PostgreSQL (not in the workspace's SQLite store); it has ended, so Redis is never contacted.
  const stop = await cli(['--config', config, '--redis', 'redis://127.0.0.1:1', 'stop', arn], dir);
  expect(stop.stderr).toMatch(/has already ended \(Succeeded\)/);
  expect(stop.code).toBe(1);
});
