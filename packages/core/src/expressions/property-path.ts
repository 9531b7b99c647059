import { parsePropertyPath, type PropertySegment } from '../compile/properties.js';
import { ErrorCode, OrchestratorError } from '../errors.js';
import type { JsonValue } from '../json.js';

/**
 * Identity field of list elements, per list (reference §5.1): `['train']` on `Outputs` selects the
 * element whose `OutputName` is `train`. Lists not named here try `FALLBACK_IDENTITY_FIELDS` in order.
 */
const IDENTITY_FIELD_BY_LIST: Readonly<Record<string, string>> = {
  Outputs: 'OutputName',
  ProcessingInputs: 'InputName',
  FinalMetricDataList: 'MetricName',
  InputDataConfig: 'ChannelName',
  MetricDefinitions: 'Name',
  ProductionVariants: 'VariantName',
  Containers: 'ContainerHostname',
};
const FALLBACK_IDENTITY_FIELDS = ['Name', 'OutputName', 'InputName', 'MetricName', 'ChannelName', 'VariantName'];

/** Parses `a.b[0]['k']` (no leading `$.`; reference §5.1 grammar); throws `EXPRESSION_FAILED` on bad syntax. */
export function parsePath(path: string): PropertySegment[] {
  if (path === '') return [];
  const segments = parsePropertyPath(path);
  if (!segments) {
    throw new OrchestratorError(ErrorCode.ExpressionFailed, `The path "${path}" is not valid.`, {
      fix: "write paths as dot-separated names with [n] list positions and ['key'] selectors, e.g. Outputs['train'].S3Output.S3Uri.",
    });
  }
  return segments;
}

/** Why a path could not be followed: where it stopped and what was there. */
export interface PathMiss {
  at: string;
  reason: string;
}

/** One move while following a path: a key, a list position, or a `['key']` selector. */
type Move = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'select'; key: string };

/** Follows `segments` from `root`; returns the value or a `PathMiss` describing where it stopped. */
export function selectPath(root: JsonValue, segments: readonly PropertySegment[]): { value: JsonValue } | { miss: PathMiss } {
  let value: JsonValue = root;
  let at = '';
  for (const seg of segments) {
    const moves: Move[] = [{ kind: 'key', key: seg.name }, ...seg.indexes.map((i): Move => (typeof i === 'number' ? { kind: 'index', index: i } : { kind: 'select', key: i }))];
    for (const move of moves) {
      const next = step(value, move, seg.name);
      at += move.kind === 'key' ? (at ? `.${move.key}` : move.key) : move.kind === 'index' ? `[${move.index}]` : `['${move.key}']`;
      if (next === undefined) return { miss: { at, reason: describeMiss(value, move) } };
      value = next;
    }
  }
  return { value };
}

function step(value: JsonValue, seg: Move, listName: string): JsonValue | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    if (seg.kind === 'index') return value[seg.index];
    if (seg.kind !== 'select') return undefined;
    const field = IDENTITY_FIELD_BY_LIST[listName];
    const fields = field ? [field] : FALLBACK_IDENTITY_FIELDS;
    return value.find((el) => el !== null && typeof el === 'object' && !Array.isArray(el) && fields.some((f) => el[f] === seg.key));
  }
  if (seg.kind === 'index') return undefined;
  return Object.hasOwn(value, seg.key) ? value[seg.key] : undefined;
}

function describeMiss(value: JsonValue, seg: Move): string {
  if (value === null || typeof value !== 'object') return `a ${value === null ? 'null' : typeof value} has no members`;
  if (Array.isArray(value)) {
    return seg.kind === 'index' ? `the list has ${value.length} element(s)` : seg.kind === 'select' ? `no list element is named "${seg.key}"` : `a list has no key "${seg.key}"`;
  }
  const keys = Object.keys(value).slice(0, 10).join(', ');
  return `no key "${seg.kind === 'index' ? seg.index : seg.key}" (keys: ${keys || 'none'})`;
}
