import type { StepType } from '@cairn/core';

/**
 * The step types the SageMaker executor runs, without the AWS SDK: routing and coverage checks
 * need them before (and without) any SageMaker call.
 */

/** Step types the SageMaker executor runs, in a stable order (`JOB_KINDS` has one entry for each). */
export const SAGEMAKER_STEP_TYPES = ['Processing', 'Training', 'Tuning', 'AutoML', 'Model', 'RegisterModel', 'Transform', 'QualityCheck', 'ClarifyCheck'] as const satisfies readonly StepType[];

/** Step types the SageMaker executor runs. */
export type SageMakerStepType = (typeof SAGEMAKER_STEP_TYPES)[number];

const TYPES: ReadonlySet<string> = new Set(SAGEMAKER_STEP_TYPES);

/** Whether the SageMaker executor runs this step type. */
export function isSageMakerStepType(type: string): type is SageMakerStepType {
  return TYPES.has(type);
}
