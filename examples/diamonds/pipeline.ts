/**
 * The canonical SageMaker MLOps pipeline (the "abalone" pipeline of the SageMaker docs) on the
 * diamonds data: preprocess → train → evaluate → if MSE ≤ threshold, register + create model +
 * batch transform, else fail. The CLI loads the default export and calls `.definition()`.
 */
import {
  condition,
  createModel,
  execution,
  fail,
  join,
  jsonGet,
  lessThanOrEqualTo,
  parameter,
  pipeline,
  processing,
  propertyFile,
  registerModel,
  training,
  transform,
  type Operand,
  type ProcessingArguments,
  type ProcessingStepOptions,
} from '@cairn/dsl';

const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/cairn-node:20';
const ROLE = 'arn:aws:iam::123456789012:role/CairnExamplePipelineRole';
const CODE = 's3://cairn-examples/diamonds/code';
const RUNS = 's3://cairn-examples/diamonds/runs';

const inputDataUrl = parameter.string('InputDataUrl', 's3://cairn-examples/diamonds/data/diamonds.csv');
const processingInstanceType = parameter.string('ProcessingInstanceType', 'ml.m5.xlarge');
const trainingInstanceType = parameter.string('TrainingInstanceType', 'ml.m5.xlarge');
const modelApprovalStatus = parameter.string('ModelApprovalStatus', 'PendingManualApproval', {
  enumValues: ['PendingManualApproval', 'Approved', 'Rejected'],
});
const mseThreshold = parameter.float('MseThreshold', 1_000_000);
const numRound = parameter.integer('NumRound', 100);
const maxDepth = parameter.integer('MaxDepth', 5);
const eta = parameter.float('Eta', 0.2);

/** `s3://cairn-examples/diamonds/runs/<execution id>/<step>/<output>` */
const runOutput = (step: string, output: string) => join('/', [RUNS, execution.pipelineExecutionId, step, output]);

/** A `ProcessingInputs` entry that copies an S3 prefix to `localPath`. */
const s3Input = (name: string, uri: Operand<string>, localPath: string) =>
  ({ InputName: name, S3Input: { S3Uri: uri, LocalPath: localPath, S3DataType: 'S3Prefix', S3InputMode: 'File' } }) as const;

/** A Processing step that runs `code/<script>` with Node; the code prefix is always mounted as input `code`. */
const nodeProcessing = (
  name: string,
  script: string,
  inputs: ProcessingArguments['ProcessingInputs'] & {},
  outputs: readonly string[],
  options: ProcessingStepOptions = {},
) =>
  processing(
    name,
    {
      RoleArn: ROLE,
      ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: processingInstanceType, VolumeSizeInGB: 30 } },
      AppSpecification: { ImageUri: IMAGE, ContainerEntrypoint: ['node', `/opt/ml/processing/input/code/${script}`] },
      ProcessingInputs: [...inputs, s3Input('code', CODE, '/opt/ml/processing/input/code')],
      ProcessingOutputConfig: {
        Outputs: outputs.map((output) => ({
          OutputName: output,
          S3Output: { S3Uri: runOutput(name, output), LocalPath: `/opt/ml/processing/${output}`, S3UploadMode: 'EndOfJob' },
        })),
      },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    },
    options,
  );

const preprocess = nodeProcessing(
  'PreprocessDiamonds',
  'preprocess.ts',
  [s3Input('raw', inputDataUrl, '/opt/ml/processing/input/data')],
  ['train', 'validation', 'test', 'batch'],
);
const preprocessed = (name: string) => preprocess.properties.ProcessingOutputConfig.Outputs(name).S3Output.S3Uri;

const csvChannel = (name: string) => ({
  ChannelName: name,
  ContentType: 'text/csv',
  DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: preprocessed(name), S3DataDistributionType: 'FullyReplicated' } },
} as const);

const train = training(
  'TrainDiamonds',
  {
    RoleArn: ROLE,
    AlgorithmSpecification: {
      TrainingImage: IMAGE,
      TrainingInputMode: 'File',
      MetricDefinitions: [
        { Name: 'train:rmse', Regex: 'train-rmse: ([0-9\\.]+)' },
        { Name: 'validation:rmse', Regex: 'validation-rmse: ([0-9\\.]+)' },
      ],
    },
    HyperParameters: {
      num_round: numRound,
      max_depth: maxDepth,
      eta,
      sagemaker_program: '"train.ts"',
      sagemaker_submit_directory: `"${CODE}"`,
    },
    InputDataConfig: [csvChannel('train'), csvChannel('validation')],
    OutputDataConfig: { S3OutputPath: runOutput('TrainDiamonds', 'model') },
    ResourceConfig: { InstanceType: trainingInstanceType, InstanceCount: 1, VolumeSizeInGB: 30 },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
  },
  { retryPolicies: [{ ExceptionType: ['SageMaker.CAPACITY_ERROR'], IntervalSeconds: 10, BackoffRate: 2, MaxAttempts: 3 }] },
);
const modelArtifacts = train.properties.ModelArtifacts.S3ModelArtifacts;

const evaluationReport = propertyFile({ name: 'EvaluationReport', outputName: 'evaluation', path: 'evaluation.json' });
const evaluate = nodeProcessing(
  'EvaluateDiamonds',
  'evaluate.ts',
  [s3Input('model', modelArtifacts, '/opt/ml/processing/model'), s3Input('test', preprocessed('test'), '/opt/ml/processing/test')],
  ['evaluation'],
  { propertyFiles: [evaluationReport] },
);

const servingContainer = {
  Image: IMAGE,
  ModelDataUrl: modelArtifacts,
  Environment: { SAGEMAKER_PROGRAM: 'serve.ts', SAGEMAKER_SUBMIT_DIRECTORY: CODE },
};

const register = registerModel('RegisterDiamonds-RegisterModel', {
  ModelPackageGroupName: 'DiamondsPriceModels',
  ModelApprovalStatus: modelApprovalStatus,
  InferenceSpecification: {
    Containers: [servingContainer],
    SupportedContentTypes: ['text/csv'],
    SupportedResponseMIMETypes: ['text/csv'],
    SupportedTransformInstanceTypes: ['ml.m5.large'],
    SupportedRealtimeInferenceInstanceTypes: ['ml.t2.medium', 'ml.m5.large'],
  },
  ModelMetrics: {
    ModelQuality: {
      Statistics: {
        ContentType: 'application/json',
        S3Uri: join('/', [evaluate.properties.ProcessingOutputConfig.Outputs('evaluation').S3Output.S3Uri, 'evaluation.json']),
      },
    },
  },
});

const model = createModel('CreateDiamondsModel-CreateModel', { ExecutionRoleArn: ROLE, PrimaryContainer: servingContainer });

const batchTransform = transform('TransformDiamonds', {
  ModelName: model.properties.ModelName,
  TransformInput: {
    DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: preprocessed('batch') } },
    ContentType: 'text/csv',
    SplitType: 'Line',
  },
  BatchStrategy: 'MultiRecord',
  TransformOutput: { S3OutputPath: runOutput('TransformDiamonds', 'output'), AssembleWith: 'Line', Accept: 'text/csv' },
  TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
});

const mseFail = fail('DiamondsMSEFail', { errorMessage: join(' ', ['Execution failed due to MSE >', mseThreshold]) });

const checkMse = condition('CheckMSEDiamonds', {
  conditions: [lessThanOrEqualTo(jsonGet(evaluationReport, 'regression_metrics.mse.value'), mseThreshold)],
  ifSteps: [register, model, batchTransform],
  elseSteps: [mseFail],
});

export default pipeline({
  name: 'DiamondsPricePipeline',
  parameters: [
    inputDataUrl,
    processingInstanceType,
    trainingInstanceType,
    modelApprovalStatus,
    mseThreshold,
    numRound,
    maxDepth,
    eta,
  ],
  steps: [preprocess, train, evaluate, checkMse],
});
