import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ErrorCode } from '@cairn/core';
import { S3ArtifactStore, parseS3Uri } from '../../src/artifacts/s3-artifact-store.js';
import { useFakeAws } from './support.js';

const fake = useFakeAws();

describe('S3ArtifactStore against the fake S3', () => {
  it('reads text and digests by ETag with a default client (endpoint from AWS_ENDPOINT_URL_S3, path-style)', async () => {
    fake.aws.s3.putObject('s3://reports/eval/evaluation.json', '{"regression_metrics":{"mse":{"value":0.25}}}');
    const store = new S3ArtifactStore({ forcePathStyle: true });
    expect(JSON.parse(await store.readText('s3://reports/eval/evaluation.json'))).toEqual({ regression_metrics: { mse: { value: 0.25 } } });
    const md5 = createHash('md5').update('{"regression_metrics":{"mse":{"value":0.25}}}').digest('hex');
    expect(await store.digest('s3://reports/eval/evaluation.json')).toEqual({ kind: 'S3ETag', value: md5 });
    store.close();
  });

  it('a missing object: readText is INPUT_UNREADABLE, digest is undefined', async () => {
    const store = new S3ArtifactStore({ client: new S3Client({ forcePathStyle: true }) });
    await expect(store.readText('s3://reports/none.json')).rejects.toMatchObject({ code: ErrorCode.InputUnreadable });
    expect(await store.digest('s3://reports/none.json')).toBeUndefined();
  });

  it('keys with spaces and UTF-8 round-trip', async () => {
    fake.aws.s3.putObject('s3://reports/a b/ü.txt', 'grüße');
    const store = new S3ArtifactStore({ forcePathStyle: true });
    expect(await store.readText('s3://reports/a b/ü.txt')).toBe('grüße');
  });

  it('rejects URIs that are not s3://bucket/key', () => {
    expect(() => parseS3Uri('s3://bucket-only')).toThrow(expect.objectContaining({ code: ErrorCode.InputUnreadable }));
    expect(parseS3Uri('s3://b/k/x.json')).toEqual({ bucket: 'b', key: 'k/x.json' });
  });

  it('moves job data: upload a directory, list a prefix, materialize it, download one object, put a file, write text', async () => {
    const store = new S3ArtifactStore({ forcePathStyle: true });
    onTestFinished(() => store.close());
    const dir = await mkdtemp(join(tmpdir(), 's3-store-'));
    await mkdir(join(dir, 'out', 'nested'), { recursive: true });
    await writeFile(join(dir, 'out', 'a.csv'), 'a');
    await writeFile(join(dir, 'out', 'nested', 'b.csv'), 'b');
    await store.upload(join(dir, 'out'), 's3://data/run/');
    expect(fake.aws.s3.list('s3://data/run/')).toEqual(['s3://data/run/a.csv', 's3://data/run/nested/b.csv']);
    expect(await store.list('s3://data/run')).toEqual(['s3://data/run/a.csv', 's3://data/run/nested/b.csv']);
    expect(await store.list('s3://data/run/a.csv')).toEqual(['s3://data/run/a.csv']);
    await expect(store.list('s3://data/none')).rejects.toMatchObject({ code: ErrorCode.InputUnreadable });

    await store.materialize('s3://data/run', join(dir, 'in'));
    expect(await readFile(join(dir, 'in', 'nested', 'b.csv'), 'utf8')).toBe('b');
    await store.materialize('s3://data/run/a.csv', join(dir, 'one'));
    expect(await readFile(join(dir, 'one', 'a.csv'), 'utf8')).toBe('a');
    expect(await readFile(await store.localFile('s3://data/run/nested/b.csv', join(dir, 'scratch')), 'utf8')).toBe('b');

    await store.putFile(join(dir, 'out', 'a.csv'), 's3://data/model.tar.gz');
    await store.writeText('s3://data/x.out', 'x');
    expect([fake.aws.s3.readText('s3://data/model.tar.gz'), fake.aws.s3.readText('s3://data/x.out')]).toEqual(['a', 'x']);
  });
});
