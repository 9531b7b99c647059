import { z } from 'zod';

/**
 * Bounds of the S3 artifact store's multipart options, shared by its constructor and by
 * `cairn.config.json` (`artifacts.s3`), which must not load the AWS SDK to validate them.
 */

/** Bytes in a mebibyte. */
export const MiB = 1024 * 1024;
/** S3's bounds: a single PUT (and a part) holds at most 5 GiB; parts but the last hold at least 5 MiB; 10,000 parts at most. */
export const MAX_PUT_BYTES = 5 * 1024 * MiB;
export const MIN_PART_BYTES = 5 * MiB;
export const MAX_PARTS = 10_000;

/** Defaults of the multipart options. */
export const DEFAULT_MULTIPART = { thresholdBytes: 16 * MiB, partSizeBytes: 8 * MiB, queueSize: 4 } as const;

/** The multipart options' schemas, without defaults (the store applies {@link DEFAULT_MULTIPART}). */
export const S3MultipartFields = {
  /**
   * Files and bodies larger than this many bytes are sent as a multipart upload (parts in parallel,
   * aborted on failure); smaller ones in one PutObject. At most 5 GiB, S3's limit of one PUT.
   */
  multipartThresholdBytes: z.number().int().nonnegative().max(MAX_PUT_BYTES),
  /** Part size of multipart uploads, in bytes (5 MiB to 5 GiB); raised for a body that would otherwise need more than S3's 10,000 parts. */
  multipartPartSizeBytes: z.number().int().min(MIN_PART_BYTES).max(MAX_PUT_BYTES),
  /** Parts of one multipart upload in flight at once; an upload buffers up to this many parts in memory. */
  multipartQueueSize: z.number().int().min(1).max(64),
};

/** The multipart options as `cairn.config.json`'s `artifacts.s3` section gives them (each optional). */
export const S3MultipartOptionsSchema = z.strictObject({
  multipartThresholdBytes: S3MultipartFields.multipartThresholdBytes.optional(),
  multipartPartSizeBytes: S3MultipartFields.multipartPartSizeBytes.optional(),
  multipartQueueSize: S3MultipartFields.multipartQueueSize.optional(),
});
/** Multipart options of the S3 artifact store; unset ones take {@link DEFAULT_MULTIPART}. */
export type S3MultipartOptions = z.infer<typeof S3MultipartOptionsSchema>;
