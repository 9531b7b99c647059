import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore, recordStepLineage, verifyWebhookSignature } from '@cairn/core';
import { makeExecutionRecord, makeStepRecord } from '@cairn/core/testing';
import { exitCodeFor } from '../exit.js';
import type { CliIo } from '../io.js';
import { buildProgram } from '../main.js';
import { writeError } from '../output.js';
import * as events from './events.js';
import * as lineage from './lineage.js';
import * as models from './models.js';

const ARN_PREFIX = 'arn:aws:sagemaker:local:000000000000';
const MODULES = { models, lineage, events };

/** Runs `cairn <argv>` in-process (with these command modules registered if main.ts does not yet). */
async function cairn(cwd: string, argv: string[], vars: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd, env: vars, onInterrupt: () => () => {} };
  const { program, env } = buildProgram(io);
  for (const [name, module] of Object.entries(MODULES)) {
    if (!program.commands.some((c) => c.name() === name)) module.register(program, env);
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return { code: env.exitCode, stdout, stderr };
  } catch (err) {
    if (err instanceof CommanderError) return { code: err.exitCode === 0 ? 0 : 2, stdout, stderr };
    writeError(io.stderr, err);
    return { code: exitCodeFor(err), stdout, stderr };
  } finally {
    await env.close();
  }
}

describe('cairn models / lineage / events', () => {
  let dir: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cairn-models-'));
    // Seed the workspace store (.cairn/cairn.db, the CLI's default) with three versions of a group.
    const store = await SqliteStore.open({ path: join(dir, '.cairn', 'cairn.db') });
    const execution = makeExecutionRecord({ pipelineName: 'Diamonds' });
    for (let i = 0; i < 3; i++) {
      await store.createModelPackage({
        request: { ModelPackageGroupName: 'Diamonds', InferenceSpecification: { Containers: [{ Image: 'img', ModelDataUrl: `s3://b/run${i}/model.tar.gz` }] } },
        createdBy: 'pipeline',
        arnPrefix: ARN_PREFIX,
        now: 1_000 + i,
        executionArn: execution.arn,
      });
    }
    const train = makeStepRecord(execution.id, 'Train', {
      status: 'Succeeded',
      resolvedArguments: { InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3Uri: 's3://b/raw.csv' } } }] },
      properties: { ModelArtifacts: { S3ModelArtifacts: 's3://b/run0/model.tar.gz' } },
    });
    const register = makeStepRecord(execution.id, 'Register', {
      stepType: 'RegisterModel',
      status: 'Succeeded',
      resolvedArguments: { InferenceSpecification: { Containers: [{ ModelDataUrl: 's3://b/run0/model.tar.gz' }] } },
      properties: { ModelPackageArn: `${ARN_PREFIX}:model-package/diamonds/1` },
    });
    for (const step of [train, register]) await recordStepLineage({ store, arnPrefix: ARN_PREFIX }, execution, step);
    await store.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lists groups and versions, describes one, and prints the latest approved ARN', async () => {
    expect((await cairn(dir, ['models', 'groups'])).stdout).toMatch(/Diamonds/);
    const list = await cairn(dir, ['models', 'list', 'Diamonds', '--json']);
    expect((JSON.parse(list.stdout) as { ModelPackageSummaryList: { ModelPackageVersion: number }[] }).ModelPackageSummaryList.map((p) => p.ModelPackageVersion)).toEqual([3, 2, 1]);
    expect((await cairn(dir, ['models', 'latest', 'Diamonds'])).code).toBe(1);
    const approved = await cairn(dir, ['models', 'approve', 'Diamonds/2', '--reason', 'MSE 4.1', '--by', 'alice']);
    expect(approved).toMatchObject({ code: 0, stdout: expect.stringMatching(/PendingManualApproval → Approved \(by alice\)/) });
    expect((await cairn(dir, ['models', 'latest', 'Diamonds', '--status', 'Approved'])).stdout.trim()).toBe(`${ARN_PREFIX}:model-package/diamonds/2`);
    const described = await cairn(dir, ['models', 'describe', 'Diamonds/2', '--json']);
    expect(JSON.parse(described.stdout)).toMatchObject({ ModelApprovalStatus: 'Approved', ApprovalDescription: 'MSE 4.1', ApprovalHistory: [{ To: 'PendingManualApproval' }, { From: 'PendingManualApproval', To: 'Approved', By: 'alice', Reason: 'MSE 4.1' }] });
    expect((await cairn(dir, ['models', 'describe', 'Diamonds/2'])).stdout).toMatch(/alice/);
  });

  it('refuses an illegal approval move with exit 1 and a clear message, and unknown versions with exit 2', async () => {
    await cairn(dir, ['models', 'approve', 'Diamonds/1', '--reason', 'ok']);
    const again = await cairn(dir, ['models', 'approve', 'Diamonds/1', '--reason', 'ok']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already Approved\. To fix: from Approved you can go to Rejected or PendingManualApproval\. \[APPROVAL_TRANSITION_INVALID\]/);
    expect((await cairn(dir, ['models', 'reject', 'Diamonds/9', '--reason', 'x'])).code).toBe(2);
    expect((await cairn(dir, ['models', 'reject', 'Diamonds/1'])).code).toBe(2);
  });

  it('models wait exits 0 when approved, 1 when rejected, 2 on timeout', async () => {
    const waitApproved = cairn(dir, ['models', 'wait', 'Diamonds/1', '--for', 'Approved', '--timeout', '30s', '--interval', '20ms']);
    expect((await cairn(dir, ['models', 'approve', 'Diamonds/1', '--reason', 'ok'])).code).toBe(0);
    expect((await waitApproved).code).toBe(0);

    const waitRejected = cairn(dir, ['models', 'wait', 'Diamonds/2', '--timeout', '30s', '--interval', '20ms']);
    expect((await cairn(dir, ['models', 'reject', 'Diamonds/2', '--reason', 'bias'])).code).toBe(0);
    const rejected = await waitRejected;
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/is Rejected, not Approved \("bias"\)/);

    const timedOut = await cairn(dir, ['models', 'wait', 'Diamonds/3', '--timeout', '50ms', '--interval', '10ms']);
    expect(timedOut.code).toBe(2);
    expect(timedOut.stderr).toMatch(/still PendingManualApproval/);
  });

  it('sends a signed webhook on approval, lists deliveries and redelivers one', async () => {
    const received: { body: string; signature: string }[] = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ body, signature: String(req.headers['cairn-signature']) });
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const vars = { CAIRN_WEBHOOK_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, CAIRN_WEBHOOK_SECRET: 'ci-secret-0123456789' };
      expect((await cairn(dir, ['models', 'approve', 'Diamonds/3', '--reason', 'ship it'], vars)).code).toBe(0);
      expect(received).toHaveLength(1);
      expect(verifyWebhookSignature(vars.CAIRN_WEBHOOK_SECRET, received[0]?.signature, received[0]?.body ?? '')).toBe(true);
      expect(JSON.parse(received[0]?.body ?? '{}')).toMatchObject({ detail: { ModelApprovalStatus: 'Approved', ModelPackageVersion: 3 } });
      const [delivery] = JSON.parse((await cairn(dir, ['events', 'list', '--json'])).stdout) as { id: string; status: string }[];
      expect(delivery?.status).toBe('delivered');
      expect((await cairn(dir, ['events', 'redeliver', delivery?.id ?? ''], vars)).code).toBe(0);
      expect(received).toHaveLength(2);
      expect((await cairn(dir, ['events', 'redeliver', 'nope'], vars)).code).toBe(2);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('cairn lineage walks upstream from a model version and downstream from a data set', async () => {
    const up = await cairn(dir, ['lineage', 'Diamonds/1', '--upstream']);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/s3:\/\/b\/raw\.csv/);
    const down = await cairn(dir, ['lineage', 's3://b/raw.csv', '--downstream', '--format', 'json']);
    expect(JSON.parse(down.stdout)).toMatchObject({ Vertices: expect.arrayContaining([expect.objectContaining({ SourceUri: `${ARN_PREFIX}:model-package/diamonds/1` })]) });
    expect((await cairn(dir, ['lineage', 's3://b/raw.csv', '--downstream', '--format', 'mermaid'])).stdout).toMatch(/^flowchart LR/);
    expect((await cairn(dir, ['lineage', 's3://unknown'])).code).toBe(2);
  });
});
