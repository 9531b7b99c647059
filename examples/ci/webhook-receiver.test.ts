import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore, ModelRegistry, WebhookSink } from '@cairn/core';
import { createWebhookReceiver, type OnEvent } from './webhook-receiver.js';

const SECRET = 'example-secret-0123456789';

describe('examples/ci webhook receiver', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function listen(onEvent: OnEvent): Promise<string> {
    const server = createWebhookReceiver(SECRET, onEvent);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }

  it('accepts signed approval events from the registry, once per event', async () => {
    const seen: string[] = [];
    const url = await listen((e) => void seen.push(String(e.detail['ModelApprovalStatus'])));
    const registry = new ModelRegistry({ store: new MemoryStore(), sinks: [new WebhookSink({ url, secret: SECRET })], delivery: { backoffBaseMs: 5 } });
    await registry.createModelPackage({ request: { ModelPackageGroupName: 'G' }, createdBy: 'ci', arnPrefix: 'arn:aws:sagemaker:local:000000000000', now: Date.now() });
    await registry.approve('G/1', 'alice', 'ok');
    expect(await registry.flush(5_000)).toBe(true);
    expect(seen).toEqual(['PendingManualApproval', 'Approved']);
  });

  it('answers 401 to an unsigned or forged request', async () => {
    const url = await listen(() => undefined);
    const unsigned = await fetch(url, { method: 'POST', body: '{}' });
    expect(unsigned.status).toBe(401);
    const forged = await fetch(url, { method: 'POST', body: '{}', headers: { 'Cairn-Signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` } });
    expect(forged.status).toBe(401);
  });
});
