import type { ModelPackageRecord } from '@cairn/core';

/** Description key that marks a mirrored version and keeps the SageMaker model package ARN. */
export const SAGEMAKER_ARN_KEY = 'SageMakerModelPackageArn';

/** The SageMaker ARN of a version a SageMaker step registered (`undefined` for Cairn's own versions). */
export function sagemakerModelPackageArn(record: ModelPackageRecord): string | undefined {
  const arn = record.description[SAGEMAKER_ARN_KEY];
  return typeof arn === 'string' ? arn : undefined;
}
