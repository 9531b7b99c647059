// Whether the built CLI (dist/) is usable: used by bin/cairn.js to choose between dist/ and the
// sources, and by scripts/build-if-stale.mjs (benchmarks) to build first when it is not.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The packages the CLI runs, as directories: @cairn/worker and the @cairn/* packages it imports. */
export function packageDirs() {
  const deps = ['@cairn/core', '@cairn/dsl', '@cairn/steps'].map((name) => fileURLToPath(new URL('../', import.meta.resolve(name))));
  return [fileURLToPath(new URL('../', import.meta.url)), ...deps];
}

/** Newest modification time (ms) of the non-test TypeScript sources under `dir`; 0 when there are none. */
function newestSource(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || /\.test(-d)?\.ts$/.test(entry.name)) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * `built` when every package has a dist/index.js no older than its sources (an installed package,
 * which has no sources, counts as built); `missing` when one has no dist/; `stale` when a source
 * file changed after the last `pnpm build`.
 * @returns {'built' | 'missing' | 'stale'}
 */
export function buildState() {
  let state = 'built';
  for (const dir of packageDirs()) {
    const built = join(dir, 'dist', 'index.js');
    if (!existsSync(built)) return 'missing';
    if (newestSource(join(dir, 'src')) > statSync(built).mtimeMs) state = 'stale';
  }
  return state;
}
