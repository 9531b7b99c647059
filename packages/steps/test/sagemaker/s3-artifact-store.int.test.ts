import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ErrorCode, OrchestratorError } from '@cairn/core';
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

const MiB = 1024 * 1024;

/** The ETag S3 gives an object uploaded in parts of `partSize`: the MD5 of the parts' binary MD5s, then `-<parts>`. */
function multipartEtag(data: Buffer, partSize: number): string {
  const digests: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += partSize) {
    digests.push(createHash('md5').update(data.subarray(offset, offset + partSize)).digest());
  }
  return `${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${digests.length}`;
}

describe('S3ArtifactStore multipart uploads against the fake S3', () => {
  /** The fake's requests for one object, as `Operation` or `UploadPart#n`, in order. */
  const callsFor = (uri: string): string[] =>
    fake.aws.s3.calls.filter((call) => call.uri === uri).map((call) => (call.partNumber ? `${call.operation}#${call.partNumber}` : call.operation));
  const pendingFor = (uri: string) => fake.aws.s3.pendingUploads().filter((upload) => upload.uri === uri);
  const smallParts = { forcePathStyle: true, multipartThresholdBytes: 8 * MiB, multipartPartSizeBytes: 5 * MiB } as const;

  async function scratchFile(name: string, data: Buffer): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 's3-multipart-'));
    await writeFile(join(dir, name), data);
    return join(dir, name);
  }

  it('a file above the threshold goes up in parts: content intact, the multipart ETag, and that ETag as its digest', async () => {
    const store = new S3ArtifactStore(smallParts);
    onTestFinished(() => store.close());
    const data = randomBytes(12 * MiB);
    const uri = 's3://models/big/model.tar.gz';
    await store.putFile(await scratchFile('model.tar.gz', data), uri);

    const calls = callsFor(uri);
    expect(calls[0]).toBe('CreateMultipartUpload');
    expect(calls.slice(1, 4).sort()).toEqual(['UploadPart#1', 'UploadPart#2', 'UploadPart#3']);
    expect(calls.slice(4)).toEqual(['CompleteMultipartUpload']);
    expect(fake.aws.s3.getObject(uri)?.body.equals(data)).toBe(true);
    const etag = multipartEtag(data, 5 * MiB);
    expect(etag).toMatch(/^[0-9a-f]{32}-3$/);
    expect(fake.aws.s3.getObject(uri)?.etag).toBe(`"${etag}"`);
    expect(await store.digest(uri)).toEqual({ kind: 'S3ETag', value: etag });
    expect(pendingFor(uri)).toEqual([]);
  });

  it('a directory upload and a large body take the same path; a file at the threshold still goes in one PutObject', async () => {
    const store = new S3ArtifactStore(smallParts);
    onTestFinished(() => store.close());
    const big = randomBytes(11 * MiB);
    const atThreshold = randomBytes(8 * MiB);
    const dir = await mkdtemp(join(tmpdir(), 's3-multipart-'));
    await writeFile(join(dir, 'big.bin'), big);
    await writeFile(join(dir, 'edge.bin'), atThreshold);
    await writeFile(join(dir, 'small.json'), '{}');
    await store.upload(dir, 's3://data/multi/');
    expect(callsFor('s3://data/multi/big.bin').filter((c) => c.startsWith('UploadPart'))).toHaveLength(3);
    expect(callsFor('s3://data/multi/edge.bin')).toEqual(['PutObject']);
    expect(callsFor('s3://data/multi/small.json')).toEqual(['PutObject']);
    expect(fake.aws.s3.getObject('s3://data/multi/big.bin')?.body.equals(big)).toBe(true);
    expect(fake.aws.s3.getObject('s3://data/multi/edge.bin')?.body.equals(atThreshold)).toBe(true);

    const body = randomBytes(9 * MiB);
    await store.writeText('s3://data/multi/body.bin', body);
    expect(callsFor('s3://data/multi/body.bin')).toContain('CompleteMultipartUpload');
    expect(await store.digest('s3://data/multi/body.bin')).toEqual({ kind: 'S3ETag', value: multipartEtag(body, 5 * MiB) });
  });

  it('a part that fails once is retried by the SDK and the upload completes', async () => {
    const store = new S3ArtifactStore(smallParts);
    onTestFinished(() => store.close());
    const data = randomBytes(11 * MiB);
    const uri = 's3://models/retried/model.tar.gz';
    fake.aws.s3.failUploadPart(2, { times: 1 });
    await store.putFile(await scratchFile('model.tar.gz', data), uri);
    expect(callsFor(uri).filter((c) => c === 'UploadPart#2')).toHaveLength(2);
    expect(fake.aws.s3.getObject(uri)?.body.equals(data)).toBe(true);
    expect(pendingFor(uri)).toEqual([]);
  });

  it('a part that keeps failing aborts the upload: no unfinished upload, no object, and a clear SERVICE_FAULT', async () => {
    // One attempt per request, so the one injected failure is final.
    const store = new S3ArtifactStore({ ...smallParts, client: new S3Client({ forcePathStyle: true, maxAttempts: 1 }) });
    const data = randomBytes(12 * MiB);
    const uri = 's3://models/failing/model.tar.gz';
    fake.aws.s3.failUploadPart(2, { times: 1 });
    const error = await store.putFile(await scratchFile('model.tar.gz', data), uri).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(OrchestratorError);
    expect(error).toMatchObject({ code: ErrorCode.ServiceFault, cause: { name: 'InternalError' }, details: { aborted: true } });
    const message = (error as Error).message;
    expect(message).toContain(`Writing "${uri}" to S3 as a multipart upload (12 MiB in 3 parts of 5 MiB)`);
    expect(message).toContain('failed with InternalError');
    expect(message).toContain('The upload was aborted; no parts are left in S3.');
    expect(message).toMatch(/To fix: .+/);
    expect(callsFor(uri)).toContain('AbortMultipartUpload');
    expect(callsFor(uri)).not.toContain('CompleteMultipartUpload');
    expect(pendingFor(uri)).toEqual([]);
    expect(fake.aws.s3.getObject(uri)).toBeUndefined();
  });

  it('when the abort fails too, the error says the parts stay and how to remove them', async () => {
    const client = new S3Client({ forcePathStyle: true, maxAttempts: 1 });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'AbortMultipartUploadCommand') throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
        return next(args);
      },
      { step: 'initialize' },
    );
    const store = new S3ArtifactStore({ ...smallParts, client });
    const uri = 's3://models/stuck/model.tar.gz';
    fake.aws.s3.failUploadPart(3, { times: 1, code: 'SlowDown', status: 503 });
    const error = await store.writeText(uri, randomBytes(11 * MiB)).catch((err: unknown) => err);

    const [pending] = pendingFor(uri);
    expect(pending?.parts).toEqual([1, 2]);
    expect(error).toMatchObject({ code: ErrorCode.BackendThrottled, details: { aborted: false, uploadId: pending?.uploadId } });
    const message = (error as Error).message;
    expect(message).toContain('failed with SlowDown');
    expect(message).toContain('Aborting the upload failed as well (AccessDenied: Access Denied), so its parts stay in s3://models');
    expect(message).toContain(`To fix: `);
    expect(message).toContain(`aws s3api abort-multipart-upload --bucket models --key stuck/model.tar.gz --upload-id ${pending?.uploadId}`);
  });

  it('validates the multipart options: parts below S3\'s 5 MiB minimum are CONFIG_INVALID', () => {
    expect(() => new S3ArtifactStore({ multipartPartSizeBytes: MiB })).toThrow(
      expect.objectContaining({ code: ErrorCode.ConfigInvalid, message: expect.stringContaining('multipartPartSizeBytes') }),
    );
    expect(() => new S3ArtifactStore({ multipartThresholdBytes: -1 })).toThrow(expect.objectContaining({ code: ErrorCode.ConfigInvalid }));
  });
});
