const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Segment texts by key (`.Arguments`, `['a b']`): definitions repeat a few hundred keys. Bounded. */
const segmentTexts = new Map<string, string>();
const MAX_CACHED_SEGMENTS = 4096;

/** One segment as it follows a non-empty path: `.Name`, `[2]` or `['odd key']`. */
function segmentText(seg: PropertyKey): string {
  if (typeof seg === 'number') return `[${seg}]`;
  const s = String(seg);
  let text = segmentTexts.get(s);
  if (text === undefined) {
    text = IDENTIFIER.test(s) ? `.${s}` : `['${s.replace(/'/g, "\\'")}']`;
    if (segmentTexts.size >= MAX_CACHED_SEGMENTS) segmentTexts.clear();
    segmentTexts.set(s, text);
  }
  return text;
}

/** Appends one segment to a formatted JSON path: `Steps[2]` + `Arguments` → `Steps[2].Arguments`. */
export function joinJsonPath(base: string, seg: PropertyKey): string {
  const text = segmentText(seg);
  // A path starts with a bare name, not ".Name".
  return base === '' && text.startsWith('.') ? text.slice(1) : base + text;
}

/** Formats a path such as `['Steps', 2, 'Arguments', 'S3Uri']` as `Steps[2].Arguments.S3Uri` (appended to `base`). */
export function formatJsonPath(path: readonly PropertyKey[], base = ''): string {
  if (path.length === 0) return base;
  // One join rather than a concatenation per segment: paths are kept, and flat strings are smaller.
  const parts = [joinJsonPath(base, path[0]!)];
  for (let i = 1; i < path.length; i++) parts.push(segmentText(path[i]!));
  return parts.join('');
}
