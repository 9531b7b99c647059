import { describe, expect, it } from 'vitest';
import diamonds from './pipeline.js';

const definition = diamonds.definition();
const compiled = diamonds.compile();
const upstream = (name: string) => [...(compiled.steps.get(name)?.upstream ?? [])].sort();
const step = (name: string) => compiled.steps.get(name)?.step;
const runOutput = (step: string, output: string) => ({
  'Std:Join': { On: '/', Values: ['s3://cairn-examples/diamonds/runs', { Get: 'Execution.PipelineExecutionId' }, step, output] },
});
const preprocessOutput = (name: string) => ({ Get: `Steps.PreprocessDiamonds.ProcessingOutputConfig.Outputs['${name}'].S3Output.S3Uri` });

describe('the diamonds pipeline', () => {
  it('compiles: schemas and the compiler of @cairn/core accept its JSON', () => {
    expect(JSON.parse(diamonds.toJSON())).toEqual(definition);
    expect(diamonds.name).toBe('DiamondsPricePipeline');
    expect(compiled.order).toHaveLength(8);
    expect(definition.Parameters?.map((p) => [p.Name, p.Type, p.DefaultValue])).toEqual([
      ['InputDataUrl', 'String', 's3://cairn-examples/diamonds/data/diamonds.csv'],
      ['ProcessingInstanceType', 'String', 'ml.m5.xlarge'],
      ['TrainingInstanceType', 'String', 'ml.m5.xlarge'],
      ['ModelApprovalStatus', 'String', 'PendingManualApproval'],
      ['MseThreshold', 'Float', 1_000_000],
      ['NumRound', 'Integer', 100],
      ['MaxDepth', 'Integer', 5],
      ['Eta', 'Float', 0.2],
    ]);
  });

  it('has the abalone shape: preprocess → train → evaluate → condition → register/model → transform, else fail', () => {
    expect(definition.Steps.map((s) => s.Name)).toEqual(['PreprocessDiamonds', 'TrainDiamonds', 'EvaluateDiamonds', 'CheckMSEDiamonds']);
    expect(upstream('PreprocessDiamonds')).toEqual([]);
    expect(upstream('TrainDiamonds')).toEqual(['PreprocessDiamonds']);
    expect(upstream('EvaluateDiamonds')).toEqual(['PreprocessDiamonds', 'TrainDiamonds']);
    expect(upstream('CheckMSEDiamonds')).toEqual(['EvaluateDiamonds']);
    expect(upstream('RegisterDiamonds-RegisterModel')).toEqual(['CheckMSEDiamonds', 'EvaluateDiamonds', 'TrainDiamonds']);
    expect(upstream('CreateDiamondsModel-CreateModel')).toEqual(['CheckMSEDiamonds', 'TrainDiamonds']);
    expect(upstream('TransformDiamonds')).toEqual(['CheckMSEDiamonds', 'CreateDiamondsModel-CreateModel', 'PreprocessDiamonds']);
    expect(upstream('DiamondsMSEFail')).toEqual(['CheckMSEDiamonds']);
    expect(compiled.steps.get('TransformDiamonds')?.branch).toEqual({ condition: 'CheckMSEDiamonds', branch: 'IfSteps' });
    expect(compiled.steps.get('DiamondsMSEFail')?.branch).toEqual({ condition: 'CheckMSEDiamonds', branch: 'ElseSteps' });
  });

  it('writes the arguments the scripts expect', () => {
    expect(step('PreprocessDiamonds')?.Arguments).toMatchObject({
      AppSpecification: { ContainerEntrypoint: ['node', '/opt/ml/processing/input/code/preprocess.ts'] },
      ProcessingInputs: [
        { InputName: 'raw', S3Input: { S3Uri: { Get: 'Parameters.InputDataUrl' }, LocalPath: '/opt/ml/processing/input/data' } },
        { InputName: 'code', S3Input: { S3Uri: 's3://cairn-examples/diamonds/code', LocalPath: '/opt/ml/processing/input/code' } },
      ],
      ProcessingOutputConfig: {
        Outputs: ['train', 'validation', 'test', 'batch'].map((name) => ({
          OutputName: name,
          S3Output: { S3Uri: runOutput('PreprocessDiamonds', name), LocalPath: `/opt/ml/processing/${name}`, S3UploadMode: 'EndOfJob' },
        })),
      },
    });
    expect(step('TrainDiamonds')).toMatchObject({
      RetryPolicies: [{ ExceptionType: ['SageMaker.CAPACITY_ERROR'] }],
      Arguments: {
        HyperParameters: {
          num_round: { 'Std:Join': { On: '', Values: [{ Get: 'Parameters.NumRound' }] } },
          max_depth: { 'Std:Join': { On: '', Values: [{ Get: 'Parameters.MaxDepth' }] } },
          eta: { 'Std:Join': { On: '', Values: [{ Get: 'Parameters.Eta' }] } },
          sagemaker_program: '"train.ts"',
          sagemaker_submit_directory: '"s3://cairn-examples/diamonds/code"',
        },
        InputDataConfig: [
          { ChannelName: 'train', ContentType: 'text/csv', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: preprocessOutput('train') } } },
          { ChannelName: 'validation', ContentType: 'text/csv', DataSource: { S3DataSource: { S3Uri: preprocessOutput('validation') } } },
        ],
        OutputDataConfig: { S3OutputPath: runOutput('TrainDiamonds', 'model') },
        ResourceConfig: { InstanceType: { Get: 'Parameters.TrainingInstanceType' }, InstanceCount: 1, VolumeSizeInGB: 30 },
        StoppingCondition: { MaxRuntimeInSeconds: 3600 },
      },
    });
    expect(step('EvaluateDiamonds')).toMatchObject({
      PropertyFiles: [{ PropertyFileName: 'EvaluationReport', OutputName: 'evaluation', FilePath: 'evaluation.json' }],
      Arguments: {
        ProcessingInputs: [
          { InputName: 'model', S3Input: { S3Uri: { Get: 'Steps.TrainDiamonds.ModelArtifacts.S3ModelArtifacts' }, LocalPath: '/opt/ml/processing/model' } },
          { InputName: 'test', S3Input: { S3Uri: preprocessOutput('test'), LocalPath: '/opt/ml/processing/test' } },
          { InputName: 'code' },
        ],
      },
    });
    expect(step('CheckMSEDiamonds')?.Arguments).toMatchObject({
      Conditions: [
        {
          Type: 'LessThanOrEqualTo',
          LeftValue: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.EvaluateDiamonds.PropertyFiles.EvaluationReport' }, Path: 'regression_metrics.mse.value' } },
          RightValue: { Get: 'Parameters.MseThreshold' },
        },
      ],
    });
    expect(step('TransformDiamonds')?.Arguments).toMatchObject({
      ModelName: { Get: 'Steps.CreateDiamondsModel-CreateModel.ModelName' },
      TransformInput: { DataSource: { S3DataSource: { S3Uri: preprocessOutput('batch') } } },
      TransformOutput: { S3OutputPath: runOutput('TransformDiamonds', 'output') },
    });
    expect(step('DiamondsMSEFail')?.Arguments).toEqual({
      ErrorMessage: { 'Std:Join': { On: ' ', Values: ['Execution failed due to MSE >', { Get: 'Parameters.MseThreshold' }] } },
    });
  });

  it('matches the committed export pipeline.definition.json (regenerate with `pnpm vitest run examples/diamonds -u`)', async () => {
    await expect(`${JSON.stringify(definition, null, 2)}\n`).toMatchFileSnapshot('./pipeline.definition.json');
  });
});
