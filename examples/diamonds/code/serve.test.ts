import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { GbtModel } from './gbt.js';
import { startServer, type ServerOptions } from './serve.js';
import { silentLogger } from './test-support.js';

/** Two features; predicts 100 + (feature 1 ≤ 2 ? 1 : 7). */
const MODEL: GbtModel = {
  format: 'cairn-gbt',
  version: 1,
  featureCount: 2,
  baseScore: 100,
  trees: [[{ feature: 1, threshold: 2, left: 1, right: 2 }, { value: 1 }, { value: 7 }]],
};

/** Starts a server on a free port for the current test; returns its base URL. */
async function serveForTest(options: Partial<ServerOptions> = {}): Promise<string> {
  const server: Server = await startServer({ model: MODEL, port: 0, log: silentLogger, ...options });
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const postCsv = (url: string, body: string) =>
  fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });

describe('model server', () => {
  it('answers GET /ping with 200 once the model is loaded', async () => {
    const url = await serveForTest();
    expect((await fetch(`${url}/ping`)).status).toBe(200);
  });

  it('answers POST /invocations with one prediction per CSV line', async () => {
    const url = await serveForTest();
    const response = await postCsv(url, '0.5,1\n9,3\n0,2\n');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv');
    expect(await response.text()).toBe('101\n107\n101');
  });

  it('accepts a content type with parameters', async () => {
    const url = await serveForTest();
    const response = await fetch(`${url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv; charset=utf-8' },
      body: '1,5',
    });
    expect(await response.text()).toBe('107');
  });

  it('refuses other content types (415), bad rows (400), large payloads (413) and unknown routes (404)', async () => {
    const url = await serveForTest({ maxPayloadBytes: 64 });
    const json = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(415);
    const wrongWidth = await postCsv(url, '1,2,3\n');
    expect(wrongWidth.status).toBe(400);
    expect(await wrongWidth.text()).toMatch(/Row 1 has 3 features; the model expects 2\. To fix:/);
    expect((await postCsv(url, 'a,b\n')).status).toBe(400);
    expect((await postCsv(url, '1,2\n'.repeat(40))).status).toBe(413);
    expect((await fetch(`${url}/health`)).status).toBe(404);
  });
});
