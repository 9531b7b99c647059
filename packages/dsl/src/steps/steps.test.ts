import { describe, expect, it } from 'vitest';
import { DefinitionError } from '@cairn/core';
import { pipeline } from '../pipeline.js';
import { parameter } from '../parameters.js';
import { jsonGet, propertyFile } from '../property-files.js';
import { equals, lessThan } from '../conditions.js';
import { join } from '../variables.js';
import { clarifyCheck, qualityCheck } from './checks.js';
import { callback } from './callback.js';
import { condition } from './condition.js';
import { emr } from './emr.js';
import { fail } from './fail.js';
import { genericStep } from './generic.js';
import { autoML, createModel, processing, registerModel, training, transform, tuning } from './jobs.js';
import { lambda } from './lambda.js';
import type { PipelineStep } from './step.js';

const ROLE = 'arn:aws:iam::123456789012:role/Role';
const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/img:1';
const epochs = parameter.integer('Epochs', 5);

/** The rendered step objects of a pipeline made of `steps` (checked by the core schemas and compiler). */
const render = (...steps: PipelineStep[]) => pipeline({ name: 'test', steps }).definition().Steps;

const prep = processing(
  'Prep',
  {
    RoleArn: ROLE,
    AppSpecification: { ImageUri: IMAGE },
    ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 30 } },
    ProcessingOutputConfig: {
      Outputs: [{ OutputName: 'train', S3Output: { S3Uri: 's3://b/train', LocalPath: '/opt/ml/processing/train', S3UploadMode: 'EndOfJob' } }],
    },
  },
  { cacheConfig: { Enabled: true, ExpireAfter: 'PT1H' }, displayName: 'Prepare', description: 'splits the data' },
);
const trainUri = { Get: "Steps.Prep.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri" };

const train = training('Train', {
  RoleArn: ROLE,
  AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
  InputDataConfig: [
    {
      ChannelName: 'train',
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: prep.properties.ProcessingOutputConfig.Outputs('train').S3Output.S3Uri } },
    },
  ],
  OutputDataConfig: { S3OutputPath: 's3://b/model' },
  ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
  StoppingCondition: { MaxRuntimeInSeconds: 600 },
  HyperParameters: { epochs, lr: 0.1, verbose: true, name: 'x' },
});

describe('job step builders', () => {
  it('render Processing with step-level keys beside Arguments', () => {
    expect(render(prep)[0]).toEqual({
      Name: 'Prep',
      Type: 'Processing',
      DisplayName: 'Prepare',
      Description: 'splits the data',
      CacheConfig: { Enabled: true, ExpireAfter: 'PT1H' },
      Arguments: {
        RoleArn: ROLE,
        AppSpecification: { ImageUri: IMAGE },
        ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 30 } },
        ProcessingOutputConfig: {
          Outputs: [{ OutputName: 'train', S3Output: { S3Uri: 's3://b/train', LocalPath: '/opt/ml/processing/train', S3UploadMode: 'EndOfJob' } }],
        },
      },
    });
  });

  it('render Training hyperparameters as strings, numeric parameters as single-value Std:Join', () => {
    const [, step] = render(prep, train);
    expect(step?.Arguments).toMatchObject({
      HyperParameters: { epochs: { 'Std:Join': { On: '', Values: [{ Get: 'Parameters.Epochs' }] } }, lr: '0.1', verbose: 'true', name: 'x' },
      InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: trainUri } } }],
    });
  });

  it('render Tuning range bounds and static hyperparameters as strings', () => {
    const tune = tuning('Tune', {
      HyperParameterTuningJobConfig: {
        Strategy: 'Bayesian',
        ResourceLimits: { MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: 2 },
        HyperParameterTuningJobObjective: { Type: 'Minimize', MetricName: 'validation:rmse' },
        ParameterRanges: { ContinuousParameterRanges: [{ Name: 'eta', MinValue: 0.01, MaxValue: parameter.float('MaxEta', 0.5) }] },
      },
      TrainingJobDefinition: {
        RoleArn: ROLE,
        AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
        OutputDataConfig: { S3OutputPath: 's3://b/tune' },
        StoppingCondition: { MaxRuntimeInSeconds: 600 },
        StaticHyperParameters: { num_round: 10 },
      },
    });
    const [step] = render(tune);
    expect(step?.Arguments).toMatchObject({
      HyperParameterTuningJobConfig: {
        ParameterRanges: {
          ContinuousParameterRanges: [{ Name: 'eta', MinValue: '0.01', MaxValue: { 'Std:Join': { On: '', Values: [{ Get: 'Parameters.MaxEta' }] } } }],
        },
      },
      TrainingJobDefinition: { StaticHyperParameters: { num_round: '10' } },
    });
    expect(tune.properties.BestTrainingJob.TrainingJobName.toJSON()).toEqual({ Get: 'Steps.Tune.BestTrainingJob.TrainingJobName' });
    expect(tune.properties.TrainingJobSummaries(0).TrainingJobName.toJSON()).toEqual({ Get: 'Steps.Tune.TrainingJobSummaries[0].TrainingJobName' });
  });

  it('render Model, RegisterModel and Transform with references to earlier steps', () => {
    const model = createModel(
      'M-CreateModel',
      { ExecutionRoleArn: ROLE, PrimaryContainer: { Image: IMAGE, ModelDataUrl: train.properties.ModelArtifacts.S3ModelArtifacts } },
      { retryPolicies: [{ ExceptionType: ['Step.SERVICE_FAULT'], ExpireAfterMin: 30 }] },
    );
    const register = registerModel('M-RegisterModel', {
      ModelPackageGroupName: 'Group',
      ModelApprovalStatus: 'PendingManualApproval',
      InferenceSpecification: { Containers: [{ Image: IMAGE }], SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['text/csv'] },
    });
    const batch = transform('Batch', {
      ModelName: model.properties.ModelName,
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/in' } } },
      TransformOutput: { S3OutputPath: 's3://b/out' },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
    });
    const steps = render(batch, register);
    expect(steps.map((s) => s.Name)).toEqual(['Batch', 'M-RegisterModel', 'M-CreateModel', 'Train', 'Prep']);
    expect(steps[2]).toEqual({
      Name: 'M-CreateModel',
      Type: 'Model',
      RetryPolicies: [{ ExceptionType: ['Step.SERVICE_FAULT'], ExpireAfterMin: 30 }],
      Arguments: {
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: IMAGE, ModelDataUrl: { Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' } },
      },
    });
    expect(steps[0]?.Arguments).toMatchObject({ ModelName: { Get: 'Steps.M-CreateModel.ModelName' } });
  });

  it('render AutoML with its request as Arguments', () => {
    const args = {
      RoleArn: ROLE,
      InputDataConfig: [{ TargetAttributeName: 'price', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/in' } } }],
      OutputDataConfig: { S3OutputPath: 's3://b/out' },
      AutoMLJobConfig: { Mode: 'ENSEMBLING' },
    } as const;
    expect(render(autoML('Auto', args))[0]).toEqual({ Name: 'Auto', Type: 'AutoML', Arguments: args });
  });

  it('render property files and Std:JsonGet of them', () => {
    const report = propertyFile({ name: 'Report', outputName: 'train', path: 'report.json' });
    processing('Evaluate', { ...prepArgs(), ProcessingOutputConfig: { Outputs: [{ OutputName: 'train' }] } }, { propertyFiles: [report] });
    const check = condition('Check', { conditions: [lessThan(jsonGet(report, 'metrics.mse'), 3)] });
    const [cond, evalStep] = render(check);
    expect(evalStep).toMatchObject({ PropertyFiles: [{ PropertyFileName: 'Report', OutputName: 'train', FilePath: 'report.json' }] });
    expect(cond).toEqual({
      Name: 'Check',
      Type: 'Condition',
      Arguments: {
        Conditions: [
          {
            Type: 'LessThan',
            LeftValue: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Evaluate.PropertyFiles.Report' }, Path: 'metrics.mse' } },
            RightValue: 3,
          },
        ],
        IfSteps: [],
        ElseSteps: [],
      },
    });
    expect(jsonGet<string>(join('/', ['s3://b', 'r.json']), 'a').toJSON()).toEqual({
      'Std:JsonGet': { S3Uri: { 'Std:Join': { On: '/', Values: ['s3://b', 'r.json'] } }, Path: 'a' },
    });
  });

  it('reject a property file whose output the Processing step does not declare', () => {
    const report = propertyFile({ name: 'Report', outputName: 'nope', path: 'report.json' });
    const make = () => processing('Evaluate', prepArgs(), { propertyFiles: [report] });
    expect(make).toThrow(DefinitionError);
    expect(make).toThrow(/PROPERTY_FILE_OUTPUT_UNKNOWN/);
  });
});

function prepArgs() {
  return {
    RoleArn: ROLE,
    AppSpecification: { ImageUri: IMAGE },
    ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 30 } },
  } as const;
}

describe('other step builders', () => {
  it('render Callback and Lambda with their keys beside Arguments and typed output parameters', () => {
    const approve = callback(
      'Approve',
      { sqsQueueUrl: 'https://sqs.us-east-2.amazonaws.com/123456789012/Q', arguments: { epochs }, outputParameters: { approved: 'Boolean' } },
      { cacheConfig: { Enabled: false } },
    );
    const notify = lambda('Notify', {
      functionArn: 'arn:aws:lambda:us-west-2:123456789012:function:notify',
      arguments: { approved: approve.properties.OutputParameters('approved') },
      outputParameters: { statusCode: 'Integer' },
    });
    expect(render(notify, approve)).toEqual([
      {
        Name: 'Notify',
        Type: 'Lambda',
        Arguments: { approved: { Get: "Steps.Approve.OutputParameters['approved']" } },
        FunctionArn: 'arn:aws:lambda:us-west-2:123456789012:function:notify',
        OutputParameters: [{ OutputName: 'statusCode', OutputType: 'Integer' }],
      },
      {
        Name: 'Approve',
        Type: 'Callback',
        Arguments: { epochs: { Get: 'Parameters.Epochs' } },
        SqsQueueUrl: 'https://sqs.us-east-2.amazonaws.com/123456789012/Q',
        OutputParameters: [{ OutputName: 'approved', OutputType: 'Boolean' }],
        CacheConfig: { Enabled: false },
      },
    ]);
  });

  it('render Condition branches as full step objects and Fail with its message', () => {
    const stop = fail('Stop', { errorMessage: join(' ', ['epochs is', epochs]) });
    const check = condition('Check', { conditions: [equals(epochs, 5)], ifSteps: [prep], elseSteps: [stop] });
    const [step] = render(check);
    expect(step?.Arguments).toMatchObject({
      Conditions: [{ Type: 'Equals', LeftValue: { Get: 'Parameters.Epochs' }, RightValue: 5 }],
      IfSteps: [{ Name: 'Prep', Type: 'Processing' }],
      ElseSteps: [
        { Name: 'Stop', Type: 'Fail', Arguments: { ErrorMessage: { 'Std:Join': { On: ' ', Values: ['epochs is', { Get: 'Parameters.Epochs' }] } } } },
      ],
    });
    expect(check.properties.Outcome.toJSON()).toEqual({ Get: 'Steps.Check.Outcome' });
    expect(render(fail('Plain'))[0]).toEqual({ Name: 'Plain', Type: 'Fail', Arguments: { ErrorMessage: '' } });
  });

  it('render QualityCheck, ClarifyCheck, EMR and generic steps', () => {
    const quality = qualityCheck('Quality', { checkType: 'DATA_QUALITY', arguments: prepArgs(), skipCheck: false, suppliedBaselineStatistics: 's3://b/s.json' });
    const clarify = clarifyCheck('Clarify', { checkType: 'MODEL_BIAS', arguments: prepArgs(), modelName: 'm', registerNewBaseline: true });
    const spark = emr('Spark', { ClusterId: 'j-ABC', StepConfig: { HadoopJarStep: { Jar: 's3://b/run.jar', Args: ['--x', '1'] } } });
    const endpointConfig = genericStep('EndpointConfig', 'Config', { ProductionVariants: [{ VariantName: 'v' }] });
    const steps = render(quality, clarify, spark, endpointConfig);
    expect(steps[0]).toEqual({ Name: 'Quality', Type: 'QualityCheck', Arguments: prepArgs(), CheckType: 'DATA_QUALITY', SkipCheck: false, SuppliedBaselineStatistics: 's3://b/s.json' });
    expect(steps[1]).toEqual({ Name: 'Clarify', Type: 'ClarifyCheck', Arguments: prepArgs(), CheckType: 'MODEL_BIAS', ModelName: 'm', RegisterNewBaseline: true });
    expect(steps[2]).toEqual({ Name: 'Spark', Type: 'EMR', Arguments: { ClusterId: 'j-ABC', StepConfig: { HadoopJarStep: { Jar: 's3://b/run.jar', Args: ['--x', '1'] } } } });
    expect(steps[3]).toEqual({ Name: 'Config', Type: 'EndpointConfig', Arguments: { ProductionVariants: [{ VariantName: 'v' }] } });
    expect(quality.properties.CalculatedBaselineStatistics.toJSON()).toEqual({ Get: 'Steps.Quality.CalculatedBaselineStatistics' });
    expect(spark.properties.Status.FailureDetails.Reason.toJSON()).toEqual({ Get: 'Steps.Spark.Status.FailureDetails.Reason' });
  });
});
