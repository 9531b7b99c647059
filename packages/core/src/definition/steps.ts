import { z } from 'zod';
import { ConditionSchema } from './conditions.js';
import { BooleanValue, ExpressionSchema, NumberValue, StringValue } from './expressions.js';
import { schemaRef } from './schema-ref.js';

/**
 * Step schemas of the 2020-12-01 format (reference §3–4). Step-level objects are strict (a misspelt
 * `DependsOn` is an error); inside job `Arguments` only what SageMaker requires is checked and
 * every other field is kept, so definitions written for a newer SDK still load.
 */

/** Step and parameter names: letters, digits, "-" and "_", 1–64 characters. */
export const NAME_PATTERN = /^[A-Za-z0-9\-_]{1,64}$/;
export const StepNameSchema = z
  .string()
  .regex(NAME_PATTERN, 'Step names use letters, digits, "-" or "_" (1–64 characters).');

/** Retry-policy exception types (reference §3.2). */
export const EXCEPTION_TYPES = [
  'Step.SERVICE_FAULT',
  'Step.THROTTLING',
  'SageMaker.JOB_INTERNAL_ERROR',
  'SageMaker.CAPACITY_ERROR',
  'SageMaker.RESOURCE_LIMIT',
  'Emr.RESOURCE_LIMIT',
] as const;

export const RetryPolicySchema = z
  .strictObject({
    ExceptionType: z.array(z.enum(EXCEPTION_TYPES)).min(1),
    IntervalSeconds: z.number().int().min(0).max(43_200).optional(),
    BackoffRate: z.number().min(0).optional(),
    MaxAttempts: z.number().int().min(0).max(20).optional(),
    ExpireAfterMin: z.number().int().min(0).max(14_400).optional(),
  })
  .refine((p) => p.MaxAttempts === undefined || p.ExpireAfterMin === undefined, {
    message: 'A retry policy may set MaxAttempts or ExpireAfterMin, not both.',
  });
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

export const CacheConfigSchema = z.strictObject({
  Enabled: z.boolean(),
  ExpireAfter: z.string().optional(),
});
export type CacheConfig = z.infer<typeof CacheConfigSchema>;

export const PropertyFileSchema = z.strictObject({
  PropertyFileName: z.string().min(1),
  OutputName: z.string().min(1),
  FilePath: z.string().min(1),
});
export type PropertyFile = z.infer<typeof PropertyFileSchema>;

export const OutputParameterSchema = z.strictObject({
  OutputName: z.string().min(1),
  OutputType: z.enum(['String', 'Integer', 'Boolean', 'Float']).optional(),
});
export type OutputParameter = z.infer<typeof OutputParameterSchema>;

/** Free-form arguments: any JSON object (values may be expressions). */
const AnyArguments = z.record(z.string(), z.unknown());

// ---- Arguments of job-like steps: the Create* request minus the job name ----------------------

const ProcessingArgumentsSchema = z.looseObject({
  ProcessingResources: z.looseObject({
    ClusterConfig: z.looseObject({
      InstanceCount: NumberValue,
      InstanceType: StringValue,
      VolumeSizeInGB: NumberValue,
    }),
  }),
  AppSpecification: z.looseObject({ ImageUri: StringValue }),
  RoleArn: StringValue,
  ProcessingInputs: z
    .array(
      z.looseObject({
        InputName: StringValue,
        // Or DatasetDefinition: S3Input is optional, but complete when present.
        S3Input: z.looseObject({ S3Uri: StringValue, S3DataType: StringValue }).optional(),
      }),
    )
    .optional(),
  ProcessingOutputConfig: z
    .looseObject({
      Outputs: z.array(
        z.looseObject({
          OutputName: StringValue,
          // Or FeatureStoreOutput.
          S3Output: z.looseObject({ S3Uri: StringValue, S3UploadMode: StringValue }).optional(),
        }),
      ),
    })
    .optional(),
});

/** `S3DataSource` of training channels and transform inputs (reference §4.2). */
const S3DataSourceSchema = z.looseObject({ S3DataType: StringValue, S3Uri: StringValue });

const TrainingArgumentsSchema = z.looseObject({
  AlgorithmSpecification: z.looseObject({ TrainingInputMode: StringValue }),
  RoleArn: StringValue,
  OutputDataConfig: z.looseObject({ S3OutputPath: StringValue }),
  InputDataConfig: z
    .array(
      z.looseObject({
        ChannelName: StringValue,
        // Or FileSystemDataSource / DatasetSource: S3DataSource is optional, but complete when present.
        DataSource: z.looseObject({ S3DataSource: S3DataSourceSchema.optional() }),
      }),
    )
    .optional(),
});

const TuningArgumentsSchema = z.looseObject({
  HyperParameterTuningJobConfig: z.looseObject({
    Strategy: StringValue,
    ResourceLimits: z.looseObject({ MaxParallelTrainingJobs: NumberValue }),
  }),
});

const AutoMLArgumentsSchema = z.looseObject({
  InputDataConfig: z.array(z.looseObject({})),
  OutputDataConfig: z.looseObject({ S3OutputPath: StringValue }),
  RoleArn: StringValue,
});

const ModelArgumentsSchema = z.looseObject({});

const RegisterModelArgumentsSchema = z.looseObject({});

const TransformArgumentsSchema = z.looseObject({
  ModelName: StringValue,
  TransformInput: z.looseObject({ DataSource: z.looseObject({ S3DataSource: S3DataSourceSchema }) }),
  TransformOutput: z.looseObject({ S3OutputPath: StringValue }),
  TransformResources: z.looseObject({ InstanceType: StringValue, InstanceCount: NumberValue }),
});

const FailArgumentsSchema = z.strictObject({ ErrorMessage: StringValue.optional() });

// ---- Step objects -------------------------------------------------------------------------------

const base = {
  Name: StepNameSchema,
  DisplayName: z.string().max(256).optional(),
  Description: z.string().max(3072).optional(),
  DependsOn: z.array(StepNameSchema).optional(),
};
const cache = { CacheConfig: CacheConfigSchema.optional() };
const retry = { RetryPolicies: z.array(RetryPolicySchema).optional() };

export const ProcessingStepSchema = z.strictObject({
  ...base,
  ...cache,
  ...retry,
  Type: z.literal('Processing'),
  Arguments: ProcessingArgumentsSchema,
  PropertyFiles: z.array(PropertyFileSchema).optional(),
});
export const TrainingStepSchema = z.strictObject({
  ...base,
  ...cache,
  ...retry,
  Type: z.literal('Training'),
  Arguments: TrainingArgumentsSchema,
});
export const TuningStepSchema = z.strictObject({
  ...base,
  ...cache,
  ...retry,
  Type: z.literal('Tuning'),
  Arguments: TuningArgumentsSchema,
});
export const AutoMLStepSchema = z.strictObject({
  ...base,
  ...cache,
  ...retry,
  Type: z.literal('AutoML'),
  Arguments: AutoMLArgumentsSchema,
});
export const ModelStepSchema = z.strictObject({
  ...base,
  ...cache,
  ...retry,
  Type: z.literal('Model'),
  Arguments: ModelArgumentsSchema,
});
export const RegisterModelStepSchema = z.strictObject({
  ...base,
  ...cache,
  ...retry,
  Type: z.literal('RegisterModel'),
  Arguments: RegisterModelArgumentsSchema,
});
export const TransformStepSchema = z.strictObject({
  ...base,
  ...cache,
  ...retry,
  Type: z.literal('Transform'),
  Arguments: TransformArgumentsSchema,
});
export const CallbackStepSchema = z.strictObject({
  ...base,
  ...cache,
  Type: z.literal('Callback'),
  Arguments: AnyArguments,
  SqsQueueUrl: StringValue,
  OutputParameters: z.array(OutputParameterSchema).optional(),
});
export const LambdaStepSchema = z.strictObject({
  ...base,
  ...cache,
  Type: z.literal('Lambda'),
  Arguments: AnyArguments,
  FunctionArn: StringValue,
  OutputParameters: z.array(OutputParameterSchema).optional(),
});
const checkKeys = {
  ModelPackageGroupName: StringValue.optional(),
  SkipCheck: BooleanValue.optional(),
  FailOnViolation: BooleanValue.optional(),
  RegisterNewBaseline: BooleanValue.optional(),
  SuppliedBaselineConstraints: StringValue.optional(),
};
export const QualityCheckStepSchema = z.strictObject({
  ...base,
  ...cache,
  ...retry,
  ...checkKeys,
  Type: z.literal('QualityCheck'),
  Arguments: ProcessingArgumentsSchema,
  CheckType: z.enum(['DATA_QUALITY', 'MODEL_QUALITY']),
  SuppliedBaselineStatistics: StringValue.optional(),
});
export const ClarifyCheckStepSchema = z.strictObject({
  ...base,
  ...cache,
  ...retry,
  ...checkKeys,
  Type: z.literal('ClarifyCheck'),
  Arguments: ProcessingArgumentsSchema,
  CheckType: z.enum(['DATA_BIAS', 'MODEL_BIAS', 'MODEL_EXPLAINABILITY']),
  ModelName: StringValue.optional(),
});
export const EMRStepSchema = z.strictObject({
  ...base,
  ...cache,
  ...retry,
  Type: z.literal('EMR'),
  Arguments: z
    .looseObject({
      ClusterId: StringValue.optional(),
      ClusterConfig: z.looseObject({}).optional(),
      StepConfig: z.looseObject({ HadoopJarStep: z.looseObject({ Jar: StringValue }) }),
      ExecutionRoleArn: StringValue.optional(),
    })
    .refine((a) => (a.ClusterId === undefined) !== (a.ClusterConfig === undefined), {
      message: 'An EMR step names exactly one of ClusterId (an existing cluster) or ClusterConfig (a new one)',
    })
    .refine((a) => a.ExecutionRoleArn === undefined || a.ClusterId !== undefined, {
      message: 'ExecutionRoleArn is only allowed with ClusterId',
    }),
});
export const FailStepSchema = z.strictObject({
  ...base,
  Type: z.literal('Fail'),
  Arguments: FailArgumentsSchema,
});

/** Newer step types: accepted and round-tripped; Cairn does not execute them yet. */
const passThrough = <T extends string>(type: T) =>
  z.strictObject({ ...base, ...cache, ...retry, Type: z.literal(type), Arguments: AnyArguments });
export const EndpointConfigStepSchema = passThrough('EndpointConfig');
export const EndpointStepSchema = passThrough('Endpoint');
export const InferenceComponentStepSchema = passThrough('InferenceComponent');
export const BedrockCustomModelStepSchema = passThrough('BedrockCustomModel');
export const BedrockCustomModelDeploymentStepSchema = passThrough('BedrockCustomModelDeployment');
export const BedrockModelImportStepSchema = passThrough('BedrockModelImport');
export const BedrockProvisionedModelThroughputStepSchema = passThrough('BedrockProvisionedModelThroughput');
export const LineageStepSchema = passThrough('Lineage');
export const EMRServerlessStepSchema = passThrough('EMRServerless');

// Condition steps embed full step objects, so the step union is recursive.
export interface ConditionStep {
  Name: string;
  Type: 'Condition';
  DisplayName?: string | undefined;
  Description?: string | undefined;
  DependsOn?: string[] | undefined;
  Arguments: {
    Conditions: z.infer<typeof ConditionSchema>[];
    IfSteps?: Step[] | undefined;
    ElseSteps?: Step[] | undefined;
  };
}

export const ConditionStepSchema = z.strictObject({
  ...base,
  Type: z.literal('Condition'),
  Arguments: z.strictObject({
    Conditions: z.array(ConditionSchema),
    IfSteps: z.array(schemaRef(stepSchemaFor)).optional(),
    ElseSteps: z.array(schemaRef(stepSchemaFor)).optional(),
  }),
});

export type ProcessingStep = z.infer<typeof ProcessingStepSchema>;
export type TrainingStep = z.infer<typeof TrainingStepSchema>;
export type TuningStep = z.infer<typeof TuningStepSchema>;
export type AutoMLStep = z.infer<typeof AutoMLStepSchema>;
export type ModelStep = z.infer<typeof ModelStepSchema>;
export type RegisterModelStep = z.infer<typeof RegisterModelStepSchema>;
export type TransformStep = z.infer<typeof TransformStepSchema>;
export type CallbackStep = z.infer<typeof CallbackStepSchema>;
export type LambdaStep = z.infer<typeof LambdaStepSchema>;
export type QualityCheckStep = z.infer<typeof QualityCheckStepSchema>;
export type ClarifyCheckStep = z.infer<typeof ClarifyCheckStepSchema>;
export type EMRStep = z.infer<typeof EMRStepSchema>;
export type FailStep = z.infer<typeof FailStepSchema>;
type PassThroughStep<T extends string> = z.infer<ReturnType<typeof passThrough<T>>>;

/** Every step of the format, discriminated on `Type`. */
export type Step =
  | ProcessingStep
  | TrainingStep
  | TuningStep
  | AutoMLStep
  | ModelStep
  | RegisterModelStep
  | TransformStep
  | ConditionStep
  | CallbackStep
  | LambdaStep
  | QualityCheckStep
  | ClarifyCheckStep
  | EMRStep
  | FailStep
  | PassThroughStep<'EndpointConfig'>
  | PassThroughStep<'Endpoint'>
  | PassThroughStep<'InferenceComponent'>
  | PassThroughStep<'BedrockCustomModel'>
  | PassThroughStep<'BedrockCustomModelDeployment'>
  | PassThroughStep<'BedrockModelImport'>
  | PassThroughStep<'BedrockProvisionedModelThroughput'>
  | PassThroughStep<'Lineage'>
  | PassThroughStep<'EMRServerless'>;

const STEP_SCHEMAS = [
  ProcessingStepSchema,
  TrainingStepSchema,
  TuningStepSchema,
  AutoMLStepSchema,
  ModelStepSchema,
  RegisterModelStepSchema,
  TransformStepSchema,
  ConditionStepSchema,
  CallbackStepSchema,
  LambdaStepSchema,
  QualityCheckStepSchema,
  ClarifyCheckStepSchema,
  EMRStepSchema,
  FailStepSchema,
  EndpointConfigStepSchema,
  EndpointStepSchema,
  InferenceComponentStepSchema,
  BedrockCustomModelStepSchema,
  BedrockCustomModelDeploymentStepSchema,
  BedrockModelImportStepSchema,
  BedrockProvisionedModelThroughputStepSchema,
  LineageStepSchema,
  EMRServerlessStepSchema,
] as const;

export const StepSchema: z.ZodType<Step> = z.discriminatedUnion('Type', STEP_SCHEMAS) as z.ZodType<Step>;

const STEP_SCHEMA_BY_TYPE = new Map<unknown, z.ZodType<Step>>(
  STEP_SCHEMAS.map((schema) => [schema.shape.Type.value, schema as z.ZodType<Step>]),
);

/**
 * The schema of `value`'s own step `Type` (what the union would pick), or the whole union when
 * the type is missing or unknown (its issue names the valid types). Used with `schemaRef`, so a
 * definition compiles only the step types it uses.
 */
export function stepSchemaFor(value: unknown): z.ZodType<Step> {
  const type = typeof value === 'object' && value !== null ? (value as { Type?: unknown }).Type : undefined;
  return STEP_SCHEMA_BY_TYPE.get(type) ?? StepSchema;
}

/** The keys each step type allows at step level (for "did you mean" suggestions). */
export const STEP_KEYS_BY_TYPE: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  STEP_SCHEMAS.map((schema) => [schema.shape.Type.value, Object.keys(schema.shape)]),
);

export type StepType = Step['Type'];
export type StepOfType<T extends StepType> = Extract<Step, { Type: T }>;

/** Every step `Type` string, in the reference's catalogue order. */
export const STEP_TYPES = [
  'Processing',
  'Training',
  'Tuning',
  'AutoML',
  'Model',
  'RegisterModel',
  'Transform',
  'Condition',
  'Callback',
  'Lambda',
  'QualityCheck',
  'ClarifyCheck',
  'EMR',
  'Fail',
  'EndpointConfig',
  'Endpoint',
  'InferenceComponent',
  'BedrockCustomModel',
  'BedrockCustomModelDeployment',
  'BedrockModelImport',
  'BedrockProvisionedModelThroughput',
  'Lineage',
  'EMRServerless',
] as const satisfies readonly StepType[];

/** Step types whose `Arguments` is a SageMaker Create* job request (they get a job name at run time). */
export const JOB_STEP_TYPES = [
  'Processing',
  'Training',
  'Tuning',
  'AutoML',
  'Transform',
  'QualityCheck',
  'ClarifyCheck',
] as const satisfies readonly StepType[];

export { ExpressionSchema };
