/**
 * Where step data lives. Definitions name data by `s3://bucket/key` URIs; an `ArtifactStore` reads
 * them. The local one maps URIs into a directory; the S3 one (packages/steps) calls S3.
 */
export interface ArtifactStore {
  /** A short id for logs: 'local', 's3'. */
  readonly id: string;
  /** Reads a whole object as UTF-8 text. Throws `INPUT_UNREADABLE` when it is missing. */
  readText(uri: string): Promise<string>;
  /**
   * Content digest for lineage: SHA-256 of a local file (or of a directory listing and contents),
   * the ETag for S3. `undefined` when the object does not exist.
   */
  digest(uri: string): Promise<ArtifactDigest | undefined>;
}

/** A content digest of an artifact. */
export interface ArtifactDigest {
  kind: 'SHA256' | 'S3ETag';
  value: string;
}
