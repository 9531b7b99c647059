import type { JsonObject, JsonValue } from '@cairn/core';

/**
 * Turns an SDK response into the JSON a step's properties hold: `Date`s become epoch seconds (as on
 * SageMaker's wire), `undefined` members and the SDK's `$metadata` are dropped.
 */
export function responseToJson(response: object): JsonObject {
  const { $metadata: _metadata, ...rest } = response as Record<string, unknown>;
  return toJsonValue(rest) as JsonObject;
}

function toJsonValue(value: unknown): JsonValue | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map((item) => toJsonValue(item) ?? null);
  if (typeof value === 'object') {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      const json = toJsonValue(item);
      if (json !== undefined) out[key] = json;
    }
    return out;
  }
  return undefined;
}
