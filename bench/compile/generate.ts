import type { PipelineDefinition, Step } from '@cairn/core';

const ROLE = 'arn:aws:iam::123456789012:role/SageMakerRole';
const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3';

function processing(name: string, input: unknown): Step {
  return {
    Name: name,
    Type: 'Processing',
    Arguments: {
      ProcessingResources: {
        ClusterConfig: { InstanceType: { Get: 'Parameters.InstanceType' }, InstanceCount: 1, VolumeSizeInGB: 30 },
      },
      AppSpecification: { ImageUri: IMAGE },
      RoleArn: ROLE,
      ProcessingInputs: [
        { InputName: 'in', S3Input: { S3Uri: input, S3DataType: 'S3Prefix', LocalPath: '/opt/ml/processing/input' } },
      ],
      ProcessingOutputConfig: {
        Outputs: [
          {
            OutputName: 'out',
            S3Output: {
              S3Uri: { 'Std:Join': { On: '/', Values: ['s3:/', 'bucket', { Get: 'Execution.PipelineExecutionId' }, name] } },
              LocalPath: '/opt/ml/processing/output',
              S3UploadMode: 'EndOfJob',
            },
          },
        ],
      },
    },
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
      InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: data } } }],
      HyperParameters: { epochs: { 'Std:Join': { On: '', Values: [{ Get: 'Parameters.Epochs' }] } } },
    },
  } as Step;
}

function lambda(name: string, upstream: string[]): Step {
  return {
    Name: name,
    Type: 'Lambda',
    Arguments: { model: { Get: `Steps.${upstream[0]}.ModelArtifacts.S3ModelArtifacts` } },
    FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:notify',
    OutputParameters: [{ OutputName: 'next' }],
    DependsOn: upstream.slice(1),
  } as Step;
}

/**
 * A definition of `size` steps in blocks of ten: a chain prep → train → notify, a fan-out of
 * six processing steps from prep, and a fan-in Lambda that depends on all six; each block
 * starts from the previous block's fan-in.
 */
export function generateDefinition(size: number): PipelineDefinition {
  const steps: Step[] = [];
  let previous: string | undefined;
  for (let b = 0; steps.length + 10 <= size; b++) {
    const prep = `b${b}-prep`;
    const input = previous ? { Get: `Steps.${previous}.OutputParameters['next']` } : { Get: 'Parameters.InputData' };
    steps.push(processing(prep, input));
    const out = { Get: `Steps.${prep}.ProcessingOutputConfig.Outputs['out'].S3Output.S3Uri` };
    steps.push(training(`b${b}-train`, out));
    steps.push(lambda(`b${b}-notify`, [`b${b}-train`]));
    const fan = Array.from({ length: 6 }, (_, i) => `b${b}-fan${i}`);
    fan.forEach((f) => steps.push(processing(f, out)));
    const join = `b${b}-join`;
    steps.push({ ...lambda(join, [`b${b}-train`, ...fan]) });
    previous = join;
  }
  return {
    Version: '2020-12-01',
    Metadata: {},
    Parameters: [
      { Name: 'InstanceType', Type: 'String', DefaultValue: 'ml.m5.xlarge' },
      { Name: 'Epochs', Type: 'Integer', DefaultValue: 10 },
      { Name: 'InputData', Type: 'String', DefaultValue: 's3://bucket/input' },
    ],
    PipelineExperimentConfig: null,
    Steps: steps,
  };
}
