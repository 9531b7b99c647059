/**
 * A minimal receiver for Cairn's "SageMaker Model Package State Change" webhooks: it verifies the
 * `Cairn-Signature` header (HMAC-SHA256 over "<timestamp>.<raw body>", 5-minute tolerance),
 * ignores duplicates by event id, and reacts to approvals.
 *
 * Run:  CAIRN_WEBHOOK_SECRET=… node --conditions=@cairn/source --import tsx examples/ci/webhook-receiver.ts
 * Send: CAIRN_WEBHOOK_URL=http://127.0.0.1:8787/ CAIRN_WEBHOOK_SECRET=… pnpm cairn models approve G/1 --reason ok
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { verifyWebhookSignature } from '@cairn/core';

/** What the receiver does with a verified event. */
export type OnEvent = (event: { id: string; 'detail-type': string; detail: Record<string, unknown> }) => void | Promise<void>;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/** An HTTP server answering 204 to verified events, 401 to anything unsigned or tampered with. */
export function createWebhookReceiver(secret: string, onEvent: OnEvent): Server {
  const seen = new Set<string>();
  return createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      if (req.method !== 'POST' || !verifyWebhookSignature(secret, req.headers['cairn-signature'] as string | undefined, body)) {
        res.writeHead(401).end('bad signature');
        return;
      }
      const event = JSON.parse(body) as Parameters<OnEvent>[0];
      // Deliveries are at-least-once: handle each event id once.
      if (!seen.has(event.id)) {
        seen.add(event.id);
        await onEvent(event);
      }
      res.writeHead(204).end();
    })().catch(() => res.writeHead(500).end());
  });
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const secret = process.env['CAIRN_WEBHOOK_SECRET'];
  if (!secret) throw new Error('Set CAIRN_WEBHOOK_SECRET to the secret the Cairn CLI signs with.');
  const port = Number(process.env['PORT'] ?? 8787);
  createWebhookReceiver(secret, (event) => {
    const { ModelPackageArn, ModelApprovalStatus } = event.detail;
    console.log(`${String(ModelPackageArn)} is ${String(ModelApprovalStatus)}`);
    if (ModelApprovalStatus === 'Approved') console.log('→ start a deployment here (e.g. trigger a GitHub workflow_dispatch).');
  }).listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}/`));
}
