import { describe, expect, it } from 'vitest';
import { execution, pipelineExperimentConfig } from './execution.js';
import { parameter } from './parameters.js';
import { join, toStringValue } from './variables.js';

describe('parameters', () => {
  it('render as Get and declare their type, default and enum values', () => {
    const status = parameter.string('Status', 'Approved', { enumValues: ['Approved', 'Rejected'] });
    expect(status.toJSON()).toEqual({ Get: 'Parameters.Status' });
    expect(status.declaration()).toEqual({ Name: 'Status', Type: 'String', DefaultValue: 'Approved', EnumValues: ['Approved', 'Rejected'] });
    expect(parameter.integer('Epochs', 5).declaration()).toEqual({ Name: 'Epochs', Type: 'Integer', DefaultValue: 5 });
    expect(parameter.float('Rate').declaration()).toEqual({ Name: 'Rate', Type: 'Float' });
    expect(parameter.boolean('Flag', false).declaration()).toEqual({ Name: 'Flag', Type: 'Boolean', DefaultValue: false });
  });

  it('become strings as the Python SDK writes them: String as is, others in a single-value Std:Join', () => {
    expect(parameter.string('S').asString().toJSON()).toEqual({ Get: 'Parameters.S' });
    expect(parameter.integer('N').asString().toJSON()).toEqual({ 'Std:Join': { On: '', Values: [{ Get: 'Parameters.N' }] } });
    expect(toStringValue(3)).toBe('3');
    expect(toStringValue(true)).toBe('true');
    expect(JSON.parse(JSON.stringify(toStringValue(parameter.boolean('B'))))).toEqual({ 'Std:Join': { On: '', Values: [{ Get: 'Parameters.B' }] } });
  });
});

describe('join and built-in variables', () => {
  it('render Std:Join with nested expressions and execution variables', () => {
    const uri = join('/', ['s3://bucket', execution.pipelineExecutionId, join('-', ['a', parameter.integer('N')]), 7, true]);
    expect(uri.toJSON()).toEqual({
      'Std:Join': {
        On: '/',
        Values: [
          's3://bucket',
          { Get: 'Execution.PipelineExecutionId' },
          { 'Std:Join': { On: '-', Values: ['a', { Get: 'Parameters.N' }] } },
          7,
          true,
        ],
      },
    });
    expect(uri.asString()).toBe(uri);
  });

  it('name every execution variable and the experiment names as the reference does', () => {
    expect(Object.values(execution).map((v) => v.reference)).toEqual([
      'Execution.PipelineExecutionId',
      'Execution.PipelineExecutionArn',
      'Execution.PipelineName',
      'Execution.PipelineArn',
      'Execution.StartDateTime',
      'Execution.CurrentDateTime',
      'Execution.TrainingJobName',
      'Execution.ProcessingJobName',
    ]);
    expect(pipelineExperimentConfig.trialName.toJSON()).toEqual({ Get: 'PipelineExperimentConfig.TrialName' });
  });
});
