import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, onTestFinished } from 'vitest';
import { clusterTest } from '@cairn/test-support';
// eslint-disable-next-line import-x/no-relative-packages -- the worker's test helpers for its executable; not part of any package's API
import { outputOf as output, spawnCairn } from '../packages/worker/test/cli/built-cli-support.js';

const test = clusterTest;

const HANDLERS = fileURLToPath(new URL('../packages/worker/test/distributed/fixtures/handlers.ts', import.meta.url));
const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:record';

describe('distributed runtime through the cairn CLI', () => {
  test('cairn serve runs what cairn run --redis --database submits; many executions at once; SIGTERM stops it cleanly', { timeout: 90_000 }, async ({ databaseUrl, schema, redisUrl, prefix }) => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-e2e-dist-'));
    writeFileSync(join(dir, 'cairn.config.json'), JSON.stringify({ lambdas: { [ARN]: `${HANDLERS}#record` } }));
    const log = join(dir, 'runs.log');
    const step = (name: string, deps: string[] = []) => ({ Name: name, Type: 'Lambda', FunctionArn: ARN, Arguments: { log, name }, ...(deps.length ? { DependsOn: deps } : {}) });
    writeFileSync(join(dir, 'pipeline.json'), JSON.stringify({ Version: '2020-12-01', Steps: [step('A'), step('B', ['A']), step('C', ['A']), step('D', ['B', 'C'])] }));
    const database = `${databaseUrl}${databaseUrl.includes('?') ? '&' : '?'}schema=${schema}`;
    const env = { CAIRN_QUEUE_PREFIX: prefix };
    const global = ['--redis', redisUrl, '--database', database];

    const serve = spawnCairn([...global, 'serve', '--concurrency', '8'], { cwd: dir, env });
    onTestFinished(() => void serve.kill('SIGKILL'));
    const served = output(serve);
    const runs = await Promise.all([1, 2, 3].map(() => output(spawnCairn([...global, 'run', 'pipeline.json', '--no-progress'], { cwd: dir, env }))));
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/Execution [a-z0-9]{12} Succeeded/);
    }
    const id = /Execution ([a-z0-9]{12}) Succeeded/.exec(runs[0]!.stdout)![1]!;
    const steps = await output(spawnCairn([...global, 'executions', 'steps', id], { cwd: dir, env }));
    expect(steps.code).toBe(0);
    expect(steps.stdout).toMatch(/D/);

    serve.kill('SIGTERM');
    const stopped = await served;
    expect(stopped.code, stopped.stderr.slice(-2_000)).toBe(0);
    expect(stopped.stderr).toMatch(/"msg":"scheduler started"/);
    // Every log line of a step carries its execution, step and attempt.
    const stepLines = stopped.stderr.split('\n').filter((l) => l.includes('"step":'));
    expect(stepLines.length).toBeGreaterThan(0);
    for (const line of stepLines) expect(line).toMatch(/"executionId":"[a-z0-9]{12}".*"attempt":\d/);
  });
});
