/** Levenshtein distance, case-insensitive, for "did you mean" suggestions. @internal */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[y.length]!;
}

/** The candidate closest to `input`, if it is close enough to be a likely typo. @internal */
export function closestMatch(input: string, candidates: Iterable<string>): string | undefined {
  const threshold = Math.max(2, Math.floor(input.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    // Length alone bounds the distance: skip hopeless candidates cheaply (large name sets).
    if (Math.abs(c.length - input.length) > threshold || c === input) continue;
    const d = editDistance(input, c);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return bestDistance <= threshold ? best : undefined;
}

/** `did you mean "x"?` when a close candidate exists, else `fallback`. @internal */
export function suggestFix(input: string, candidates: Iterable<string>, fallback: string): string {
  const match = closestMatch(input, candidates);
  return match === undefined ? fallback : `did you mean "${match}"? ${fallback}`;
}
