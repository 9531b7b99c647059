import { DescribeModelPackageCommand, UpdateModelPackageCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ModelApprovalStatus, type RemoteModelRegistry } from '@cairn/core';
import { classifyAwsError } from './aws-errors.js';
import { sagemakerModelPackageArn } from './mirrored-versions.js';

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
