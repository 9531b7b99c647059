import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore, ModelRegistry, WebhookSink, verifyWebhookSignature } from '../src/index.js';
import { TEST_ARN_PREFIX } from '../src/testing/index.js';

const SECRET = 'whsec_test_0123456789';

interface Received {
  body: string;
  signature: string | undefined;
  eventId: string | undefined;
  deliveryId: string | undefined;
}

/** A receiver on 127.0.0.1 that answers 500 to the first `failures` requests, then 204. */
async function startReceiver(failures: number): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      received.push({
        body,
        signature: req.headers['cairn-signature'] as string | undefined,
        eventId: req.headers['cairn-event-id'] as string | undefined,
        deliveryId: req.headers['cairn-delivery-id'] as string | undefined,
      });
      res.statusCode = received.length <= failures ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

describe('webhook delivery', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  async function setup(failures: number, maxAttempts: number) {
    const receiver = await startReceiver(failures);
    servers.push(receiver.server);
    const store = new MemoryStore();
    const registry = new ModelRegistry({
      store,
      sinks: [new WebhookSink({ url: receiver.url, secret: SECRET })],
      delivery: { backoffBaseMs: 5, maxAttempts },
    });
    await registry.createModelPackage({ request: { ModelPackageGroupName: 'Churn' }, createdBy: 'ci', arnPrefix: TEST_ARN_PREFIX, now: Date.now() });
    return { ...receiver, store, registry };
  }

  it('retries a receiver that fails twice, then records the delivery with signed, verifiable requests', async () => {
    const { registry, store, received } = await setup(2, 5);
    expect(await registry.flush(5_000)).toBe(true);
    expect(received).toHaveLength(3);
    for (const r of received) expect(verifyWebhookSignature(SECRET, r.signature, r.body)).toBe(true);
    expect(new Set(received.map((r) => r.eventId)).size).toBe(1);
    const [delivery] = await store.listDeliveries();
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 500, id: received[0]?.deliveryId });
    const envelope = JSON.parse(received[2]?.body ?? '{}') as Record<string, unknown>;
    expect(envelope).toMatchObject({ 'detail-type': 'SageMaker Model Package State Change', detail: { ModelPackageVersion: 1 } });
  });

  it('marks a delivery failed when retries run out, and redelivers it by id', async () => {
    const { registry, store, received } = await setup(2, 2);
    expect(await registry.flush(5_000)).toBe(true);
    const [failed] = await store.listDeliveries();
    expect(failed).toMatchObject({ status: 'failed', attempts: 2, lastStatusCode: 500 });
    expect(failed?.lastError).toMatch(/HTTP 500/);
    const redelivered = await registry.dispatcher?.redeliver(failed?.id ?? '');
    expect(redelivered).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(received).toHaveLength(3);
  });
});
