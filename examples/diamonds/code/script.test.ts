import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { optMl } from './opt-ml.js';
import { useOptMlRoot, writeOptMlFile } from './test-support.js';

/** Arguments that run a script the way the local executor's `node` runtime does. */
const nodeArgs = (script: string) => ['--import', 'tsx', path.join(import.meta.dirname, script)];
const cwd = path.join(import.meta.dirname, '..');

describe('scripts as processes', () => {
  it('a failing training script writes /opt/ml/output/failure and exits 1', async () => {
    const root = await useOptMlRoot();
    const run = promisify(execFile)(process.execPath, nodeArgs('train.ts'), {
      cwd,
      env: { ...process.env, CAIRN_OPT_ML_ROOT: root, LOG_LEVEL: 'silent', SM_HPS: '{}' },
    });
    await expect(run).rejects.toMatchObject({ code: 1 });
    expect(await readFile(optMl('/opt/ml/output/failure'), 'utf8')).toMatch(/train channel is missing\. To fix:/);
  });

  it('the model server answers /ping and exits 0 on SIGTERM', async () => {
    const root = await useOptMlRoot();
    const model = { format: 'cairn-gbt', version: 1, featureCount: 1, baseScore: 3, trees: [] };
    await writeOptMlFile('/opt/ml/model/model.json', JSON.stringify(model));
    const server = spawn(process.execPath, nodeArgs('serve.ts'), {
      cwd,
      // Port 0: the server picks a free port and logs it.
      env: { ...process.env, CAIRN_OPT_ML_ROOT: root, LOG_LEVEL: 'info', SAGEMAKER_BIND_TO_PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(server, 'exit');
    const [listening] = (await once(createInterface({ input: server.stdout }), 'line')) as [string];
    const { port } = z.object({ port: z.number() }).parse(JSON.parse(listening));
    expect((await fetch(`http://127.0.0.1:${port}/ping`)).status).toBe(200);
    server.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
  });
});
