import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store.js';

function setup() {
  const base = mkdtempSync(join(tmpdir(), 'cairn-store-'));
  const code = join(base, 'code');
  mkdirSync(join(code, 'lib'), { recursive: true });
  writeFileSync(join(code, 'main.ts'), 'console.log(1)');
  writeFileSync(join(code, 'lib', 'util.ts'), 'export {}');
  writeFileSync(join(base, 'data.csv'), 'a,b\n1,2\n');
  const store = new LocalArtifactStore({
    root: join(base, 'artifacts'),
    mounts: { 's3://ex/code': code, 's3://ex/data/data.csv': join(base, 'data.csv') },
  });
  return { base, code, store };
}

describe('LocalArtifactStore', () => {
  it('maps s3 URIs under the root and round-trips text', async () => {
    const { base, store } = setup();
    await store.writeText('s3://bucket/a/b.json', '{"x":1}');
    expect(readFileSync(join(base, 'artifacts', 's3', 'bucket', 'a', 'b.json'), 'utf8')).toBe('{"x":1}');
    expect(await store.readText('s3://bucket/a/b.json')).toBe('{"x":1}');
    await expect(store.readText('s3://bucket/missing')).rejects.toMatchObject({ code: 'INPUT_UNREADABLE' });
    expect(() => store.locate('s3://bucket/../../etc/passwd')).toThrow(/outside its bucket/);
    expect(() => store.locate('https://x/y')).toThrow(/not an s3/);
  });

  it('reads mounts (prefix and single object) and refuses to write there', async () => {
    const { store } = setup();
    expect(await store.readText('s3://ex/data/data.csv')).toBe('a,b\n1,2\n');
    expect(await store.readText('s3://ex/code/lib/util.ts')).toBe('export {}');
    expect(await store.list('s3://ex/code')).toEqual(['s3://ex/code/lib/util.ts', 's3://ex/code/main.ts']);
    await expect(store.writeText('s3://ex/code/x', 'y')).rejects.toThrow(/read-only mount/);
  });

  it('accepts file:// URIs', async () => {
    const { base, store } = setup();
    expect(await store.readText(pathToFileURL(join(base, 'data.csv')).href)).toContain('a,b');
  });

  it('materialises prefixes and objects as symlinks to the real files', async () => {
    const { base, code, store } = setup();
    const dir = join(base, 'sandbox', 'code');
    await store.materialize('s3://ex/code', dir);
    expect(readlinkSync(join(dir, 'main.ts'))).toBe(join(realpathSync(code), 'main.ts'));
    expect(readFileSync(join(dir, 'lib', 'util.ts'), 'utf8')).toBe('export {}');
    await store.materialize('s3://ex/data/data.csv', join(base, 'sandbox', 'data'));
    expect(readFileSync(join(base, 'sandbox', 'data', 'data.csv'), 'utf8')).toContain('1,2');
  });

  it('uploads a directory under a prefix', async () => {
    const { base, code, store } = setup();
    await store.upload(code, 's3://out/run/code');
    expect(await store.list('s3://out/run/code')).toEqual(['s3://out/run/code/lib/util.ts', 's3://out/run/code/main.ts']);
    expect(readFileSync(join(base, 'artifacts', 's3', 'out', 'run', 'code', 'main.ts'), 'utf8')).toBe('console.log(1)');
  });

  it('digests files and prefixes with SHA-256, stable and content-sensitive', async () => {
    const { store } = setup();
    await store.writeText('s3://b/p/x.txt', 'hello');
    expect(await store.digest('s3://b/p/x.txt')).toEqual({
      kind: 'SHA256',
      value: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    });
    const before = await store.digest('s3://b/p');
    expect(await store.digest('s3://b/p')).toEqual(before);
    await store.writeText('s3://b/p/y.txt', 'more');
    expect((await store.digest('s3://b/p'))?.value).not.toBe(before?.value);
    expect(await store.digest('s3://b/none')).toBeUndefined();
  });
});
