import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fixture, testCli, writeTestConfig, type TestCli } from './harness.js';

let dir: string;
let config: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cairn-cli-run-'));
  config = path.join(dir, 'cairn.config.json');
  await writeTestConfig(config, dir);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `cairn --config <test config> <argv>` in-process. */
function cairn(argv: readonly string[], cli: TestCli = testCli(dir)) {
  return cli.run(['--config', config, ...argv]);
}

/** Waits until a running CLI has printed a callback token, and returns it. */
async function tokenPrintedBy(cli: TestCli): Promise<string> {
  return vi.waitFor(
    () => {
      const match = /cairn callback succeed (\S+)/.exec(cli.stdout());
      if (!match?.[1]) throw new Error('no callback token printed yet');
      return match[1];
    },
    { timeout: 15_000, interval: 50 },
  );
}

function executionIdIn(text: string): string {
  const match = /execution ([a-z0-9]{12})/.exec(text);
  if (!match?.[1]) throw new Error(`no execution id in: ${text}`);
  return match[1];
}

describe('cairn run', () => {
  it('follows an execution that ends at a Fail step with plain lines, and exits 1', async () => {
    const { code, stdout } = await cairn(['run', fixture('approval.ts'), '--param', 'Value=0.1']);
    expect(code).toBe(1);
    const id = executionIdIn(stdout);
    expect(stdout).toMatch(new RegExp(`^\\S+Z execution ${id} \\(cli-approval\\) Executing$`, 'm'));
    expect(stdout).toMatch(/^\S+Z Score \[Lambda\] Succeeded$/m);
    expect(stdout).toMatch(/^\S+Z Check \[Condition\] Succeeded$/m);
    expect(stdout).toMatch(/^\S+Z TooLow \[Fail\] Failed: score below 0\.5$/m);
    expect(stdout).toMatch(new RegExp(`^Execution ${id} Failed after \\S+\\.$`, 'm'));
    expect(stdout).toContain('  TooLow: score below 0.5');
    expect(stdout).toContain(`Details: cairn executions steps ${id}\n`);
    expect(stdout).not.toContain('Approve');
  });

  it('draws a live step table on a terminal', async () => {
    const { code, stdout } = await cairn(['run', fixture('approval.ts'), '--param', 'Value=0.1'], testCli(dir, { tty: true }));
    expect(code).toBe(1);
    const plain = stripVTControlCharacters(stdout);
    expect(plain).toMatch(/Execution [a-z0-9]{12} \(cli-approval\) · Failed · /);
    expect(plain).toMatch(/│ TooLow +│ Fail +│ Failed +│ 1 +│ \S+ +│ +│ score below 0\.5 +│/);
    expect(plain).toMatch(/Execution [a-z0-9]{12} Failed after/);
  });

  it('prints the final execution and its steps as JSON with --json', async () => {
    const { code, stdout } = await cairn(['run', fixture('approval.ts'), '--param', 'Value=0.2', '--json', '--display-name', 'low-score']);
    expect(code).toBe(1);
    const result = JSON.parse(stdout) as Record<string, unknown> & { PipelineExecutionSteps: Record<string, unknown>[] };
    expect(result).toMatchObject({ PipelineExecutionStatus: 'Failed', PipelineExecutionDisplayName: 'low-score', PipelineVersionId: 1 });
    const byName = new Map(result.PipelineExecutionSteps.map((s) => [s['StepName'], s]));
    expect([...byName.keys()].sort()).toEqual(['Check', 'Score', 'TooLow']);
    expect(byName.get('TooLow')).toMatchObject({ StepStatus: 'Failed', FailureReason: 'score below 0.5', AttemptCount: 1 });
    expect(byName.get('Check')).toMatchObject({ StepStatus: 'Succeeded', Metadata: { Condition: { Outcome: 'False' } } });
    expect(result.PipelineExecutionSteps.at(-1)?.['StepName']).toBe('Score');
  });

  it('runs selected steps with the others taken from a source execution, under a parallelism limit', async () => {
    const source = executionIdIn((await cairn(['run', fixture('approval.ts'), '--param', 'Value=0.1'])).stdout);
    const { code, stdout } = await cairn(['run', fixture('approval.ts'), '--select', 'Check,TooLow', '--from', source, '--max-parallel', '1', '--json']);
    expect(code).toBe(1);
    const result = JSON.parse(stdout) as Record<string, unknown> & { PipelineExecutionSteps: Record<string, unknown>[] };
    expect(result).toMatchObject({
      ParallelismConfiguration: { MaxParallelExecutionSteps: 1 },
      SelectiveExecutionConfig: { SelectedSteps: [{ StepName: 'Check' }, { StepName: 'TooLow' }] },
    });
    const score = result.PipelineExecutionSteps.find((s) => s['StepName'] === 'Score');
    expect(score).toMatchObject({ StepStatus: 'Succeeded', SelectiveExecutionResult: { SourcePipelineExecutionArn: expect.stringMatching(new RegExp(`/execution/${source}$`)) } });
  });

  it('prints the callback token and ends Succeeded once another command redeems it', async () => {
    const running = testCli(dir);
    const run = cairn(['run', fixture('approval.ts')], running);
    const token = await tokenPrintedBy(running);
    expect(running.stdout()).toContain('Callback step "Approve" is waiting for token');
    const redeemed = await cairn(['callback', 'succeed', token, '--output', 'approved=true']);
    expect(redeemed).toMatchObject({ code: 0 });
    expect(redeemed.stdout).toMatch(/Callback step "Approve" of execution [a-z0-9]{12} will succeed/);
    const { code, stdout } = await run;
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\S+Z Approve \[Callback\] Succeeded$/m);
    expect(stdout).toMatch(/^Execution [a-z0-9]{12} Succeeded after/m);
    const again = await cairn(['callback', 'succeed', token]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('[CALLBACK_TOKEN_INVALID]');
  });

  it('exits 2 on bad parameters, flags and definitions, before anything runs', async () => {
    const badValue = await cairn(['run', fixture('approval.ts'), '--param', 'Value=abc']);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain('[PARAMETER_INVALID]');
    expect((await cairn(['run', fixture('approval.ts'), '--param', 'Nope=1'])).code).toBe(2);
    const noEquals = await cairn(['run', fixture('approval.ts'), '--param', 'Value']);
    expect(noEquals.code).toBe(2);
    expect(noEquals.stderr).toContain('expected Name=Value, got "Value"');
    expect((await cairn(['run', fixture('unknown-reference.json')])).code).toBe(2);
    expect((await cairn(['run', fixture('approval.ts'), '--from', 'abc123def456'])).code).toBe(2);
    const list = await cairn(['executions', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual({ PipelineExecutionSummaries: [] });
  });

  it('stops gracefully on the first Ctrl-C and exits 130 on the second', async () => {
    const running = testCli(dir);
    const run = cairn(['run', fixture('approval.ts')], running);
    await tokenPrintedBy(running);
    running.interrupt();
    await vi.waitFor(() => expect(running.stdout()).toContain('Press Ctrl-C again to exit at once.'));
    running.interrupt();
    expect((await run).code).toBe(130);
  });
});

describe('cairn executions, stop, retry and logs', () => {
  it('lists, describes and lists the steps of executions', async () => {
    const { stdout } = await cairn(['run', fixture('approval.ts'), '--param', 'Value=0.1', '--no-progress']);
    const id = executionIdIn(stdout);
    expect(stdout.split('\n')[0]).toBe(`Started execution ${id} of cli-approval.`);

    const list = await cairn(['executions', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`│ ${id} │ cli-approval │ Failed +│`));
    const summaries = JSON.parse((await cairn(['executions', 'list', '--status', 'Failed', '--json'])).stdout) as { PipelineExecutionSummaries: Record<string, unknown>[] };
    expect(summaries.PipelineExecutionSummaries).toHaveLength(1);
    expect(summaries.PipelineExecutionSummaries[0]).toMatchObject({ PipelineExecutionStatus: 'Failed', PipelineExecutionFailureReason: 'score below 0.5' });
    expect(JSON.parse((await cairn(['executions', 'list', '--status', 'Succeeded', '--json'])).stdout)).toEqual({ PipelineExecutionSummaries: [] });

    const described = await cairn(['executions', 'describe', id]);
    expect(described.stdout).toMatch(/^Status: +Failed$/m);
    expect(described.stdout).toMatch(/^Parameters: +Value=0\.1, Threshold=0\.5$/m);
    expect(described.stdout).toMatch(/^Steps: +.*1 Failed/m);
    const json = JSON.parse((await cairn(['executions', 'describe', id, '--json'])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ PipelineExecutionStatus: 'Failed', PipelineParameters: [{ Name: 'Value', Value: '0.1' }, { Name: 'Threshold', Value: '0.5' }] });

    const steps = await cairn(['executions', 'steps', id]);
    expect(steps.stdout).toMatch(/│ TooLow +│ Fail +│ Failed +│ 1 +│/);
    const missing = await cairn(['executions', 'describe', 'nosuchexecut']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('[EXECUTION_NOT_FOUND]');
  });

  it('stops an execution that another command is running', async () => {
    const running = testCli(dir);
    const run = cairn(['run', fixture('approval.ts')], running);
    const token = await tokenPrintedBy(running);
    const id = executionIdIn(running.stdout());
    const stop = await cairn(['stop', id]);
    expect(stop).toMatchObject({ code: 0, stdout: `Stopping execution ${id}; the process running it stops its running steps.\n` });
    // A waiting Callback step ends only when its token is redeemed (as on SageMaker).
    await vi.waitFor(() => expect(running.stdout()).toContain('was asked to stop'), { timeout: 15_000 });
    expect((await cairn(['callback', 'fail', token, '--reason', 'stopped'])).code).toBe(0);
    const { code, stdout } = await run;
    expect(code).toBe(1);
    expect(stdout).toMatch(/^Execution [a-z0-9]{12} Stopped after/m);
    expect((await cairn(['stop', id])).code).toBe(1);
  });

  it('retries a failed execution in place', async () => {
    const marker = path.join(dir, 'marker');
    const first = await cairn(['run', fixture('flaky.json'), '--param', `Marker=${marker}`]);
    expect(first.code).toBe(1);
    const id = executionIdIn(first.stdout);
    expect(first.stdout).toContain(`marker ${marker} is missing`);
    await writeFile(marker, '');
    const retried = await cairn(['retry', id, '--json']);
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.stdout)).toMatchObject({ PipelineExecutionStatus: 'Succeeded', PipelineExecutionSteps: [{ StepName: 'Flaky', StepStatus: 'Succeeded' }] });
    const finished = await cairn(['retry', id]);
    expect(finished.code).toBe(1);
    expect(finished.stderr).toContain('[EXECUTION_NOT_RETRYABLE]');
  });

  it("prints a step's kept stdout and stderr", async () => {
    const run = await cairn(['run', fixture('logs.json'), '--no-progress']);
    expect(run.code).toBe(0);
    const id = executionIdIn(run.stdout);
    expect(await cairn(['logs', id, 'Hello'])).toMatchObject({ code: 0, stdout: 'hello from stdout\n' });
    expect(await cairn(['logs', id, 'Hello', '--stderr'])).toMatchObject({ code: 0, stdout: 'hello from stderr\n' });
    const otherAttempt = await cairn(['logs', id, 'Hello', '--attempt', '2']);
    expect(otherAttempt.code).toBe(2);
    expect(otherAttempt.stderr).toContain('No stdout log for attempt 2 of step "Hello"');
    expect((await cairn(['logs', id, 'Nope'])).code).toBe(2);
    expect(existsSync(path.join(dir, 'ws', 'cairn.db'))).toBe(true);
  });
});
