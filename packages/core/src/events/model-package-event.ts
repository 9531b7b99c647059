import type { StoredEvent } from '../store/event-store.js';
import type { ModelPackageRecord } from '../store/registry-store.js';

/** EventBridge `detail-type` of model package changes (reference §13.3). */
export const MODEL_PACKAGE_STATE_CHANGE = 'SageMaker Model Package State Change';

/**
 * The "SageMaker Model Package State Change" event of a model package as it now is: an
 * EventBridge envelope whose `detail` is the DescribeModelPackage shape (PascalCase).
 */
export function modelPackageStateChangeEvent(record: ModelPackageRecord, now: number, id: string = crypto.randomUUID()): StoredEvent {
  // arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>
  const [, , , region = '', account = ''] = record.arn.split(':');
  return {
    id,
    detailType: MODEL_PACKAGE_STATE_CHANGE,
    createdAt: now,
    envelope: {
      version: '0',
      id,
      'detail-type': MODEL_PACKAGE_STATE_CHANGE,
      source: 'aws.sagemaker',
      account,
      time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: [record.arn],
      detail: record.description,
    },
  };
}
