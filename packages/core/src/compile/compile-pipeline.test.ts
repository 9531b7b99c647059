import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { topologicalGenerations } from 'graphology-dag';
import { describe, expect, it } from 'vitest';
import { DefinitionError, type DefinitionIssue } from '../errors.js';
import type { PipelineDefinition } from '../definition/pipeline.js';
import { compilePipeline } from './compile-pipeline.js';
import { validatePipelineDefinition } from './validate.js';

type AnyStep = Record<string, unknown>;
const ROLE = 'arn:aws:iam::123456789012:role/R';
const fixture = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url)), 'utf8');

const lambda = (name: string, args: Record<string, unknown> = {}, extra: AnyStep = {}): AnyStep => ({
  Name: name,
  Type: 'Lambda',
  Arguments: args,
  FunctionArn: 'arn:aws:lambda:us-east-1:1:function:f',
  OutputParameters: [{ OutputName: 'out' }],
  ...extra,
});
const training = (name: string, extra: AnyStep = {}): AnyStep => ({
  Name: name,
  Type: 'Training',
  Arguments: {
    AlgorithmSpecification: { TrainingImage: 'img', TrainingInputMode: 'File' },
    RoleArn: ROLE,
    OutputDataConfig: { S3OutputPath: 's3://b/o' },
  },
  ...extra,
});
const processing = (name: string, extra: AnyStep = {}): AnyStep => ({
  Name: name,
  Type: 'Processing',
  Arguments: {
    ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 1 } },
    AppSpecification: { ImageUri: 'img' },
    RoleArn: ROLE,
    ProcessingOutputConfig: { Outputs: [{ OutputName: 'evaluation', S3Output: { S3Uri: 's3://b/e' } }] },
  },
  PropertyFiles: [{ PropertyFileName: 'Report', OutputName: 'evaluation', FilePath: 'evaluation.json' }],
  ...extra,
});
const fail = (name: string): AnyStep => ({ Name: name, Type: 'Fail', Arguments: { ErrorMessage: 'no' } });
const condition = (name: string, conditions: unknown[], ifSteps: AnyStep[], elseSteps: AnyStep[] = []): AnyStep => ({
  Name: name,
  Type: 'Condition',
  Arguments: { Conditions: conditions, IfSteps: ifSteps, ElseSteps: elseSteps },
});
const pipeline = (steps: AnyStep[], parameters: unknown[] = []): PipelineDefinition =>
  ({ Version: '2020-12-01', Parameters: parameters, Steps: steps }) as unknown as PipelineDefinition;

function issuesOf(definition: PipelineDefinition): DefinitionIssue[] {
  try {
    compilePipeline(definition);
  } catch (err) {
    expect(err).toBeInstanceOf(DefinitionError);
    return [...(err as DefinitionError).issues];
  }
  throw new Error('expected a DefinitionError');
}
const codesAndPaths = (issues: DefinitionIssue[]) => issues.map((i) => [i.code, i.path]);

describe('compilePipeline: the graph', () => {
  const compiled = validatePipelineDefinition(fixture('sdk-abalone.json')).compiled;

  it('has edges from DependsOn, Get, Std:JsonGet and condition branches', () => {
    const upstream = (name: string) => [...compiled.steps.get(name)!.upstream].sort();
    expect(upstream('AbaloneTrain')).toEqual(['AbaloneProcess']);
    expect(upstream('AbaloneEval')).toEqual(['AbaloneProcess', 'AbaloneTrain']);
    expect(upstream('AbaloneMSECond')).toEqual(['AbaloneEval']);
    expect(upstream('RegisterAbaloneModel-RegisterModel')).toEqual(['AbaloneEval', 'AbaloneMSECond', 'AbaloneTrain']);
    expect(upstream('AbaloneTransform')).toEqual(['AbaloneCreateModel-CreateModel', 'AbaloneMSECond']);
    expect(upstream('AbaloneMSEFail')).toEqual(['AbaloneMSECond']);
    expect(compiled.graph.order).toBe(8);
  });

  it('orders steps topologically and groups them in waves', () => {
    const position = new Map(compiled.order.map((n, i) => [n, i]));
    compiled.graph.forEachEdge((_e, _a, source, target) => expect(position.get(source)!).toBeLessThan(position.get(target)!));
    expect(compiled.waves[0]).toEqual(['AbaloneProcess']);
    expect(compiled.waves.flat()).toHaveLength(8);
  });

  it('records branch membership and every reference with its JSON path', () => {
    const register = compiled.steps.get('RegisterAbaloneModel-RegisterModel')!;
    expect(register.branch).toEqual({ condition: 'AbaloneMSECond', branch: 'IfSteps' });
    expect(register.path).toBe('Steps[3].Arguments.IfSteps[0]');
    expect(register.references).toContainEqual({
      kind: 'propertyFile',
      stepName: 'AbaloneEval',
      file: 'EvaluationReport',
      jsonPath: 'regression_metrics.mse.value',
      path: "Steps[3].Arguments.IfSteps[0].Arguments.CustomerMetadataProperties.mse['Std:Join'].Values[0]['Std:JsonGet'].PropertyFile.Get",
    });
    const train = compiled.steps.get('AbaloneTrain')!;
    expect(train.references).toContainEqual({
      kind: 'step',
      stepName: 'AbaloneProcess',
      propertyPath: "ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri",
      path: 'Steps[1].Arguments.InputDataConfig[0].DataSource.S3DataSource.S3Uri.Get',
    });
    expect(train.references).toContainEqual({ kind: 'parameter', name: 'MaxDepth', path: "Steps[1].Arguments.HyperParameters.max_depth['Std:Join'].Values[0].Get" });
  });

  it('compiles every fixture', () => {
    for (const name of ['sdk-checks-callbacks-nesting.json', 'sdk-newer-step-types.json']) {
      expect(() => validatePipelineDefinition(fixture(name))).not.toThrow();
    }
  });

  it('counts only the Conditions of a condition step as its inputs, not its branches', () => {
    const compiledCond = compilePipeline(
      pipeline([
        lambda('A'),
        condition('C', [{ Type: 'Equals', LeftValue: { Get: "Steps.A.OutputParameters['out']" }, RightValue: 1 }], [
          lambda('B', { x: { Get: 'Steps.A.OutputParameters' } }),
        ]),
      ]),
    );
    expect(compiledCond.steps.get('C')!.upstream).toEqual(['A']);
    expect([...compiledCond.steps.get('B')!.upstream].sort()).toEqual(['A', 'C']);
  });
});

describe('compilePipeline: edges and waves on a larger DAG', () => {
  // Each step depends on up to three earlier ones, twice over for some (DependsOn and a Get).
  const steps = Array.from({ length: 300 }, (_, i) => {
    const ups = [...new Set([(i * 7) % (i || 1), (i * 13 + 5) % (i || 1), i - 1].filter((u) => u >= 0 && u < i))];
    const args = ups.length > 0 ? { x: { Get: `Steps.S${ups[0]}.OutputParameters['out']` } } : {};
    return lambda(`S${i}`, args, { DependsOn: ups.map((u) => `S${u}`) });
  });
  const compiled = compilePipeline(pipeline(steps));

  it('gives the waves graphology-dag computes on the same graph', () => {
    expect(compiled.waves).toEqual(topologicalGenerations(compiled.graph));
    expect(compiled.order).toEqual(compiled.waves.flat());
  });

  it('deduplicates edges and keeps upstream/downstream in step with the graph', () => {
    let edges = 0;
    for (const step of compiled.steps.values()) {
      edges += step.upstream.length;
      expect(new Set(step.upstream).size).toBe(step.upstream.length);
      expect(step.upstream).toEqual(compiled.graph.inNeighbors(step.name));
      expect(step.downstream).toEqual(compiled.graph.outNeighbors(step.name));
    }
    expect(compiled.graph.size).toBe(edges);
    expect(compiled.graph).toBe(compiled.graph);
  });
});

describe('compilePipeline: issues', () => {
  it('reports duplicate step names across branches with both paths', () => {
    const [issue] = issuesOf(pipeline([lambda('A'), condition('C', [], [lambda('A')])]));
    expect(issue).toMatchObject({ code: 'DUPLICATE_STEP_NAME', path: 'Steps[1].Arguments.IfSteps[0].Name' });
    expect(issue!.message).toContain('Steps[0]');
    expect(issue!.message).toContain('Steps[1].Arguments.IfSteps[0]');
  });

  it('reports a step in both branches of one condition', () => {
    const [issue] = issuesOf(pipeline([condition('C', [], [lambda('A')], [lambda('A')])]));
    expect(issue).toMatchObject({ code: 'STEP_IN_BOTH_BRANCHES', path: 'Steps[0].Arguments.ElseSteps[0].Name' });
  });

  it('reports an unknown DependsOn with the closest name', () => {
    const [issue] = issuesOf(pipeline([lambda('Preprocess'), lambda('Train', {}, { DependsOn: ['Preprocss'] })]));
    expect(issue).toMatchObject({ code: 'UNKNOWN_DEPENDS_ON', path: 'Steps[1].DependsOn[0]' });
    expect(issue!.fix).toContain('did you mean "Preprocess"?');
  });

  it('reports an unknown referenced step with the closest name', () => {
    const [issue] = issuesOf(pipeline([training('Train'), lambda('L', { m: { Get: 'Steps.Trian.ModelArtifacts.S3ModelArtifacts' } })]));
    expect(issue).toMatchObject({ code: 'UNKNOWN_STEP_REFERENCE', path: 'Steps[1].Arguments.m.Get' });
    expect(issue!.fix).toContain('"Train"');
  });

  it('reports an unknown parameter with the closest name', () => {
    const issues = issuesOf(
      pipeline([lambda('L', { a: { 'Std:Join': { On: '', Values: [{ Get: 'Parameters.Epoch' }] } } })], [{ Name: 'Epochs', Type: 'Integer' }]),
    );
    expect(codesAndPaths(issues)).toEqual([['UNKNOWN_PARAMETER', "Steps[0].Arguments.a['Std:Join'].Values[0].Get"]]);
    expect(issues[0]!.fix).toContain('"Epochs"');
  });

  it('reports a wrong property root with a suggestion (ModelArtifact → ModelArtifacts)', () => {
    const [issue] = issuesOf(pipeline([training('Train'), lambda('L', { m: { Get: 'Steps.Train.ModelArtifact.S3ModelArtifacts' } })]));
    expect(issue).toMatchObject({ code: 'UNKNOWN_PROPERTY', path: 'Steps[1].Arguments.m.Get' });
    expect(issue!.fix).toContain('"ModelArtifacts"');
  });

  it('reports a property another step type has but this one does not', () => {
    const [issue] = issuesOf(pipeline([lambda('Fn'), lambda('L', { m: { Get: 'Steps.Fn.ModelArtifacts.S3ModelArtifacts' } })]));
    expect(issue).toMatchObject({ code: 'UNKNOWN_PROPERTY', path: 'Steps[1].Arguments.m.Get' });
    expect(issue!.message).toContain('Lambda');
  });

  it('accepts documented list-by-name, map and open paths', () => {
    const refs = [
      "Steps.Train.FinalMetricDataList['val:acc'].Value",
      "Steps.Train.HyperParameters['lr']",
      'Steps.Train.HyperParameters',
      'Steps.Train.AlgorithmSpecification.SomethingNewer.Deep',
      "Steps.Prep.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri",
      'Steps.Prep.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri',
    ];
    const args = Object.fromEntries(refs.map((r, i) => [`a${i}`, { Get: r }]));
    expect(() => compilePipeline(pipeline([training('Train'), processing('Prep'), lambda('L', args)]))).not.toThrow();
  });

  it('reports Std:JsonGet on an undeclared property file and on a non-Processing step', () => {
    const jsonGet = (get: string) => ({ 'Std:JsonGet': { PropertyFile: { Get: get }, Path: 'a.b' } });
    const issues = issuesOf(
      pipeline([
        processing('Eval'),
        training('Train'),
        lambda('L', { a: jsonGet('Steps.Eval.PropertyFiles.Reprt'), b: jsonGet('Steps.Train.PropertyFiles.Report') }),
      ]),
    );
    expect(codesAndPaths(issues)).toEqual([
      ['UNKNOWN_PROPERTY_FILE', "Steps[2].Arguments.a['Std:JsonGet'].PropertyFile.Get"],
      ['JSONGET_ON_NON_PROCESSING_STEP', "Steps[2].Arguments.b['Std:JsonGet'].PropertyFile.Get"],
    ]);
    expect(issues[0]!.fix).toContain('"Report"');
  });

  it('reports a property file read outside Std:JsonGet', () => {
    const [issue] = issuesOf(pipeline([processing('Eval'), lambda('L', { a: { Get: 'Steps.Eval.PropertyFiles.Report' } })]));
    expect(issue).toMatchObject({ code: 'PROPERTY_FILE_OUTSIDE_JSONGET', path: 'Steps[1].Arguments.a.Get' });
  });

  it('reports a property file whose OutputName is not an output of the step', () => {
    const step = processing('Eval', { PropertyFiles: [{ PropertyFileName: 'R', OutputName: 'evaluaton', FilePath: 'e.json' }] });
    const [issue] = issuesOf(pipeline([step]));
    expect(issue).toMatchObject({ code: 'PROPERTY_FILE_OUTPUT_UNKNOWN', path: 'Steps[0].PropertyFiles[0].OutputName' });
    expect(issue!.fix).toContain('"evaluation"');
  });

  it('reports DependsOn on a Fail step and a reference to one', () => {
    const issues = issuesOf(pipeline([fail('Stop'), lambda('L', { a: { Get: 'Steps.Stop.ErrorMessage' } }, { DependsOn: ['Stop'] })]));
    expect(codesAndPaths(issues)).toEqual([
      ['DEPENDS_ON_FAIL_STEP', 'Steps[1].DependsOn[0]'],
      ['REFERENCE_TO_FAIL_STEP', 'Steps[1].Arguments.a.Get'],
    ]);
  });

  it('names every member of a cycle', () => {
    const issues = issuesOf(
      pipeline([
        lambda('A', {}, { DependsOn: ['C'] }),
        lambda('B', { x: { Get: "Steps.A.OutputParameters['out']" } }),
        lambda('C', {}, { DependsOn: ['B'] }),
        lambda('D', {}, { DependsOn: ['A'] }),
      ]),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]!.code).toBe('CYCLE');
    for (const name of ['"A"', '"B"', '"C"']) expect(issues[0]!.message).toContain(name);
    expect(issues[0]!.message).not.toContain('"D"');
  });

  it('reports a step that depends on itself', () => {
    const [issue] = issuesOf(pipeline([lambda('A', { x: { Get: "Steps.A.OutputParameters['out']" } })]));
    expect(issue).toMatchObject({ code: 'CYCLE', path: 'Steps[0]' });
  });

  it('reports parameter problems: duplicates, default types, EnumValues', () => {
    const issues = issuesOf(
      pipeline(
        [lambda('L')],
        [
          { Name: 'N', Type: 'Integer', DefaultValue: 1.5 },
          { Name: 'N', Type: 'Integer' },
          { Name: 'S', DefaultValue: 3 },
          { Name: 'B', Type: 'Boolean', DefaultValue: 'true' },
          { Name: 'E', Type: 'String', DefaultValue: 'c', EnumValues: ['a', 'b'] },
          { Name: 'F', Type: 'Float', DefaultValue: 0.5, EnumValues: ['0.5'] },
          { Name: 'Ok', Type: 'Float', DefaultValue: 0 },
        ],
      ),
    );
    expect(codesAndPaths(issues)).toEqual([
      ['PARAMETER_DEFAULT_TYPE', 'Parameters[0].DefaultValue'],
      ['DUPLICATE_PARAMETER_NAME', 'Parameters[1].Name'],
      ['PARAMETER_DEFAULT_TYPE', 'Parameters[2].DefaultValue'],
      ['PARAMETER_DEFAULT_TYPE', 'Parameters[3].DefaultValue'],
      ['PARAMETER_DEFAULT_NOT_IN_ENUM', 'Parameters[4].DefaultValue'],
      ['PARAMETER_ENUM_NOT_STRING', 'Parameters[5].EnumValues'],
    ]);
  });

  it('reports malformed Get strings and unknown execution variables', () => {
    const issues = issuesOf(
      pipeline([
        lambda('L', {
          a: { Get: 'Parameter.X' },
          b: { Get: 'Steps.L' },
          c: { Get: 'Execution.PipelineExecutionID' },
          d: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.L' }, Path: 'x' } },
        }),
      ]),
    );
    expect(codesAndPaths(issues)).toEqual([
      ['MALFORMED_GET', 'Steps[0].Arguments.a.Get'],
      ['MALFORMED_GET', 'Steps[0].Arguments.b.Get'],
      ['UNKNOWN_EXECUTION_VARIABLE', 'Steps[0].Arguments.c.Get'],
      ['MALFORMED_PROPERTY_FILE_REFERENCE', "Steps[0].Arguments.d['Std:JsonGet'].PropertyFile.Get"],
    ]);
    expect(issues[2]!.fix).toContain('"PipelineExecutionId"');
  });

  it('checks references in step-level fields and the experiment configuration', () => {
    const definition = {
      ...pipeline([{ ...lambda('L'), FunctionArn: { Get: 'Parameters.Arn' } }]),
      PipelineExperimentConfig: { ExperimentName: { Get: 'Parameters.Exp' }, TrialName: { Get: 'Steps.L.OutputParameters' } },
    } as PipelineDefinition;
    expect(codesAndPaths(issuesOf(definition))).toEqual([
      ['UNKNOWN_PARAMETER', 'Steps[0].FunctionArn.Get'],
      ['UNKNOWN_PARAMETER', 'PipelineExperimentConfig.ExperimentName.Get'],
      ['STEP_REFERENCE_OUTSIDE_STEP', 'PipelineExperimentConfig.TrialName.Get'],
    ]);
  });

  it('reports all problems together, each with a fix', () => {
    const issues = issuesOf(
      pipeline([lambda('A', { p: { Get: 'Parameters.Nope' } }, { DependsOn: ['Zzz'] }), lambda('A'), fail('F'), lambda('B', {}, { DependsOn: ['F'] })]),
    );
    expect(issues.map((i) => i.code).sort()).toEqual(['DEPENDS_ON_FAIL_STEP', 'DUPLICATE_STEP_NAME', 'UNKNOWN_DEPENDS_ON', 'UNKNOWN_PARAMETER']);
    for (const issue of issues) expect(issue.fix.length).toBeGreaterThan(5);
  });
});

describe('compilePipeline: hostile input', () => {
  it('stops at the nesting limit instead of recursing through a 5,000-deep Std:Join', () => {
    let value: unknown = { Get: 'Parameters.X' };
    for (let i = 0; i < 5000; i++) value = { 'Std:Join': { On: '', Values: [value] } };
    const started = performance.now();
    const issues = issuesOf(pipeline([lambda('L', { deep: value })], [{ Name: 'X' }]));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(issues[0]!.code).toBe('NESTING_TOO_DEEP');
  });

  it('rejects more steps than the limit', () => {
    const steps = Array.from({ length: 6 }, (_, i) => lambda(`S${i}`));
    expect(() => compilePipeline(pipeline(steps), { maxSteps: 5 })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ code: 'TOO_MANY_STEPS', path: 'Steps[5]' })] }),
    );
  });

  it('validatePipelineDefinition passes the step limit to both parse and compile', () => {
    const steps = Array.from({ length: 4 }, (_, i) => lambda(`S${i}`));
    expect(() => validatePipelineDefinition(pipeline(steps), { limits: { maxSteps: 3 } })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ code: 'TOO_MANY_STEPS' })] }),
    );
    expect(validatePipelineDefinition(pipeline(steps), { limits: { maxSteps: 4 } }).compiled.order).toHaveLength(4);
  });

  it('validatePipelineDefinition rejects a definition over 1 MiB', () => {
    const big = JSON.stringify({ ...pipeline([lambda('L', { pad: 'x'.repeat(1_100_000) })]) });
    expect(() => validatePipelineDefinition(big)).toThrow(expect.objectContaining({ code: 'DEFINITION_TOO_LARGE' }));
  });
});

describe('compilePipeline: expressions in free-form arguments', () => {
  it('reports a malformed Std:Join, Std:JsonGet or Get where the schemas do not look', () => {
    const issues = issuesOf(
      pipeline([
        lambda('L', {
          a: { 'Std:Join': { On: 1, Values: [] } },
          b: { 'Std:JsonGet': { Path: 'x' } },
          c: { Get: 5 },
        }),
      ]),
    );
    expect(codesAndPaths(issues)).toEqual([
      ['INVALID_EXPRESSION', "Steps[0].Arguments.a['Std:Join']"],
      ['INVALID_EXPRESSION', "Steps[0].Arguments.b['Std:JsonGet']"],
      ['INVALID_EXPRESSION', 'Steps[0].Arguments.c.Get'],
    ]);
  });

  it('reports an output parameter a Callback or Lambda step does not declare', () => {
    const [issue] = issuesOf(pipeline([lambda('Fn'), lambda('L', { a: { Get: "Steps.Fn.OutputParameters['ot']" } })]));
    expect(issue).toMatchObject({ code: 'UNKNOWN_PROPERTY', path: 'Steps[1].Arguments.a.Get' });
    expect(issue!.fix).toContain('"out"');
  });
});
