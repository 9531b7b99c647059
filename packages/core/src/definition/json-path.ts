const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Appends one segment to a formatted JSON path: `Steps[2]` + `Arguments` → `Steps[2].Arguments`. */
export function joinJsonPath(base: string, seg: PropertyKey): string {
  if (typeof seg === 'number') return `${base}[${seg}]`;
  const s = String(seg);
  if (IDENTIFIER.test(s)) return base ? `${base}.${s}` : s;
  return `${base}['${s.replace(/'/g, "\\'")}']`;
}

/** Formats a path such as `['Steps', 2, 'Arguments', 'S3Uri']` as `Steps[2].Arguments.S3Uri` (appended to `base`). */
export function formatJsonPath(path: readonly PropertyKey[], base = ''): string {
  let out = base;
  for (const seg of path) out = joinJsonPath(out, seg);
  return out;
}

