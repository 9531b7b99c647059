import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  paginateListObjectsV2,
  type GetObjectCommandOutput,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { z } from 'zod';
import { ErrorCode, OrchestratorError, type ArtifactDigest } from '@cairn/core';
import type { JobArtifactStore } from './job-artifact-store.js';
import { DEFAULT_MULTIPART, MAX_PARTS, MiB, S3MultipartFields } from './s3-multipart-options.js';
import { isAwsClient, parseOptions } from '../sagemaker/options.js';
import { classifyAwsError, isAwsError } from '../sagemaker/aws-errors.js';

/** Options of {@link S3ArtifactStore}; validated by the constructor. */
export const S3ArtifactStoreOptionsSchema = z.strictObject({
  /** The client to use; by default one is made from `region` and `forcePathStyle`. */
  client: z.custom<S3Client>(isAwsClient, 'client must be an S3Client').optional(),
  /** AWS region of the default client. @defaultValue the SDK's own resolution */
  region: z.string().min(1).optional(),
  /** Path-style URLs (`/bucket/key`) for S3-compatible stores such as MinIO. @defaultValue false */
  forcePathStyle: z.boolean().optional(),
  /** Files and bodies larger than this many bytes go up as multipart uploads (at most 5 GiB). @defaultValue 16 MiB */
  multipartThresholdBytes: S3MultipartFields.multipartThresholdBytes.default(DEFAULT_MULTIPART.thresholdBytes),
  /** Part size of multipart uploads, in bytes (5 MiB to 5 GiB; raised past 10,000 parts). @defaultValue 8 MiB */
  multipartPartSizeBytes: S3MultipartFields.multipartPartSizeBytes.default(DEFAULT_MULTIPART.partSizeBytes),
  /** Parts of one multipart upload in flight (and buffered) at once. @defaultValue 4 */
  multipartQueueSize: S3MultipartFields.multipartQueueSize.default(DEFAULT_MULTIPART.queueSize),
});
/** Options of {@link S3ArtifactStore}. */
export type S3ArtifactStoreOptions = z.input<typeof S3ArtifactStoreOptionsSchema>;

/** Bucket and key of an `s3://bucket/key` URI. */
export interface S3Location {
  bucket: string;
  key: string;
}

/** Splits an `s3://bucket/key` URI; throws `INPUT_UNREADABLE` for anything else. */
export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match?.[1] || !match[2]) {
    throw new OrchestratorError(ErrorCode.InputUnreadable, `"${uri}" is not an s3://bucket/key URI.`, {
      fix: 'name the object as s3://<bucket>/<key>.',
    });
  }
  return { bucket: match[1], key: match[2] };
}

/**
 * Step data in Amazon S3 (or an S3-compatible store); credentials from the SDK's default chain.
 * The engine reads property files through it; the local executor downloads inputs and uploads
 * outputs through it, so local steps and SageMaker jobs share the same `s3://` objects.
 * Files and bodies above `multipartThresholdBytes` go up as multipart uploads (`@aws-sdk/lib-storage`),
 * read from disk part by part; a failed one is aborted so that no parts are left behind.
 */
export class S3ArtifactStore implements JobArtifactStore {
  readonly id = 's3';
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly multipart: { thresholdBytes: number; partSizeBytes: number; queueSize: number };

  constructor(options: S3ArtifactStoreOptions = {}) {
    const { client, region, forcePathStyle, ...multipart } = parseOptions(S3ArtifactStoreOptionsSchema, options, 'S3 artifact store');
    this.multipart = {
      thresholdBytes: multipart.multipartThresholdBytes,
      partSizeBytes: multipart.multipartPartSizeBytes,
      queueSize: multipart.multipartQueueSize,
    };
    this.ownsClient = client === undefined;
    this.client =
      client ?? new S3Client({ ...(region ? { region } : {}), ...(forcePathStyle !== undefined ? { forcePathStyle } : {}) });
  }

  /** Reads a whole object as UTF-8 text; a missing object is `INPUT_UNREADABLE`. */
  async readText(uri: string): Promise<string> {
    return (await (await this.getObject(uri))?.transformToString('utf-8')) ?? '';
  }

  /** Writes an object (as a multipart upload above the threshold). */
  async writeText(uri: string, text: string | Uint8Array): Promise<void> {
    await this.put(uri, text, typeof text === 'string' ? Buffer.byteLength(text) : text.byteLength);
  }

  /** Uploads a local file as the object `uri`, streamed from disk (as a multipart upload above the threshold). */
  async putFile(file: string, uri: string): Promise<void> {
    const { size } = await stat(file);
    const stream = createReadStream(file);
    try {
      await this.put(uri, stream, size);
    } finally {
      stream.destroy();
    }
  }

  /** Uploads every file under `dir` below the prefix `uri`, by relative path. */
  async upload(dir: string, uri: string): Promise<void> {
    const base = uri.replace(/\/+$/, '');
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    for (const entry of entries.filter((e) => e.isFile())) {
      const file = join(entry.parentPath, entry.name);
      await this.putFile(file, `${base}/${relative(dir, file).split(sep).join('/')}`);
    }
  }

  /** URIs of the object `uri` itself when it exists, else of every object under the prefix `uri/`, sorted. */
  async list(uri: string): Promise<string[]> {
    const { bucket, key } = parseS3Uri(uri);
    if (!key.endsWith('/') && (await this.digest(uri))) return [uri];
    const prefix = key.endsWith('/') ? key : `${key}/`;
    const uris: string[] = [];
    try {
      for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: bucket, Prefix: prefix })) {
        for (const object of page.Contents ?? []) if (object.Key) uris.push(`s3://${bucket}/${object.Key}`);
      }
    } catch (err) {
      throw classifyAwsError(err, `Listing "${uri}" in S3`);
    }
    if (uris.length === 0) throw missing(uri);
    return uris.sort();
  }

  /** Downloads an object into `dir` (by its base name), or the objects under a prefix (by relative key). */
  async materialize(uri: string, dir: string): Promise<void> {
    const objects = await this.list(uri);
    const base = objects.length === 1 && objects[0] === uri ? dirname(uri) : uri.replace(/\/+$/, '');
    for (const object of objects) await this.download(object, join(dir, ...object.slice(base.length + 1).split('/')));
  }

  /** Downloads the object to `scratchDir/<bucket>/<key>` and returns that path. */
  async localFile(uri: string, scratchDir: string): Promise<string> {
    const { bucket, key } = parseS3Uri(uri);
    const file = join(scratchDir, bucket, ...key.split('/'));
    await this.download(uri, file);
    return file;
  }

  private async download(uri: string, file: string): Promise<void> {
    const body = await this.getObject(uri);
    await mkdir(dirname(file), { recursive: true });
    try {
      await pipeline(body as Readable, createWriteStream(file));
    } catch (err) {
      throw classifyAwsError(err, `Downloading "${uri}" from S3`);
    }
  }

  private async getObject(uri: string): Promise<GetObjectBody> {
    const { bucket, key } = parseS3Uri(uri);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return response.Body;
    } catch (err) {
      if (isAwsError(err, 'NoSuchKey', 'NoSuchBucket', 'NotFound')) throw missing(uri, err);
      throw classifyAwsError(err, `Reading "${uri}" from S3`);
    }
  }

  /** One PutObject up to the multipart threshold, a multipart upload above it. */
  private async put(uri: string, body: PutObjectBody, size: number): Promise<void> {
    if (size > this.multipart.thresholdBytes) return this.putMultipart(uri, body, size);
    const { bucket, key } = parseS3Uri(uri);
    try {
      await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: size }));
    } catch (err) {
      throw classifyAwsError(err, `Writing "${uri}" to S3`);
    }
  }

  /**
   * A multipart upload through lib-storage's `Upload`, which reads `body` one part at a time
   * (`queueSize` parts in flight). On failure the upload is aborted here rather than inside
   * `Upload` (`leavePartsOnError`), so the error keeps its first cause and can say whether the
   * abort worked.
   */
  private async putMultipart(uri: string, body: PutObjectBody, size: number): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    const partSize = Math.max(this.multipart.partSizeBytes, Math.ceil(size / MAX_PARTS));
    const upload = new Upload({
      client: this.client,
      params: { Bucket: bucket, Key: key, Body: body, ContentLength: size },
      partSize,
      queueSize: this.multipart.queueSize,
      leavePartsOnError: true,
    });
    try {
      await upload.done();
    } catch (err) {
      const parts = Math.ceil(size / partSize);
      const failed = classifyAwsError(err, `Writing "${uri}" to S3 as a multipart upload (${mebibytes(size)} in ${parts} parts of ${mebibytes(partSize)})`);
      if (upload.uploadId === undefined) throw failed;
      throw await this.abortUpload(failed, { bucket, key }, upload.uploadId);
    }
  }

  /** Aborts a failed multipart upload and returns `failed` saying whether its parts are gone. */
  private async abortUpload(failed: OrchestratorError, { bucket, key }: S3Location, uploadId: string): Promise<OrchestratorError> {
    let abortError: unknown;
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    } catch (err) {
      // NoSuchUpload: already gone (completed or aborted), so nothing is left behind either.
      if (!isAwsError(err, 'NoSuchUpload')) abortError = err;
    }
    const said = failed.fix === undefined ? failed.message : failed.message.slice(0, -` To fix: ${failed.fix}`.length);
    const details = { ...failed.details, uploadId, aborted: abortError === undefined };
    if (abortError === undefined) {
      return new OrchestratorError(failed.code, `${said} The upload was aborted; no parts are left in S3.`, {
        cause: failed.cause,
        details,
        retryable: failed.retryable,
        ...(failed.fix !== undefined ? { fix: failed.fix } : {}),
      });
    }
    const abortSaid = abortError instanceof Error ? `${abortError.name}: ${abortError.message}` : String(abortError);
    return new OrchestratorError(
      failed.code,
      `${said} Aborting the upload failed as well (${abortSaid}), so its parts stay in s3://${bucket} (and are billed) until it is aborted.`,
      {
        cause: failed.cause,
        details,
        retryable: failed.retryable,
        fix:
          `${failed.fix ?? 'see the cause.'} Then remove the parts left behind: aws s3api abort-multipart-upload --bucket ${bucket} --key ${key} --upload-id ${uploadId} ` +
          '(or give the bucket a lifecycle rule with AbortIncompleteMultipartUpload).',
      },
    );
  }

  /** The object's ETag (HeadObject), or `undefined` when it does not exist. */
  async digest(uri: string): Promise<ArtifactDigest | undefined> {
    const { bucket, key } = parseS3Uri(uri);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return head.ETag ? { kind: 'S3ETag', value: head.ETag.replace(/^"|"$/g, '') } : undefined;
    } catch (err) {
      if (isAwsError(err, 'NotFound', 'NoSuchKey', 'NoSuchBucket')) return undefined;
      throw classifyAwsError(err, `Reading the ETag of "${uri}" from S3`);
    }
  }

  /** Releases the connections of the client it made (a given client stays open). */
  close(): void {
    if (this.ownsClient) this.client.destroy();
  }
}

type GetObjectBody = GetObjectCommandOutput['Body'];
type PutObjectBody = NonNullable<PutObjectCommandInput['Body']>;

/** `12 MiB`, `7.5 MiB`: sizes in error messages. */
function mebibytes(bytes: number): string {
  return `${Number((bytes / MiB).toFixed(1))} MiB`;
}

function missing(uri: string, cause?: unknown): OrchestratorError {
  return new OrchestratorError(ErrorCode.InputUnreadable, `The object "${uri}" does not exist.`, {
    ...(cause !== undefined ? { cause } : {}),
    fix: 'check that an earlier step wrote it, and the bucket and key in the URI.',
  });
}
