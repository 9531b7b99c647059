/** The packages the CLI runs, as directories: @cairn/worker and the @cairn/* packages it imports. */
export function packageDirs(): string[];

/**
 * `built` when every package has a dist/index.js no older than its sources (an installed package,
 * which has no sources, counts as built); `missing` when one has no dist/; `stale` when a source
 * file changed after the last `pnpm build`.
 */
export function buildState(): 'built' | 'missing' | 'stale';
