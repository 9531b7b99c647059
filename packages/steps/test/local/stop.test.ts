import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { alive, makeHarness, NODE_IMAGE, step } from './harness.js';

describe('local executor stop', () => {
  it('kills the whole process group, grandchildren included, and reports stopped', async () => {
    const h = makeHarness({}, { killGraceMs: 200 });
    const s = step('Processing', 'Hang');
    const c = h.ctx('Hang', 'Processing');
    const args = {
      AppSpecification: { ImageUri: NODE_IMAGE, ContainerEntrypoint: ['node', '/opt/ml/processing/input/code/spawn-tree.mjs'] },
      ProcessingInputs: [{ InputName: 'code', S3Input: { S3Uri: 's3://fixtures/code', LocalPath: '/opt/ml/processing/input/code' } }],
    };
    const handle = await h.executor.start({ step: s, arguments: args, jobName: 'job-hang' }, c);
    const pidsFile = join(String(handle['sandbox']), 'opt', 'ml', 'pids.json');
    const pids = await vi.waitFor(() => JSON.parse(readFileSync(pidsFile, 'utf8')) as { child: number; grandchild: number }, { timeout: 5_000, interval: 20 });
    expect(alive(pids.child) && alive(pids.grandchild)).toBe(true);
    expect(await h.executor.poll(handle, c)).toEqual({ state: 'running' });

    await h.executor.stop(handle, c);
    const state = await h.executor.wait?.(handle, c);
    expect(state?.state).toBe('stopped');
    await vi.waitFor(() => expect(alive(pids.grandchild)).toBe(false), { timeout: 2_000, interval: 20 });
    expect(alive(pids.child)).toBe(false);
    expect((await h.executor.poll(handle, c)).state).toBe('stopped');
  });

  it('start is idempotent per job name, and a handle from another process is reported lost', async () => {
    const h = makeHarness();
    const s = step('Model', 'M');
    const c = h.ctx('M', 'Model');
    const request = { step: s, arguments: { PrimaryContainer: { Image: NODE_IMAGE } }, jobName: 'model-1' };
    const first = await h.executor.start(request, c);
    expect(await h.executor.start(request, c)).toBe(first);
    const lost = await h.executor.poll({ ...first, jobName: 'not-here' }, c);
    expect(lost.state === 'failed' && lost.error).toMatchObject({ code: 'BACKEND_INTERNAL_ERROR', retryable: true });
  });
});
