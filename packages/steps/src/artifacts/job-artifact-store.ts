import type { ArtifactStore } from '@cairn/core';

/**
 * What the local executor needs from an artifact store to run a job: objects in and out of the
 * step's sandbox. {@link LocalArtifactStore} keeps objects in a directory (links and copies);
 * {@link S3ArtifactStore} downloads and uploads them, so local steps can mix with SageMaker jobs.
 */
export interface JobArtifactStore extends ArtifactStore {
  /** Makes an object, or the objects under a prefix (by relative key), appear in `dir`. */
  materialize(uri: string, dir: string): Promise<void>;
  /** Stores every file under `dir` below the prefix `uri`. */
  upload(dir: string, uri: string): Promise<void>;
  /** A local file holding the object: the object itself when it is local, else a download into `scratchDir`. */
  localFile(uri: string, scratchDir: string): Promise<string>;
  /** Stores a local file as the object `uri`; the file is scratch afterwards (it may have been moved). */
  putFile(file: string, uri: string): Promise<void>;
  /** URIs of every object under a prefix (or the object itself), sorted. */
  list(uri: string): Promise<string[]>;
  /** Writes an object. */
  writeText(uri: string, text: string | Uint8Array): Promise<void>;
}
