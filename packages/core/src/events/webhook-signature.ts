import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying a webhook's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'Cairn-Signature';

/** HMAC-SHA256 (hex) of `<timestamp>.<body>` with `secret`. */
function computeSignature(secret: string, timestampSec: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSec}.${body}`).digest('hex');
}

/** The `Cairn-Signature` header value for `body` sent at `timestampSec`. */
export function signWebhookPayload(secret: string, body: string, timestampSec: number): string {
  return `t=${timestampSec},v1=${computeSignature(secret, timestampSec, body)}`;
}

/**
 * Checks a `Cairn-Signature` header against the raw request body: the HMAC must match (any of
 * several `v1=` values, for secret rotation) and the timestamp must be within `toleranceSec` of
 * now (replay protection). Compare the body exactly as received, before any JSON parsing.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  body: string,
  toleranceSec = 300,
  nowSec: number = Math.floor(Date.now() / 1000),
): boolean {
  if (!header) return false;
  const parts = header.split(',').map((p) => p.trim().split('='));
  const timestamp = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(timestamp) || Math.abs(nowSec - timestamp) > toleranceSec) return false;
  const expected = Buffer.from(computeSignature(secret, timestamp, body), 'hex');
  return parts
    .filter(([k, v]) => k === 'v1' && v !== undefined && /^[0-9a-f]{64}$/i.test(v))
    .some(([, v]) => timingSafeEqual(Buffer.from(v ?? '', 'hex'), expected));
}
