import { describe, expect, it } from 'vitest';
import { checkPropertyPath, parsePropertyPath } from './properties.js';

describe('parsePropertyPath', () => {
  it('splits names and [n] / [\'key\'] indexes, keeping dots inside keys', () => {
    expect(parsePropertyPath("ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri")).toEqual([
      { name: 'ProcessingOutputConfig', indexes: [] },
      { name: 'Outputs', indexes: ['train'] },
      { name: 'S3Output', indexes: [] },
      { name: 'S3Uri', indexes: [] },
    ]);
    expect(parsePropertyPath("FinalMetricDataList['val.acc'].Value")).toEqual([
      { name: 'FinalMetricDataList', indexes: ['val.acc'] },
      { name: 'Value', indexes: [] },
    ]);
    expect(parsePropertyPath('TrainingJobSummaries[0].TrainingJobName')?.[0]).toEqual({ name: 'TrainingJobSummaries', indexes: [0] });
  });

  it.each(['', 'A..B', 'A[x]', "A['k'", '.A', 'A.'])('rejects %j', (path) => {
    expect(parsePropertyPath(path)).toBeUndefined();
  });
});

describe('checkPropertyPath', () => {
  it.each([
    ['Training', 'ModelArtifacts.S3ModelArtifacts'],
    ['Training', "FinalMetricDataList['m'].Value"],
    ['Tuning', 'TrainingJobSummaries[3].TrainingJobName'],
    ['Tuning', 'BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric.Value'],
    ['Condition', 'Outcome'],
    ['Callback', "OutputParameters['x']"],
    ['RegisterModel', 'ModelPackageArn'],
    ['QualityCheck', 'CalculatedBaselineStatistics'],
    ['EMR', 'Status.FailureDetails.Reason'],
    ['Lineage', "ArtifactArns['n']"],
    ['BedrockCustomModel', 'anything.at.all'],
  ] as const)('accepts %s %s', (type, path) => {
    expect(checkPropertyPath(type, path)).toBeUndefined();
  });

  it.each([
    ['Training', 'ModelArtifact.S3ModelArtifacts', 'ModelArtifacts'],
    ['Training', 'ModelArtifacts.S3ModelArtifact', 'S3ModelArtifacts'],
    ['Processing', 'ProcessingOutputConfig.Output', 'Outputs'],
    ['Condition', 'Outcomes', 'Outcome'],
  ] as const)('rejects %s %s and suggests %s', (type, path, suggestion) => {
    expect(checkPropertyPath(type, path)?.fix).toContain(`"${suggestion}"`);
  });

  it('rejects indexing a map by position, a leaf, and anything on a Fail step', () => {
    expect(checkPropertyPath('Training', 'HyperParameters[0]')?.message).toContain('a map');
    expect(checkPropertyPath('Condition', 'Outcome.Value')?.message).toContain('single value');
    expect(checkPropertyPath('Fail', 'ErrorMessage')?.message).toContain('no properties');
    expect(checkPropertyPath('Tuning', "TrainingJobSummaries['best']")?.message).toContain('a list');
  });
});
