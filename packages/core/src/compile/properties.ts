import type { StepType } from '../definition/steps.js';
import { closestMatch } from '../internal/suggest.js';

/**
 * What `Get Steps.X.<path>` may read, per step type (reference §6): the Describe* response
 * shapes. Roots are checked strictly; below a root the table is only as deep as the reference
 * documents, and anything under an `open` node is accepted (Describe* shapes grow often).
 */
export type PropertyShape =
  | { kind: 'open' }
  | { kind: 'leaf' }
  | { kind: 'object'; fields: Readonly<Record<string, PropertyShape>> }
  /** A list: `[n]`, or `['name']` selecting the item whose `by` field equals the name. */
  | { kind: 'list'; item: PropertyShape; by?: string }
  /** A string-keyed map: `['key']`. */
  | { kind: 'map'; value: PropertyShape };

const open: PropertyShape = { kind: 'open' };
const leaf: PropertyShape = { kind: 'leaf' };
const obj = (fields: Record<string, PropertyShape>): PropertyShape => ({ kind: 'object', fields });
const listBy = (by: string | undefined, item: PropertyShape = open): PropertyShape =>
  by === undefined ? { kind: 'list', item } : { kind: 'list', item, by };
const map = (value: PropertyShape = leaf): PropertyShape => ({ kind: 'map', value });
/** Roots whose inner shape is not pinned down: each name is an `open` node. */
const roots = (names: string, extra: Record<string, PropertyShape> = {}): Readonly<Record<string, PropertyShape>> =>
  Object.fromEntries([...names.split(/\s+/).filter(Boolean).map((n) => [n, open] as const), ...Object.entries(extra)]);

const processingJob = roots(
  `ProcessingJobName ProcessingJobArn ProcessingJobStatus ProcessingResources StoppingCondition AppSpecification
   NetworkConfig RoleArn ExperimentConfig ExitMessage FailureReason ProcessingEndTime ProcessingStartTime
   LastModifiedTime CreationTime MonitoringScheduleArn AutoMLJobArn TrainingJobArn`,
  {
    ProcessingInputs: listBy('InputName'),
    ProcessingOutputConfig: obj({ Outputs: listBy('OutputName'), KmsKeyId: leaf }),
    Environment: map(),
  },
);

const trainingJob = roots(
  `TrainingJobName TrainingJobArn TuningJobArn LabelingJobArn AutoMLJobArn TrainingJobStatus SecondaryStatus
   FailureReason AlgorithmSpecification RoleArn ResourceConfig WarmPoolStatus VpcConfig StoppingCondition
   CreationTime TrainingStartTime TrainingEndTime LastModifiedTime SecondaryStatusTransitions EnableNetworkIsolation
   EnableInterContainerTrafficEncryption EnableManagedSpotTraining CheckpointConfig TrainingTimeInSeconds
   BillableTimeInSeconds BillableTokenCount DebugHookConfig ExperimentConfig DebugRuleConfigurations
   TensorBoardOutputConfig DebugRuleEvaluationStatuses ProfilerConfig ProfilerRuleConfigurations
   ProfilerRuleEvaluationStatuses ProfilingStatus RetryStrategy RemoteDebugConfig InfraCheckConfig
   OutputModelPackageArn ModelPackageConfig ProgressInfo`,
  {
    ModelArtifacts: obj({ S3ModelArtifacts: leaf }),
    HyperParameters: map(),
    Environment: map(),
    InputDataConfig: listBy('ChannelName'),
    OutputDataConfig: open,
    FinalMetricDataList: listBy('MetricName', obj({ MetricName: leaf, Value: leaf, Timestamp: leaf })),
  },
);

const tuningJob = roots(
  `HyperParameterTuningJobName HyperParameterTuningJobArn HyperParameterTuningJobConfig TrainingJobDefinition
   TrainingJobDefinitions HyperParameterTuningJobStatus CreationTime HyperParameterTuningEndTime LastModifiedTime
   TrainingJobStatusCounters ObjectiveStatusCounters BestTrainingJob OverallBestTrainingJob WarmStartConfig Autotune
   FailureReason TuningJobCompletionDetails ConsumedResources NextToken`,
  { TrainingJobSummaries: listBy(undefined) },
);

const autoMLJob = roots(
  `AutoMLJobName AutoMLJobArn InputDataConfig OutputDataConfig RoleArn AutoMLJobObjective ProblemType AutoMLJobConfig
   CreationTime EndTime LastModifiedTime FailureReason PartialFailureReasons BestCandidate AutoMLJobStatus
   AutoMLJobSecondaryStatus GenerateCandidateDefinitionsOnly AutoMLJobArtifacts ResolvedAttributes ModelDeployConfig
   ModelDeployResult`,
  { BestCandidateProperties: obj({ ModelInsightsJsonReportPath: leaf, ExplainabilityJsonReportPath: leaf }) },
);

const model = roots(
  `ModelName PrimaryContainer Containers InferenceExecutionConfig ExecutionRoleArn VpcConfig CreationTime ModelArn
   EnableNetworkIsolation DeploymentRecommendation`,
);

const modelPackage = roots(
  `ModelPackageName ModelPackageGroupName ModelPackageVersion ModelPackageArn ModelPackageDescription CreationTime
   InferenceSpecification SourceAlgorithmSpecification ValidationSpecification ModelPackageStatus
   ModelPackageStatusDetails CertifyForMarketplace ModelApprovalStatus CreatedBy MetadataProperties ModelMetrics
   LastModifiedTime LastModifiedBy ApprovalDescription Domain Task SamplePayloadUrl DriftCheckBaselines
   AdditionalInferenceSpecifications SkipModelValidation SourceUri SecurityConfig ModelCard ModelLifeCycle
   ModelPackageRegistrationType`,
  { CustomerMetadataProperties: map() },
);

const transformJob = roots(
  `TransformJobName TransformJobArn TransformJobStatus FailureReason ModelName MaxConcurrentTransforms
   ModelClientConfig MaxPayloadInMB BatchStrategy TransformInput TransformOutput DataCaptureConfig
   TransformResources CreationTime TransformStartTime TransformEndTime LabelingJobArn AutoMLJobArn DataProcessing
   ExperimentConfig`,
  { Environment: map() },
);

const outputParameters = { OutputParameters: map() };
const checkBaselines = `CalculatedBaselineConstraints BaselineUsedForDriftCheckConstraints`;

/** Property roots per step type; `undefined` = not documented, any path is accepted. */
const PROPERTY_ROOTS: Readonly<Record<StepType, Readonly<Record<string, PropertyShape>> | undefined>> = {
  Processing: processingJob,
  Training: trainingJob,
  Tuning: tuningJob,
  AutoML: autoMLJob,
  Model: model,
  RegisterModel: modelPackage,
  Transform: transformJob,
  Condition: { Outcome: leaf },
  Callback: outputParameters,
  Lambda: outputParameters,
  QualityCheck: roots(`CalculatedBaselineStatistics BaselineUsedForDriftCheckStatistics ${checkBaselines}`),
  ClarifyCheck: roots(checkBaselines),
  EMR: roots('Id Name Config ActionOnFailure Status ExecutionRoleArn ClusterId LogUri EncryptionKeyArn'),
  Fail: {},
  EndpointConfig: roots(
    `EndpointConfigName EndpointConfigArn ProductionVariants DataCaptureConfig KmsKeyId CreationTime
     AsyncInferenceConfig ExplainerConfig ShadowProductionVariants ExecutionRoleArn VpcConfig EnableNetworkIsolation`,
  ),
  Endpoint: roots(
    `EndpointName EndpointArn EndpointConfigName ProductionVariants DataCaptureConfig EndpointStatus FailureReason
     CreationTime LastModifiedTime LastDeploymentConfig AsyncInferenceConfig PendingDeploymentSummary ExplainerConfig
     ShadowProductionVariants`,
  ),
  InferenceComponent: roots(
    `InferenceComponentName InferenceComponentArn EndpointName EndpointArn VariantName FailureReason Specification
     RuntimeConfig CreationTime LastModifiedTime InferenceComponentStatus LastDeploymentConfig`,
  ),
  Lineage: { ActionArns: map(), ArtifactArns: map(), ContextArns: map(), Associations: open },
  BedrockCustomModel: undefined,
  BedrockCustomModelDeployment: undefined,
  BedrockModelImport: undefined,
  BedrockProvisionedModelThroughput: undefined,
  EMRServerless: undefined,
};

/** One parsed segment of a property path: a name followed by `[n]` / `['key']` indexes. */
export interface PropertySegment {
  name: string;
  indexes: Array<number | string>;
}

const SEGMENT = /^([A-Za-z_][A-Za-z0-9_]*)((?:\[(?:\d+|'[^']*')\])*)$/;
const INDEX = /\[(\d+|'[^']*')\]/g;

/** Splits `A.B['k'].C[0]` into segments; `undefined` when the path breaks the grammar of §5.1. */
export function parsePropertyPath(path: string): PropertySegment[] | undefined {
  const segments: PropertySegment[] = [];
  // Dots inside ['…'] keys are part of the key (`FinalMetricDataList['val.acc']`).
  for (const raw of path.match(/(?:[^.[]|\[[^\]]*\])+/g) ?? []) {
    const m = SEGMENT.exec(raw);
    if (!m) return undefined;
    const indexes = [...m[2]!.matchAll(INDEX)].map(([, i]) => (i!.startsWith("'") ? i!.slice(1, -1) : Number(i)));
    segments.push({ name: m[1]!, indexes });
  }
  return segments.length > 0 && segments.map(segText).join('.') === path ? segments : undefined;
}

function segText(s: PropertySegment): string {
  return s.name + s.indexes.map((i) => (typeof i === 'number' ? `[${i}]` : `['${i}']`)).join('');
}

/** Why a property path does not fit a step type, with a suggestion; `undefined` when it fits. */
export interface PropertyPathProblem {
  /** The part of the path that is wrong. */
  at: string;
  message: string;
  fix: string;
}

/** Checks a property path (what follows `Steps.X.`) against the step type's property table. */
export function checkPropertyPath(type: StepType, path: string): PropertyPathProblem | undefined {
  const table = PROPERTY_ROOTS[type];
  if (table === undefined) return undefined;
  const segments = parsePropertyPath(path);
  if (segments === undefined) {
    return {
      at: path,
      message: `"${path}" is not a property path.`,
      fix: "write dot-separated names with [n] or ['name'] indexes, e.g. ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri.",
    };
  }
  let fields: Readonly<Record<string, PropertyShape>> = table;
  let shape: PropertyShape = obj(table);
  let done = '';
  for (const seg of segments) {
    if (shape.kind === 'open') return undefined;
    if (shape.kind !== 'object' || !Object.hasOwn(fields, seg.name)) return unknownField(type, done, seg.name, shape, fields);
    shape = fields[seg.name]!;
    done = done ? `${done}.${seg.name}` : seg.name;
    for (const index of seg.indexes) {
      const next = indexInto(shape, index);
      if (next === undefined) return badIndex(done, index, shape);
      shape = next;
      done += typeof index === 'number' ? `[${index}]` : `['${index}']`;
    }
    if (shape.kind === 'object') fields = shape.fields;
  }
  return undefined;
}

function indexInto(shape: PropertyShape, index: number | string): PropertyShape | undefined {
  switch (shape.kind) {
    case 'open':
      return open;
    case 'list':
      return typeof index === 'number' || shape.by !== undefined ? shape.item : undefined;
    case 'map':
      return typeof index === 'string' ? shape.value : undefined;
    default:
      return undefined;
  }
}

function unknownField(
  type: StepType,
  parent: string,
  name: string,
  shape: PropertyShape,
  fields: Readonly<Record<string, PropertyShape>>,
): PropertyPathProblem {
  const where = parent ? `"${parent}"` : `a ${type} step`;
  if (shape.kind !== 'object') {
    return { at: parent, message: `${where} has no field "${name}" (${describe(shape)}).`, fix: `end the path at ${parent}${hint(shape)}.` };
  }
  const names = Object.keys(fields);
  if (names.length === 0) {
    return { at: name, message: `A ${type} step has no properties.`, fix: 'reference another step.' };
  }
  const match = closestMatch(name, names);
  return {
    at: parent ? `${parent}.${name}` : name,
    message: `${where} has no property "${name}".`,
    fix: match ? `did you mean "${match}"?` : `use one of ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''}.`,
  };
}

function badIndex(at: string, index: number | string, shape: PropertyShape): PropertyPathProblem {
  const shown = typeof index === 'number' ? `[${index}]` : `['${index}']`;
  return { at, message: `"${at}" cannot be indexed with ${shown} (${describe(shape)}).`, fix: `write ${at}${hint(shape)}.` };
}

function describe(shape: PropertyShape): string {
  switch (shape.kind) {
    case 'list':
      return shape.by ? `a list selected by ${shape.by}` : 'a list';
    case 'map':
      return 'a map';
    case 'leaf':
      return 'a single value';
    default:
      return 'an object';
  }
}

function hint(shape: PropertyShape): string {
  if (shape.kind === 'list') return shape.by ? `['<${shape.by}>']` : '[<index>]';
  if (shape.kind === 'map') return "['<key>']";
  return '';
}
