import { DescribeModelPackageCommand, UpdateModelPackageCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ModelApprovalStatus, type ModelPackageRecord, type RemoteModelRegistry } from '@cairn/core';
import { classifyAwsError } from './aws-errors.js';

/** Description key that marks a mirrored version and keeps the SageMaker model package ARN. */
export const SAGEMAKER_ARN_KEY = 'SageMakerModelPackageArn';

/** The SageMaker ARN of a version a SageMaker step registered (`undefined` for Cairn's own versions). */
export function sagemakerModelPackageArn(record: ModelPackageRecord): string | undefined {
  const arn = record.description[SAGEMAKER_ARN_KEY];
  return typeof arn === 'string' ? arn : undefined;
}

const STATUSES: readonly unknown[] = Object.values(ModelApprovalStatus);

/**
 * SageMaker's Model Registry as the remote of mirrored versions: approvals go out with
 * UpdateModelPackage, and DescribeModelPackage reads decisions taken in SageMaker (Studio, the API).
 */
export function sagemakerModelRegistry(client: Pick<SageMakerClient, 'send'>): RemoteModelRegistry {
  return {
    remoteArn: sagemakerModelPackageArn,
    updateApprovalStatus: async (ModelPackageArn, status, reason) => {
      try {
        await client.send(new UpdateModelPackageCommand({ ModelPackageArn, ModelApprovalStatus: status, ...(reason !== undefined ? { ApprovalDescription: reason } : {}) }));
      } catch (err) {
        throw classifyAwsError(err, `Updating SageMaker model package "${ModelPackageArn}"`);
      }
    },
    describeApproval: async (ModelPackageName) => {
      try {
        const described = await client.send(new DescribeModelPackageCommand({ ModelPackageName }));
        const status = STATUSES.includes(described.ModelApprovalStatus) ? (described.ModelApprovalStatus as ModelApprovalStatus) : ModelApprovalStatus.PendingManualApproval;
        return { status, ...(described.ApprovalDescription !== undefined ? { reason: described.ApprovalDescription } : {}) };
      } catch (err) {
        throw classifyAwsError(err, `Describing SageMaker model package "${ModelPackageName}"`);
      }
    },
  };
}
