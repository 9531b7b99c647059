import { describe, expect, it } from 'vitest';
import { DefinitionError, type DefinitionIssue } from '../errors.js';
import { parsePipelineDefinition, serializePipelineDefinition } from './parse.js';

const ROLE = 'arn:aws:iam::123456789012:role/R';
const training = (name: string, extra: Record<string, unknown> = {}) => ({
  Name: name,
  Type: 'Training',
  Arguments: {
    AlgorithmSpecification: { TrainingImage: 'img', TrainingInputMode: 'File' },
    RoleArn: ROLE,
    OutputDataConfig: { S3OutputPath: 's3://b/o' },
  },
  ...extra,
});
const definition = (steps: unknown[], extra: Record<string, unknown> = {}) => ({ Version: '2020-12-01', Steps: steps, ...extra });

function issuesOf(input: unknown, options: Parameters<typeof parsePipelineDefinition>[1] = {}): DefinitionIssue[] {
  try {
    parsePipelineDefinition(input, options);
  } catch (err) {
    expect(err).toBeInstanceOf(DefinitionError);
    return [...(err as DefinitionError).issues];
  }
  throw new Error('expected a DefinitionError');
}

describe('parsePipelineDefinition: schema issues', () => {
  it('reports an unknown step type at the Type path (not Type.Type) with a suggestion', () => {
    const [issue] = issuesOf(definition([training('A'), { Name: 'B', Type: 'Trainin', Arguments: {} }]));
    expect(issue).toMatchObject({ code: 'UNKNOWN_STEP_TYPE', path: 'Steps[1].Type' });
    expect(issue!.fix).toContain('"Training"');
  });

  it('reports a missing step Type', () => {
    const [issue] = issuesOf(definition([{ Name: 'A', Arguments: {} }]));
    expect(issue).toMatchObject({ code: 'MISSING_STEP_TYPE', path: 'Steps[0].Type' });
  });

  it('names a missing required field and where it is missing', () => {
    const step = training('Train');
    delete (step.Arguments as Record<string, unknown>)['OutputDataConfig'];
    const [issue] = issuesOf(definition([step]));
    expect(issue).toMatchObject({ code: 'MISSING_FIELD', path: 'Steps[0].Arguments.OutputDataConfig' });
    expect(issue!.message).toContain('"OutputDataConfig"');
    expect(issue!.message).toContain('step "Train"');
  });

  it('says "write Equals" for the SDK class name ConditionEquals', () => {
    const cond = {
      Name: 'C',
      Type: 'Condition',
      Arguments: { Conditions: [{ Type: 'ConditionEquals', LeftValue: 1, RightValue: 1 }], IfSteps: [], ElseSteps: [] },
    };
    const [issue] = issuesOf(definition([cond]));
    expect(issue).toMatchObject({ code: 'CONDITION_TYPE_IS_SDK_CLASS', path: 'Steps[0].Arguments.Conditions[0].Type' });
    expect(issue!.fix).toBe('write "Equals".');
  });

  it('suggests the right condition type for a misspelling, and reports a missing operand', () => {
    const cond = {
      Name: 'C',
      Type: 'Condition',
      Arguments: {
        Conditions: [
          { Type: 'GreaterThen', LeftValue: 1, RightValue: 2 },
          { Type: 'Not', Condition: { Type: 'Equals', LeftValue: 1 } },
        ],
      },
    };
    const issues = issuesOf(definition([cond]));
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ['UNKNOWN_CONDITION_TYPE', 'Steps[0].Arguments.Conditions[0].Type'],
      ['MISSING_FIELD', 'Steps[0].Arguments.Conditions[1].Condition.RightValue'],
    ]);
    expect(issues[0]!.fix).toContain('"GreaterThan"');
  });

  it('suggests the right key for a misspelt step-level and top-level key', () => {
    const issues = issuesOf(definition([training('A', { DependOn: ['B'] })], { Paramters: [] }));
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'UNKNOWN_KEY', path: 'Steps[0].DependOn', fix: expect.stringContaining('"DependsOn"') }),
        expect.objectContaining({ code: 'UNKNOWN_KEY', path: 'Paramters', fix: expect.stringContaining('"Parameters"') }),
      ]),
    );
  });

  it('suggests ExpireAfterMin for ExpireAfterMins in a retry policy', () => {
    const step = training('A', { RetryPolicies: [{ ExceptionType: ['Step.THROTTLING'], ExpireAfterMins: 5 }] });
    const [issue] = issuesOf(definition([step]));
    expect(issue).toMatchObject({ code: 'UNKNOWN_KEY', path: 'Steps[0].RetryPolicies[0].ExpireAfterMins' });
    expect(issue!.fix).toContain('"ExpireAfterMin"');
  });

  it('reports a malformed expression at the offending field, deep in Arguments', () => {
    const step = training('A');
    (step.Arguments as Record<string, unknown>)['InputDataConfig'] = [
      { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/t' } } },
      { ChannelName: { Get: 5 }, DataSource: {} },
    ];
    const [issue] = issuesOf(definition([step]));
    expect(issue).toMatchObject({ code: 'INVALID_EXPRESSION', path: 'Steps[0].Arguments.InputDataConfig[1].ChannelName.Get' });
  });

  it('reports a wrong literal with what was expected', () => {
    const [issue] = issuesOf(definition([{ Name: 'F', Type: 'Fail', Arguments: { ErrorMessage: 3 } }]));
    expect(issue).toMatchObject({ code: 'INVALID_VALUE', path: 'Steps[0].Arguments.ErrorMessage' });
    expect(issue!.message).toMatch(/string/);
  });

  it('requires the nested fields SageMaker requires, when their parent is present', () => {
    const step = training('A');
    (step.Arguments as Record<string, unknown>)['InputDataConfig'] = [{ ChannelName: 'train', DataSource: { S3DataSource: { S3Uri: 's3://b' } } }];
    const [issue] = issuesOf(definition([step]));
    expect(issue).toMatchObject({ code: 'MISSING_FIELD', path: 'Steps[0].Arguments.InputDataConfig[0].DataSource.S3DataSource.S3DataType' });
  });

  it('requires exactly one of ClusterId and ClusterConfig in an EMR step', () => {
    const emr = { Name: 'E', Type: 'EMR', Arguments: { StepConfig: { HadoopJarStep: { Jar: 's3://j' } } } };
    const [issue] = issuesOf(definition([emr]));
    expect(issue).toMatchObject({ code: 'INVALID_VALUE', path: 'Steps[0].Arguments' });
    expect(issue!.message).toContain('ClusterId');
  });

  it('rejects a wrong Version with the allowed value', () => {
    const [issue] = issuesOf({ Version: '2021-01-01', Steps: [] });
    expect(issue).toMatchObject({ code: 'INVALID_VALUE', path: 'Version', fix: expect.stringContaining('"2020-12-01"') });
  });

  it('reports every problem, not just the first', () => {
    const issues = issuesOf(definition([{ Name: 'A', Type: 'X', Arguments: {} }, training('B', { Foo: 1 })], { Bar: 1 }));
    expect(issues.map((i) => i.code).sort()).toEqual(['UNKNOWN_KEY', 'UNKNOWN_KEY', 'UNKNOWN_STEP_TYPE']);
  });

  it('rejects invalid JSON text', () => {
    expect(issuesOf('{"Version": ')[0]!.code).toBe('INVALID_JSON');
  });

  it('keeps fields a newer SDK adds inside Arguments', () => {
    const step = training('A');
    (step.Arguments as Record<string, unknown>)['SomeFutureField'] = { X: 1 };
    const parsed = parsePipelineDefinition(definition([step]));
    expect(JSON.parse(serializePipelineDefinition(parsed))).toEqual(definition([step]));
  });
});

describe('parsePipelineDefinition: hostile input', () => {
  it('answers a 5,000-deep Std:Join with a clear error in well under a second', () => {
    // Built as text: JSON.stringify itself would overflow the stack on this value.
    const deep = '{"Std:Join": {"On": "", "Values": ['.repeat(5000) + '"leaf"' + ']}}'.repeat(5000);
    const text = `{"Version": "2020-12-01", "Steps": [{"Name": "F", "Type": "Fail", "Arguments": {"ErrorMessage": ${deep}}}]}`;
    const started = performance.now();
    const issues = issuesOf(text);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(issues).toHaveLength(1);
    expect(['EXPRESSION_TOO_DEEP', 'NESTING_TOO_DEEP']).toContain(issues[0]!.code);
    expect(issues[0]!.path).toMatch(/^Steps\[0\]\.Arguments\.ErrorMessage\['Std:Join'\]/);
  });

  it('rejects JSON nested deeper than the limit', () => {
    let value: unknown = 1;
    for (let i = 0; i < 200; i++) value = [value];
    expect(issuesOf(definition([], { Metadata: value }))[0]!.code).toBe('NESTING_TOO_DEEP');
  });

  it('rejects a definition over 1 MiB before parsing it', () => {
    const big = JSON.stringify(definition([training('A')], { Metadata: { pad: 'x'.repeat(1_048_576) } }));
    const started = performance.now();
    expect(() => parsePipelineDefinition(big)).toThrow(expect.objectContaining({ code: 'DEFINITION_TOO_LARGE' }));
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('rejects more steps than the limit', () => {
    const steps = Array.from({ length: 11 }, (_, i) => training(`S${i}`));
    const [issue] = issuesOf(definition(steps), { limits: { maxSteps: 10 } });
    expect(issue).toMatchObject({ code: 'TOO_MANY_STEPS', path: 'Steps[10]' });
  });

  it('rejects condition steps nested deeper than the limit', () => {
    let step: Record<string, unknown> = training('Leaf');
    for (let i = 0; i < 4; i++) {
      step = { Name: `C${i}`, Type: 'Condition', Arguments: { Conditions: [], IfSteps: [step], ElseSteps: [] } };
    }
    expect(issuesOf(definition([step]), { limits: { maxConditionDepth: 3 } })[0]!.code).toBe('CONDITION_TOO_DEEP');
  });
});
