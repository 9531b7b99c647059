import { DefinitionError, parsePipelineDefinition } from '@cairn/core';
import { describe, expect, it } from 'vitest';
import { greaterThan } from './conditions.js';
import { parameter } from './parameters.js';
import { pipeline } from './pipeline.js';
import { jsonGet, propertyFile } from './property-files.js';
import { callback } from './steps/callback.js';
import { condition } from './steps/condition.js';
import { fail } from './steps/fail.js';
import { lambda } from './steps/lambda.js';

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/q';
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:f';

function definitionError(build: () => unknown): DefinitionError {
  try {
    build();
  } catch (err) {
    if (err instanceof DefinitionError) return err;
    throw err;
  }
  throw new Error('expected a DefinitionError');
}

describe('pipeline', () => {
  it('writes the top-level keys, declared parameters first, then parameters the steps use', () => {
    const a = parameter.string('A', 'x');
    const b = parameter.integer('B', 2);
    const step = lambda('F', { functionArn: ARN, arguments: { a, b } });
    const p = pipeline({ name: 'demo-1', parameters: [b], steps: [step], metadata: { team: 'ml' } });
    const definition = p.definition();
    expect(definition).toMatchObject({
      Version: '2020-12-01',
      Metadata: { team: 'ml' },
      Parameters: [
        { Name: 'B', Type: 'Integer', DefaultValue: 2 },
        { Name: 'A', Type: 'String', DefaultValue: 'x' },
      ],
      PipelineExperimentConfig: { ExperimentName: { Get: 'Execution.PipelineName' }, TrialName: { Get: 'Execution.PipelineExecutionId' } },
    });
    expect(p.name).toBe('demo-1');
    expect(typeof p.toJSON()).toBe('string');
    expect(JSON.parse(p.toJSON())).toEqual(definition);
    expect(parsePipelineDefinition(p.toJSON())).toEqual(definition);
  });

  it('writes a null experiment config when disabled', () => {
    const p = pipeline({ name: 'p', steps: [fail('F')], experimentConfig: null });
    expect(p.definition().PipelineExperimentConfig).toBeNull();
  });

  it('adds steps reachable only through references (also from branch steps) to the top level', () => {
    const source = callback('Source', { sqsQueueUrl: QUEUE, outputParameters: { n: 'Integer' } });
    const inBranch = lambda('InBranch', { functionArn: ARN, arguments: { n: source.properties.OutputParameters('n') } });
    const check = condition('Check', { conditions: [greaterThan(parameter.integer('N', 1), 0)], ifSteps: [inBranch] });
    const after = lambda('After', { functionArn: ARN }, { dependsOn: [check, 'Source'] });
    const steps = pipeline({ name: 'p', steps: [after] }).definition().Steps;
    expect(steps.map((s) => s.Name)).toEqual(['After', 'Check', 'Source']);
    expect(steps[0]?.DependsOn).toEqual(['Check', 'Source']);
  });

  it('reports two steps with one name and a step placed twice, with their paths', () => {
    const one = lambda('Same', { functionArn: ARN });
    const other = lambda('Same', { functionArn: ARN });
    const check = condition('Check', { conditions: [greaterThan(1, 0)], ifSteps: [one] });
    const err = definitionError(() => pipeline({ name: 'p', steps: [one, check, other] }).definition());
    expect(err.issues.map((i) => [i.code, i.path])).toEqual([
      ['STEP_PLACED_TWICE', 'Steps[1].Arguments.IfSteps[0]'],
      ['DUPLICATE_STEP_NAME', 'Steps[2]'],
    ]);
  });

  it('reports two different parameters with one name', () => {
    const step = lambda('F', { functionArn: ARN, arguments: { a: parameter.integer('X', 1), b: parameter.integer('X', 2) } });
    const err = definitionError(() => pipeline({ name: 'p', steps: [step] }).definition());
    expect(err.issues.map((i) => i.code)).toEqual(['DUPLICATE_PARAMETER_NAME']);
  });

  it('rejects an invalid pipeline name', () => {
    expect(definitionError(() => pipeline({ name: 'bad_name', steps: [] })).issues[0]?.code).toBe('INVALID_PIPELINE_NAME');
  });

  it('rejects jsonGet of a property file that no step declares', () => {
    const orphan = propertyFile({ name: 'Orphan', outputName: 'o', path: 'o.json' });
    const check = condition('Check', { conditions: [greaterThan(jsonGet(orphan, 'x'), 0)] });
    expect(definitionError(() => pipeline({ name: 'p', steps: [check] }).definition()).issues[0]?.code).toBe('PROPERTY_FILE_NOT_DECLARED');
  });

  it('passes what only the compiler can find (an unknown DependsOn name) on as a DefinitionError', () => {
    const step = lambda('F', { functionArn: ARN }, { dependsOn: ['Missing'] });
    const err = definitionError(() => pipeline({ name: 'p', steps: [step] }).definition());
    expect(err.issues.some((i) => i.path.includes('DependsOn'))).toBe(true);
  });
});
