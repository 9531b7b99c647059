import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { ErrorCode, OrchestratorError, type ArtifactDigest, type ArtifactStore } from '@cairn/core';
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

/** Reads step data from Amazon S3 (or an S3-compatible store); credentials from the SDK's default chain. */
export class S3ArtifactStore implements ArtifactStore {
  readonly id = 's3';
  private readonly client: S3Client;
  private readonly ownsClient: boolean;

  constructor(options: S3ArtifactStoreOptions = {}) {
    const { client, region, forcePathStyle } = parseOptions(S3ArtifactStoreOptionsSchema, options, 'S3 artifact store');
    this.ownsClient = client === undefined;
    this.client =
      client ?? new S3Client({ ...(region ? { region } : {}), ...(forcePathStyle !== undefined ? { forcePathStyle } : {}) });
  }

  /** Reads a whole object as UTF-8 text; a missing object is `INPUT_UNREADABLE`. */
  async readText(uri: string): Promise<string> {
    const { bucket, key } = parseS3Uri(uri);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await response.Body?.transformToString('utf-8')) ?? '';
    } catch (err) {
      if (isAwsError(err, 'NoSuchKey', 'NoSuchBucket', 'NotFound')) {
        throw new OrchestratorError(ErrorCode.InputUnreadable, `The object "${uri}" does not exist.`, {
          cause: err,
          fix: 'check that an earlier step wrote it, and the bucket and key in the URI.',
        });
      }
      throw classifyAwsError(err, `Reading "${uri}" from S3`);
    }
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
