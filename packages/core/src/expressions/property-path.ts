import { ErrorCode, OrchestratorError } from '../errors.js';
import type { JsonValue } from '../json.js';

/** One step of a property path: a key, a list position, or a `['key']` selector. */
export type PathSegment = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'select'; key: string };

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

const SEGMENT = /([A-Za-z_:$][\w:$-]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]|(\.)/y;

/** Parses `a.b[0]['k']` (no leading `$.`) into segments; throws `EXPRESSION_FAILED` on bad syntax. */
export function parsePropertyPath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  SEGMENT.lastIndex = 0;
  let expectKey = true;
  while (SEGMENT.lastIndex < path.length) {
    const at = SEGMENT.lastIndex;
    const m = SEGMENT.exec(path);
    if (!m) throw badPath(path, at);
    if (m[1] !== undefined) {
      if (!expectKey) throw badPath(path, at);
      out.push({ kind: 'key', key: m[1] });
      expectKey = false;
    } else if (m[2] !== undefined) out.push({ kind: 'index', index: Number(m[2]) });
    else if (m[3] !== undefined || m[4] !== undefined) out.push({ kind: 'select', key: (m[3] ?? m[4])!.replace(/\\(.)/g, '$1') });
    else {
      if (expectKey) throw badPath(path, at);
      expectKey = true;
    }
  }
  if (expectKey && out.length > 0) throw badPath(path, path.length);
  return out;
}

function badPath(path: string, at: number): OrchestratorError {
  return new OrchestratorError(ErrorCode.ExpressionFailed, `The path "${path}" is not valid at character ${at + 1}.`, {
    fix: "write paths as dot-separated keys with [n] list positions and ['key'] selectors, e.g. Outputs['train'].S3Output.S3Uri.",
  });
}

/** Why a path could not be followed: where it stopped and what was there. */
export interface PathMiss {
  at: string;
  reason: string;
}

/** Follows `segments` from `root`; returns the value or a `PathMiss` describing where it stopped. */
export function selectPath(root: JsonValue, segments: readonly PathSegment[]): { value: JsonValue } | { miss: PathMiss } {
  let value: JsonValue = root;
  let listName = '';
  let at = '';
  for (const seg of segments) {
    const next = step(value, seg, listName);
    at += seg.kind === 'key' ? (at ? `.${seg.key}` : seg.key) : seg.kind === 'index' ? `[${seg.index}]` : `['${seg.key}']`;
    if (next === undefined) return { miss: { at, reason: describeMiss(value, seg) } };
    if (seg.kind === 'key') listName = seg.key;
    value = next;
  }
  return { value };
}

function step(value: JsonValue, seg: PathSegment, listName: string): JsonValue | undefined {
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

function describeMiss(value: JsonValue, seg: PathSegment): string {
  if (value === null || typeof value !== 'object') return `a ${value === null ? 'null' : typeof value} has no members`;
  if (Array.isArray(value)) {
    return seg.kind === 'index' ? `the list has ${value.length} element(s)` : seg.kind === 'select' ? `no list element is named "${seg.key}"` : `a list has no key "${seg.key}"`;
  }
  const keys = Object.keys(value).slice(0, 10).join(', ');
  return `no key "${seg.kind === 'index' ? seg.index : seg.key}" (keys: ${keys || 'none'})`;
}
