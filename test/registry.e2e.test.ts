import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '@cairn/core';
import { runCli } from '@cairn/worker';

const EXAMPLE = resolve(import.meta.dirname, '../examples/diamonds');
const RAW_CSV = 's3://cairn-examples/diamonds/data/diamonds.csv';
const SECRET = 'e2e-webhook-secret-0123456789';

/** One webhook POST as the receiver saw it. */
interface Received {
  body: string;
  signature: string | undefined;
  event: { 'detail-type': string; detail: { ModelPackageArn: string; ModelApprovalStatus: string; ApprovalDescription?: string } };
}

/** A local webhook receiver (127.0.0.1) that keeps every POST. */
async function startReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const signature = req.headers['cairn-signature'];
      received.push({ body, signature: typeof signature === 'string' ? signature : undefined, event: JSON.parse(body) as Received['event'] });
      res.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

/**
 * The Model Registry end to end through the `cairn` CLI (in-process): the diamonds example
 * registers version 1 (events to a webhook from cairn.config.json), approval sends a signed
 * webhook, `models wait` gates on it, lineage leads back to the raw CSV, and a second run makes
 * version 2 without touching version 1.
 */
describe('Model Registry, approvals and lineage through the CLI', () => {
  let dir: string;
  let config: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let firstRun: { code: number; stdout: string; stderr: string };

  async function cairn(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['--config', config, ...argv], {
      stdout: { write: (s: string) => void (stdout += s), isTTY: false, columns: 120, rows: 40 },
      stderr: { write: (s: string) => void (stderr += s) },
      cwd: dir,
      env: { E2E_WEBHOOK_SECRET: SECRET, USER: 'e2e' },
      onInterrupt: () => () => undefined,
    });
    return { code, stdout, stderr };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cairn-e2e-registry-'));
    receiver = await startReceiver();
    const example = JSON.parse(readFileSync(join(EXAMPLE, 'cairn.config.json'), 'utf8')) as { artifacts: { mounts: Record<string, string> }; images: unknown };
    const mounts = Object.fromEntries(Object.entries(example.artifacts.mounts).map(([uri, path]) => [uri, resolve(EXAMPLE, path)]));
    config = join(dir, 'cairn.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        workspace: join(dir, 'ws'),
        artifacts: { mounts },
        images: example.images,
        events: { webhooks: [{ url: receiver.url, secretEnv: 'E2E_WEBHOOK_SECRET' }] },
      }),
    );
    firstRun = await cairn('run', join(EXAMPLE, 'pipeline.ts'), '--no-progress');
  }, 120_000);

  afterAll(() => {
    receiver.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers version 1 as PendingManualApproval with the execution and step, and announces it', async () => {
    expect(firstRun.code, firstRun.stderr).toBe(0);
    const described = await cairn('models', 'describe', 'DiamondsPriceModels/1', '--json');
    expect(described.code, described.stderr).toBe(0);
    const v1 = JSON.parse(described.stdout) as { ModelApprovalStatus: string; MetadataProperties: { GeneratedBy: string } };
    expect(v1.ModelApprovalStatus).toBe('PendingManualApproval');
    expect(v1.MetadataProperties.GeneratedBy).toMatch(/:pipeline\/.+\/execution\/[a-z0-9]{12}$/);
    const text = await cairn('models', 'describe', 'DiamondsPriceModels/1');
    expect(text.stdout).toMatch(/Step:\s+RegisterDiamonds-RegisterModel\n/);
    expect(text.stdout).toContain(v1.MetadataProperties.GeneratedBy);
    // `cairn run` delivered the registration event before it ended.
    expect(receiver.received.map((r) => r.event.detail.ModelApprovalStatus)).toEqual(['PendingManualApproval']);
  });

  it('approval sends a signed webhook that verifies; models wait exits 0', async () => {
    const approved = await cairn('models', 'approve', 'DiamondsPriceModels/1', '--reason', 'MSE within threshold');
    expect(approved.code, approved.stderr).toBe(0);
    const last = receiver.received.at(-1);
    expect(last?.event).toMatchObject({
      'detail-type': 'SageMaker Model Package State Change',
      detail: { ModelApprovalStatus: 'Approved', ApprovalDescription: 'MSE within threshold' },
    });
    expect(verifyWebhookSignature(SECRET, last?.signature, last?.body ?? '')).toBe(true);
    expect(verifyWebhookSignature('some-other-secret-0123456789', last?.signature, last?.body ?? '')).toBe(false);
    const deliveries = await cairn('events', 'list', '--json');
    expect((JSON.parse(deliveries.stdout) as { status: string }[]).map((d) => d.status)).toEqual(['delivered', 'delivered']);
    const waited = await cairn('models', 'wait', 'DiamondsPriceModels/1', '--for', 'Approved', '--timeout', '5s', '--interval', '100ms');
    expect(waited.code, waited.stderr).toBe(0);
  });

  it('walks lineage from version 1 up to the raw CSV', async () => {
    const lineage = await cairn('lineage', 'DiamondsPriceModels/1', '--upstream', '--format', 'json');
    expect(lineage.code, lineage.stderr).toBe(0);
    const { Vertices } = JSON.parse(lineage.stdout) as { Vertices: { SourceUri?: string; Type: string; LineageType: string; Digest?: { Kind: string } }[] };
    expect(Vertices.find((v) => v.SourceUri === RAW_CSV)).toMatchObject({ LineageType: 'Artifact', Type: 'DataSet', Digest: { Kind: 'SHA256' } });
    const tree = await cairn('lineage', 'DiamondsPriceModels/1', '--upstream');
    expect(tree.stdout).toContain(RAW_CSV);
  });

  it('a second run makes version 2 and leaves version 1 as it was', async () => {
    const before = (await cairn('models', 'describe', 'DiamondsPriceModels/1', '--json')).stdout;
    const second = await cairn('run', join(EXAMPLE, 'pipeline.ts'), '--no-progress');
    expect(second.code, second.stderr).toBe(0);
    const listed = JSON.parse((await cairn('models', 'list', 'DiamondsPriceModels', '--json')).stdout) as { ModelPackageSummaryList: { ModelPackageVersion: number; ModelApprovalStatus: string }[] };
    expect(listed.ModelPackageSummaryList.map((p) => [p.ModelPackageVersion, p.ModelApprovalStatus])).toEqual([
      [2, 'PendingManualApproval'],
      [1, 'Approved'],
    ]);
    expect((await cairn('models', 'describe', 'DiamondsPriceModels/1', '--json')).stdout).toBe(before);
  }, 60_000);
});
