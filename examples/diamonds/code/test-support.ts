/** Helpers for the scripts' tests: a silent logger and a throw-away `/opt/ml` root. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { onTestFinished, vi } from 'vitest';
import { optMl } from './opt-ml.js';

/** A logger that prints nothing. */
export const silentLogger = pino({ level: 'silent' });

/** Points `CAIRN_OPT_ML_ROOT` at a fresh temporary directory for the current test; returns it. */
export async function useOptMlRoot(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'cairn-opt-ml-'));
  vi.stubEnv('CAIRN_OPT_ML_ROOT', root);
  onTestFinished(async () => {
    vi.unstubAllEnvs();
    await rm(root, { recursive: true, force: true });
  });
  return root;
}

/** Writes `text` to the `/opt/ml/...` path `p` (mapped by `optMl`), creating its directory. */
export async function writeOptMlFile(p: string, text: string): Promise<void> {
  const file = optMl(p);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}
