import { describe, expect, it } from 'vitest';
import { signWebhookPayload, verifyWebhookSignature } from './webhook-signature.js';

const secret = 'whsec_0123456789abcdef';
const body = '{"detail-type":"SageMaker Model Package State Change"}';

describe('webhook signatures', () => {
  it('verifies what it signs, within the tolerance', () => {
    const header = signWebhookPayload(secret, body, 1_700_000_000);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, header, body, 300, 1_700_000_100)).toBe(true);
  });

  it('rejects a changed body, a wrong secret, a stale timestamp and junk', () => {
    const header = signWebhookPayload(secret, body, 1_700_000_000);
    expect(verifyWebhookSignature(secret, header, `${body} `, 300, 1_700_000_000)).toBe(false);
    expect(verifyWebhookSignature('another-secret-123456', header, body, 300, 1_700_000_000)).toBe(false);
    expect(verifyWebhookSignature(secret, header, body, 300, 1_700_000_301)).toBe(false);
    expect(verifyWebhookSignature(secret, undefined, body)).toBe(false);
    expect(verifyWebhookSignature(secret, 't=abc,v1=zz', body)).toBe(false);
    expect(verifyWebhookSignature(secret, header.replace(/t=\d+/, 't=1700000001'), body, 300, 1_700_000_000)).toBe(false);
  });

  it('accepts any matching v1 (secret rotation)', () => {
    const header = signWebhookPayload(secret, body, 1_700_000_000);
    const old = signWebhookPayload('previous-secret-123456', body, 1_700_000_000).split(',')[1];
    expect(verifyWebhookSignature(secret, `${header},${old}`, body, 300, 1_700_000_000)).toBe(true);
  });
});
