import type { JsonValue } from '../json.js';

/**
 * Renders one `Std:Join` item as the service does: strings as is, booleans `true`/`false`,
 * integers without a fraction, other numbers in their shortest round-trip form (`0.95`),
 * objects and lists as JSON.
 */
export function renderJoinItem(value: JsonValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value);
}
