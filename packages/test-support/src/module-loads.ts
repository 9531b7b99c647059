import { spawn, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `--import` of the hook that records every module URL the ES module loader loads. */
const RECORDER = fileURLToPath(new URL('./module-loads/record.mjs', import.meta.url));

/** What a process run by {@link runRecordingLoads} printed, returned and loaded. */
export interface RecordedRun {
  /** Exit code, or the signal that ended it. */
  code: number | NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** URLs of the ES modules it loaded (`file:`, `node:`), in load order; CommonJS modules a CommonJS module requires are not seen. */
  loaded: string[];
}

/**
 * Runs `node <nodeArgs>` with a loader hook that records which modules it loads, so a test can
 * assert what a process does not load (tsx, the AWS SDK). `until` may end it early (e.g. SIGTERM
 * once a service is up); it receives the child and its output so far, and is not awaited past the
 * child's exit.
 */
export async function runRecordingLoads(
  nodeArgs: readonly string[],
  options: Omit<SpawnOptions, 'stdio'> & { until?: (child: ReturnType<typeof spawn>, output: () => string) => Promise<void> } = {},
): Promise<RecordedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-loads-'));
  const log = join(dir, 'loaded.txt');
  try {
    const { until, ...spawnOptions } = options;
    const child = spawn(process.execPath, ['--import', RECORDER, ...nodeArgs], { ...spawnOptions, env: { ...(spawnOptions.env ?? process.env), CAIRN_LOAD_LOG: log }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
    if (until) await Promise.race([until(child, () => stdout + stderr), exited]);
    const code = await exited;
    let loaded: string[] = [];
    try {
      loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    } catch {
      // Nothing loaded through the ES module loader (or it died first).
    }
    return { code, stdout, stderr, loaded };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
