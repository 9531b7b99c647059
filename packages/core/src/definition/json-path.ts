/** Formats a path such as `['Steps', 2, 'Arguments', 'S3Uri']` as `Steps[2].Arguments.S3Uri`. */
export function formatJsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const s = String(seg);
      out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? (out ? `.${s}` : s) : `['${s.replace(/'/g, "\\'")}']`;
    }
  }
  return out;
}
