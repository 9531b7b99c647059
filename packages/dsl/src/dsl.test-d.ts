import { describe, expectTypeOf, it } from 'vitest';
import {
  autoML,
  callback,
  condition,
  createModel,
  equals,
  fail,
  isIn,
  jsonGet,
  lessThan,
  parameter,
  processing,
  propertyFile,
  training,
  tuning,
  type Parameter,
  type Property,
  type TrainingArguments,
} from './index.js';

const IMAGE = 'image';
const base = {
  RoleArn: 'role',
  AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
  OutputDataConfig: { S3OutputPath: 's3://b/o' },
} as const satisfies TrainingArguments;
const train = training('Train', base);
const prep = processing('Prep', {
  RoleArn: 'role',
  AppSpecification: { ImageUri: IMAGE },
  ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 30 } },
});

describe('parameters', () => {
  it('are typed by their parameter type', () => {
    expectTypeOf(parameter.integer('Epochs', 5)).toEqualTypeOf<Parameter<number>>();
    expectTypeOf(parameter.float('Rate', 0.1)).toEqualTypeOf<Parameter<number>>();
    expectTypeOf(parameter.string('S')).toEqualTypeOf<Parameter<string>>();
    expectTypeOf(parameter.boolean('B', true)).toEqualTypeOf<Parameter<boolean>>();
    // @ts-expect-error an Integer default must be a number
    parameter.integer('Epochs', '5');
    // @ts-expect-error the default must be one of the enum values
    parameter.string('Status', 'Maybe', { enumValues: ['Approved', 'Rejected'] });
  });
});

describe('properties', () => {
  it('follow the Describe* shapes', () => {
    expectTypeOf(train.properties.ModelArtifacts.S3ModelArtifacts).toEqualTypeOf<Property<string>>();
    expectTypeOf(train.properties.FinalMetricDataList('validation:rmse').Value).toEqualTypeOf<Property<number>>();
    expectTypeOf(train.properties.HyperParameters('eta')).toEqualTypeOf<Property<string>>();
    expectTypeOf(train.properties.EnableManagedSpotTraining).toEqualTypeOf<Property<boolean>>();
    expectTypeOf(prep.properties.ProcessingOutputConfig.Outputs('train').S3Output.S3Uri).toEqualTypeOf<Property<string>>();
    const tune = tuning('Tune', { HyperParameterTuningJobConfig: { Strategy: 'Random', ResourceLimits: { MaxParallelTrainingJobs: 1 } } });
    expectTypeOf(tune.properties.BestTrainingJob.TrainingJobName).toEqualTypeOf<Property<string>>();
    expectTypeOf(tune.properties.TrainingJobSummaries(0).TrainingJobArn).toEqualTypeOf<Property<string>>();
    expectTypeOf(condition('C', { conditions: [] }).properties.Outcome).toEqualTypeOf<Property<boolean>>();
    const automl = autoML('Auto', {
      RoleArn: 'role',
      InputDataConfig: [{ TargetAttributeName: 'price', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/in' } } }],
      OutputDataConfig: { S3OutputPath: 's3://b/out' },
      AutoMLJobConfig: { Mode: 'ENSEMBLING' },
    });
    expectTypeOf(automl.properties.BestCandidateProperties.ModelInsightsJsonReportPath).toEqualTypeOf<Property<string>>();
    expectTypeOf(automl.properties.BestCandidate.CandidateName).toEqualTypeOf<Property<string>>();
  });

  it('reject paths the step does not have', () => {
    // @ts-expect-error misspelt property path
    void train.properties.ModelArtifacts.S3ModelArtifact;
    // @ts-expect-error Processing steps have no ModelArtifacts
    void prep.properties.ModelArtifacts;
    // @ts-expect-error Fail steps have no properties
    void fail('F').properties.ErrorMessage;
  });

  it('type callback outputs from their declaration', () => {
    const approval = callback('Approve', { sqsQueueUrl: 'q', outputParameters: { approved: 'Boolean', count: 'Integer' } });
    expectTypeOf(approval.properties.OutputParameters('approved')).toEqualTypeOf<Property<boolean>>();
    expectTypeOf(approval.properties.OutputParameters('count')).toEqualTypeOf<Property<number>>();
    // @ts-expect-error undeclared output
    approval.properties.OutputParameters('missing');
  });
});

describe('arguments', () => {
  it('accept variables of a compatible type anywhere, and numbers in hyperparameters', () => {
    training('T', { ...base, HyperParameters: { epochs: parameter.integer('E', 1), lr: 0.1, name: parameter.string('N') } });
    training('T', { ...base, OutputDataConfig: { S3OutputPath: prep.properties.ProcessingOutputConfig.Outputs('o').S3Output.S3Uri } });
    createModel('M', { PrimaryContainer: { Image: IMAGE, ModelDataUrl: train.properties.ModelArtifacts.S3ModelArtifacts } });
    // @ts-expect-error a number parameter is not an S3 URI
    training('T', { ...base, OutputDataConfig: { S3OutputPath: parameter.integer('N') } });
    // @ts-expect-error not a TrainingInputMode
    training('T', { ...base, AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'Bogus' } });
    // @ts-expect-error RoleArn is required
    training('T', { AlgorithmSpecification: base.AlgorithmSpecification, OutputDataConfig: base.OutputDataConfig });
  });

  it('type retry policies: MaxAttempts xor ExpireAfterMin, only Step.* on Model steps', () => {
    training('T', base, { retryPolicies: [{ ExceptionType: ['SageMaker.CAPACITY_ERROR'], MaxAttempts: 3 }] });
    // @ts-expect-error both limits in one policy
    training('T', base, { retryPolicies: [{ ExceptionType: ['Step.THROTTLING'], MaxAttempts: 3, ExpireAfterMin: 5 }] });
    // @ts-expect-error unknown exception type
    training('T', base, { retryPolicies: [{ ExceptionType: ['Step.OOPS'] }] });
    // @ts-expect-error SageMaker.* types are not allowed on Model steps
    createModel('M', {}, { retryPolicies: [{ ExceptionType: ['SageMaker.CAPACITY_ERROR'] }] });
  });
});

describe('conditions', () => {
  it('compare numbers with numbers and strings with strings', () => {
    const report = propertyFile({ name: 'R', outputName: 'o', path: 'r.json' });
    lessThan(jsonGet(report, 'mse'), parameter.float('Threshold'));
    equals(train.properties.TrainingJobStatus, 'Completed');
    isIn(parameter.string('Region'), ['us-east-1', 'eu-west-1']);
    // @ts-expect-error string property compared with a number
    lessThan(train.properties.TrainingJobName, 5);
    // @ts-expect-error string jsonGet compared with a number parameter
    lessThan(jsonGet<string>(report, 'name'), parameter.integer('N'));
    // @ts-expect-error mixed In values
    isIn(parameter.string('Region'), ['us-east-1', 3]);
  });
});
