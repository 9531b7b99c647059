import type { StepType } from '../definition/steps.js';
import type { JsonObject } from '../json.js';

/** ListPipelineExecutionSteps `Metadata` key and the property holding its `Arn`, per step type (reference §10.10). */
const METADATA_BY_TYPE: Partial<Record<StepType, [key: string, arnProperty: string]>> = {
  Training: ['TrainingJob', 'TrainingJobArn'],
  Processing: ['ProcessingJob', 'ProcessingJobArn'],
  Transform: ['TransformJob', 'TransformJobArn'],
  Tuning: ['TuningJob', 'HyperParameterTuningJobArn'],
  AutoML: ['AutoMLJob', 'AutoMLJobArn'],
  Model: ['Model', 'ModelArn'],
  RegisterModel: ['RegisterModel', 'ModelPackageArn'],
  Lambda: ['Lambda', 'FunctionArn'],
  QualityCheck: ['QualityCheck', 'CheckJobArn'],
  ClarifyCheck: ['ClarifyCheck', 'CheckJobArn'],
  EMR: ['EMR', 'StepArn'],
  EndpointConfig: ['EndpointConfig', 'EndpointConfigArn'],
  Endpoint: ['Endpoint', 'EndpointArn'],
  InferenceComponent: ['InferenceComponent', 'InferenceComponentArn'],
  BedrockCustomModel: ['BedrockCustomModel', 'Arn'],
  BedrockCustomModelDeployment: ['BedrockCustomModelDeployment', 'Arn'],
  BedrockModelImport: ['BedrockModelImport', 'Arn'],
  BedrockProvisionedModelThroughput: ['BedrockProvisionedModelThroughput', 'Arn'],
  Lineage: ['Lineage', 'Arn'],
  EMRServerless: ['Job', 'Arn'],
};

/** Step metadata derived from a job's properties when the executor gives none (e.g. `{TrainingJob: {Arn}}`). */
export function deriveStepMetadata(stepType: StepType, properties: JsonObject | undefined): JsonObject | undefined {
  const entry = METADATA_BY_TYPE[stepType];
  if (!entry) return undefined;
  const arn = properties?.[entry[1]];
  return { [entry[0]]: typeof arn === 'string' ? { Arn: arn } : {} };
}
