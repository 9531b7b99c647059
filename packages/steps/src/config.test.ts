import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OrchestratorError } from '@cairn/core';
import { DEFAULT_ARN_PREFIX, loadCairnConfig, resolveCairnConfig, resolveImage } from './config.js';

function writeConfig(json: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-config-'));
  writeFileSync(join(dir, 'cairn.config.json'), json);
  return dir;
}

function thrown(f: () => unknown): OrchestratorError {
  try {
    f();
  } catch (err) {
    if (err instanceof OrchestratorError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('loadCairnConfig', () => {
  it('resolves paths relative to the file and applies defaults', () => {
    const dir = writeConfig(
      JSON.stringify({
        artifacts: { mounts: { 's3://b/code': './code' } },
        lambdas: { 'arn:aws:lambda:us-east-1:1:function:notify': './handlers/notify.ts#handler' },
      }),
    );
    const config = loadCairnConfig(undefined, dir);
    expect(config.workspace).toBe(join(dir, '.cairn'));
    expect(config.artifactsRoot).toBe(join(dir, '.cairn', 'artifacts'));
    expect(config.mounts['s3://b/code']).toBe(join(dir, 'code'));
    expect(config.lambdas['arn:aws:lambda:us-east-1:1:function:notify']).toEqual({
      module: join(dir, 'handlers', 'notify.ts'),
      exportName: 'handler',
    });
    expect(config.arnPrefix).toBe(DEFAULT_ARN_PREFIX);
  });

  it('defaults to .cairn in the working directory without a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-config-'));
    expect(loadCairnConfig(undefined, dir).workspace).toBe(join(dir, '.cairn'));
  });

  it('names the file, the key and the fix for an invalid config', () => {
    const dir = writeConfig(JSON.stringify({ images: { img: { runtime: 'docker' } }, workspce: 'x' }));
    const err = thrown(() => loadCairnConfig('cairn.config.json', dir));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain(join(dir, 'cairn.config.json'));
    expect(err.message).toContain('images.img.runtime');
    expect(err.message).toContain('workspce');
    expect(err.message).toContain('To fix:');
  });

  it('reports unreadable JSON and a missing explicit file', () => {
    expect(thrown(() => loadCairnConfig('cairn.config.json', writeConfig('{ nope'))).code).toBe('CONFIG_INVALID');
    expect(thrown(() => loadCairnConfig('/nonexistent/cairn.config.json')).message).toContain('does not exist');
  });

  it('reads events.webhooks (secrets by variable name) and refuses a secret written into the file', () => {
    const webhook = { url: 'https://ci.example.com/hook', secretEnv: 'CI_WEBHOOK_SECRET', eventTypes: ['SageMaker Model Package State Change'] };
    expect(resolveCairnConfig({ events: { webhooks: [webhook] } }, '/x').events.webhooks).toEqual([webhook]);
    expect(resolveCairnConfig({}, '/x').events.webhooks).toEqual([]);
    const err = thrown(() => resolveCairnConfig({ events: { webhooks: [{ url: 'https://ci.example.com/hook', secret: 'inline' }] } }, '/x'));
    expect(err.message).toContain('events.webhooks.0');
    expect(thrown(() => resolveCairnConfig({ events: { webhooks: [{ url: 'ftp://x', secretEnv: 'S' }] } }, '/x')).code).toBe('CONFIG_INVALID');
  });

  it('reads events.retentionDays as milliseconds and refuses a retention that is not positive', () => {
    expect(resolveCairnConfig({ events: { retentionDays: 7 } }, '/x').events).toEqual({ webhooks: [], retentionMs: 7 * 86_400_000 });
    expect(resolveCairnConfig({ events: { retentionDays: 0.5 } }, '/x').events.retentionMs).toBe(12 * 3_600_000);
    expect(resolveCairnConfig({}, '/x').events.retentionMs).toBeUndefined();
    expect(thrown(() => resolveCairnConfig({ events: { retentionDays: 0 } }, '/x')).message).toContain('events.retentionDays');
  });
});

describe('resolveImage', () => {
  const config = resolveCairnConfig(
    {
      images: {
        'acct.dkr.ecr.us-east-1.amazonaws.com/cairn-node:20': { runtime: 'node' },
        '*.dkr.ecr.*.amazonaws.com/sklearn*': { runtime: 'process', entrypoint: ['python3', 'train.py'] },
      },
    },
    '/tmp',
  );

  it('matches exact keys, then globs', () => {
    expect(resolveImage(config, 'acct.dkr.ecr.us-east-1.amazonaws.com/cairn-node:20').runtime).toBe('node');
    expect(resolveImage(config, '1.dkr.ecr.eu-west-1.amazonaws.com/sklearn:1.2').entrypoint).toEqual(['python3', 'train.py']);
  });

  it('names an unmapped image and shows the mapping to add', () => {
    const err = thrown(() => resolveImage(config, 'my/image:1'));
    expect(err.code).toBe('IMAGE_NOT_MAPPED');
    expect(err.message).toContain('"my/image:1"');
    expect(err.message).toContain('{"images":{"my/image:1":{"runtime":"node"}}}');
  });
});
