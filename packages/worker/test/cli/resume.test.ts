import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { spawnCairn } from './built-cli-support.js';
import { fixture, testCli, writeTestConfig } from './harness.js';

let dir: string;
let config: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cairn-cli-resume-'));
  config = path.join(dir, 'cairn.config.json');
  await writeTestConfig(config, dir);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function cairn(argv: readonly string[]) {
  return testCli(dir).run(['--config', config, ...argv]);
}

describe('cairn resume', () => {
  it('finishes an execution whose `cairn run` process was killed, without running done steps again', async () => {
    // A real process runs the pipeline until its Callback step parks, then dies without a chance to clean up.
    const child = spawnCairn(['--config', config, 'run', fixture('approval.ts'), '--no-progress'], { cwd: dir });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const token = await vi.waitFor(
      () => {
        const match = /cairn callback succeed (\S+)/.exec(out);
        if (!match?.[1]) throw new Error('no callback token printed yet');
        return match[1];
      },
      { timeout: 20_000, interval: 50 },
    );
    const id = /execution ([a-z0-9]{12})/.exec(out)?.[1];
    expect(id).toBeDefined();
    // Kill it once the parked step is durable (the token is printed just before that commit).
    await vi.waitFor(
      async () => {
        const { PipelineExecutionSteps: steps } = JSON.parse((await cairn(['executions', 'steps', id!, '--json'])).stdout) as { PipelineExecutionSteps: { StepName: string; StepStatus: string }[] };
        expect(steps.find((s) => s.StepName === 'Approve')?.StepStatus).toBe('Executing');
      },
      { timeout: 20_000, interval: 100 },
    );
    child.kill('SIGKILL');
    await exited;

    const orphan = await cairn(['executions', 'describe', id!, '--json']);
    expect(JSON.parse(orphan.stdout)).toMatchObject({ PipelineExecutionStatus: 'Executing' });

    // The token is redeemed while nobody drives the execution; `resume` picks the result up.
    expect((await cairn(['callback', 'succeed', token, '--output', 'approved=true'])).code).toBe(0);
    const resumed = await cairn(['resume', id!, '--json']);
    expect(resumed.code).toBe(0);
    const result = JSON.parse(resumed.stdout) as { PipelineExecutionStatus: string; PipelineExecutionSteps: { StepName: string; StepStatus: string; AttemptCount: number }[] };
    expect(result.PipelineExecutionStatus).toBe('Succeeded');
    expect(result.PipelineExecutionSteps.find((s) => s.StepName === 'Score')).toMatchObject({ StepStatus: 'Succeeded', AttemptCount: 1 });
    expect(result.PipelineExecutionSteps.find((s) => s.StepName === 'Approve')).toMatchObject({ StepStatus: 'Succeeded' });
  }, 60_000);

  it('refuses an execution that has already ended, and says what to do', async () => {
    const run = await cairn(['run', fixture('approval.ts'), '--param', 'Value=0.1', '--no-progress']);
    expect(run.code).toBe(1);
    const id = /execution ([a-z0-9]{12})/.exec(run.stdout)?.[1];
    const { code, stderr } = await cairn(['resume', id!]);
    expect(code).toBe(1);
    expect(stderr).toContain(`Execution ${id} is Failed`);
    expect(stderr).toContain(`cairn retry ${id}`);
  });
});
