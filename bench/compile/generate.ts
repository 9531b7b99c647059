import type { PipelineDefinition, Step } from '@cairn/core';

const ROLE = 'arn:aws:iam::123456789012:role/SageMakerRole';
const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3';

const get = (ref: string) => ({ Get: ref });
const join = (on: string, values: unknown[]) => ({ 'Std:Join': { On: on, Values: values } });
const jsonGet = (step: string, file: string, path: string) => ({
  'Std:JsonGet': { PropertyFile: get(`Steps.${step}.PropertyFiles.${file}`), Path: path },
});

function processing(name: string, input: unknown, extra: Partial<Step> = {}): Step {
  return {
    Name: name,
    Type: 'Processing',
    Arguments: {
      ProcessingResources: {
        ClusterConfig: { InstanceType: get('Parameters.InstanceType'), InstanceCount: 1, VolumeSizeInGB: 30 },
      },
      AppSpecification: { ImageUri: IMAGE, ContainerEntrypoint: ['python3', '/opt/ml/processing/input/code/run.py'] },
      RoleArn: ROLE,
      ProcessingInputs: [
        { InputName: 'in', S3Input: { S3Uri: input, S3DataType: 'S3Prefix', LocalPath: '/opt/ml/processing/input' } },
      ],
      ProcessingOutputConfig: {
        Outputs: [
          {
            OutputName: 'out',
            S3Output: {
              S3Uri: join('/', ['s3:/', 'bucket', get('Execution.PipelineExecutionId'), name]),
              LocalPath: '/opt/ml/processing/output',
              S3UploadMode: 'EndOfJob',
            },
          },
        ],
      },
    },
    ...extra,
  } as Step;
}

function training(name: string, data: unknown): Step {
  return {
    Name: name,
    Type: 'Training',
    Arguments: {
      AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
      RoleArn: ROLE,
      OutputDataConfig: { S3OutputPath: 's3://bucket/models' },
      ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
      StoppingCondition: { MaxRuntimeInSeconds: 86_400 },
      InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: data } } }],
      HyperParameters: { epochs: join('', [get('Parameters.Epochs')]), objective: 'reg:linear' },
    },
    RetryPolicies: [{ ExceptionType: ['SageMaker.CAPACITY_ERROR'], IntervalSeconds: 30, MaxAttempts: 3 }],
  } as Step;
}

/**
 * The evaluate → condition → register/model or fail shape of SageMaker's MLOps examples: the
 * condition reads the evaluation's property file; its branches hold three steps.
 */
function qualityGate(b: number, train: string, evaluate: string): Step {
  const artifacts = get(`Steps.${train}.ModelArtifacts.S3ModelArtifacts`);
  const mse = jsonGet(evaluate, 'Metrics', 'regression_metrics.mse.value');
  return {
    Name: `b${b}-check`,
    Type: 'Condition',
    Arguments: {
      Conditions: [{ Type: 'LessThanOrEqualTo', LeftValue: mse, RightValue: get('Parameters.MseThreshold') }],
      IfSteps: [
        {
          Name: `b${b}-register`,
          Type: 'RegisterModel',
          Arguments: {
            ModelPackageGroupName: 'models',
            ModelApprovalStatus: 'PendingManualApproval',
            InferenceSpecification: { Containers: [{ Image: IMAGE, ModelDataUrl: artifacts }] },
            CustomerMetadataProperties: { mse: join('', [mse]) },
          },
        },
        {
          Name: `b${b}-model`,
          Type: 'Model',
          Arguments: { ExecutionRoleArn: ROLE, PrimaryContainer: { Image: IMAGE, ModelDataUrl: artifacts } },
        },
      ],
      ElseSteps: [
        { Name: `b${b}-fail`, Type: 'Fail', Arguments: { ErrorMessage: join(' ', ['MSE above threshold:', mse]) } },
      ],
    },
  } as Step;
}

function lambda(name: string, model: string, dependsOn: string[]): Step {
  return {
    Name: name,
    Type: 'Lambda',
    Arguments: { model: get(`Steps.${model}.ModelArtifacts.S3ModelArtifacts`), note: 'block done' },
    FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:notify',
    OutputParameters: [{ OutputName: 'next', OutputType: 'String' }],
    DependsOn: dependsOn,
  } as Step;
}

/**
 * A definition of `size` steps in blocks of ten, mixing seven step types: prepare (Processing)
 * → train (Training) → evaluate (Processing with a property file) → a condition on the
 * evaluation (RegisterModel and Model if it passes, Fail otherwise), two more Processing steps
 * fanning out from prepare, and a Lambda that waits for the fan-out and the condition. Each
 * block starts from the previous block's Lambda output. References use parameters, execution
 * variables, step properties and property files.
 */
export function generateDefinition(size: number): PipelineDefinition {
  const steps: Step[] = [];
  let previous: string | undefined;
  for (let b = 0; (b + 1) * 10 <= size; b++) {
    const [prep, train, evaluate, done] = [`b${b}-prep`, `b${b}-train`, `b${b}-evaluate`, `b${b}-done`];
    steps.push(processing(prep, previous ? get(`Steps.${previous}.OutputParameters['next']`) : get('Parameters.InputData')));
    const prepared = get(`Steps.${prep}.ProcessingOutputConfig.Outputs['out'].S3Output.S3Uri`);
    steps.push(training(train, prepared));
    steps.push(
      processing(evaluate, get(`Steps.${train}.ModelArtifacts.S3ModelArtifacts`), {
        PropertyFiles: [{ PropertyFileName: 'Metrics', OutputName: 'out', FilePath: 'evaluation.json' }],
      }),
    );
    steps.push(qualityGate(b, train, evaluate));
    const fan = [`b${b}-fan0`, `b${b}-fan1`];
    fan.forEach((f) => steps.push(processing(f, prepared)));
    steps.push(lambda(done, train, [...fan, `b${b}-check`]));
    previous = done;
  }
  return {
    Version: '2020-12-01',
    Metadata: {},
    Parameters: [
      { Name: 'InstanceType', Type: 'String', DefaultValue: 'ml.m5.xlarge' },
      { Name: 'Epochs', Type: 'Integer', DefaultValue: 10 },
      { Name: 'InputData', Type: 'String', DefaultValue: 's3://bucket/input' },
      { Name: 'MseThreshold', Type: 'Float', DefaultValue: 6.0 },
    ],
    PipelineExperimentConfig: {
      ExperimentName: get('Execution.PipelineName'),
      TrialName: get('Execution.PipelineExecutionId'),
    },
    Steps: steps,
  };
}
