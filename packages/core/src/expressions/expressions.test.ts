import { describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../artifacts.js';
import type { Condition } from '../definition/conditions.js';
import type { Step } from '../definition/steps.js';
import { OrchestratorError } from '../errors.js';
import type { JsonObject } from '../json.js';
import { evaluateConditions } from './conditions.js';
import { resolveParameters } from './parameters.js';
import { parsePath } from './property-path.js';
import { hasExpressions, resolveValue, type ResolveContext } from './resolve.js';

const files: Record<string, string> = {
  's3://b/eval/evaluation.json': JSON.stringify({ regression_metrics: { mse: { value: 0.25 } }, list: [1, { k: 'v' }] }),
  's3://b/fn/results.json': JSON.stringify({ Result: [10, 20] }),
};
const artifacts: ArtifactStore = {
  id: 'fake',
  readText: async (uri) => {
    const text = files[uri];
    if (text === undefined) throw new Error(`missing ${uri}`);
    return text;
  },
  digest: async () => undefined,
};

const evalStep = {
  Name: 'Eval',
  Type: 'Processing',
  Arguments: {},
  PropertyFiles: [{ PropertyFileName: 'Report', OutputName: 'evaluation', FilePath: 'evaluation.json' }],
} as unknown as Step;
const steps: Record<string, { step: Step; properties?: JsonObject }> = {
  Eval: {
    step: evalStep,
    properties: { ProcessingOutputConfig: { Outputs: [{ OutputName: 'evaluation', S3Output: { S3Uri: 's3://b/eval' } }] } },
  },
  Train: {
    step: { Name: 'Train', Type: 'Training', Arguments: {} } as unknown as Step,
    properties: {
      FinalMetricDataList: [{ MetricName: 'val:acc', Value: 0.9 }],
      HyperParameters: { lr: '0.1' },
      OutputDataConfig: { S3OutputPath: 's3://b/fn' },
    },
  },
  Cond: { step: { Name: 'Cond', Type: 'Condition', Arguments: { Conditions: [] } } as unknown as Step, properties: { Outcome: false } },
  Pending: { step: { Name: 'Pending', Type: 'Training', Arguments: {} } as unknown as Step },
};

const ctx: ResolveContext = {
  parameters: { Threshold: 0.5, Count: 3, Flag: true, Bucket: 'b' },
  execution: { executionId: 'abc123def456', executionArn: 'arn:x:execution/abc123def456', pipelineName: 'P', pipelineArn: 'arn:x', startTime: 0 },
  experiment: { ExperimentName: 'P', TrialName: 'abc123def456' },
  current: { stepType: 'Training', jobName: 'pipelines-abc-Train-x' },
  step: (name) => steps[name],
  artifacts,
  clock: { now: () => 1000 },
};

describe('resolveValue', () => {
  it('renders Std:Join items as the service does', async () => {
    const v = await resolveValue(
      { 'Std:Join': { On: ',', Values: [true, false, 3, 0.95, 1e-7, { Get: 'Parameters.Count' }, { Get: 'Parameters.Threshold' }, 'x'] } },
      ctx,
    );
    expect(v).toBe('true,false,3,0.95,1e-7,3,0.5,x');
  });

  it('builds the Fail message from a condition outcome', async () => {
    const v = await resolveValue({ 'Std:Join': { On: ' ', Values: ['Failed due to xxx == yyy returns:', { Get: 'Steps.Cond.Outcome' }] } }, ctx);
    expect(v).toBe('Failed due to xxx == yyy returns: false');
  });

  it('reads typed parameters, execution variables and experiment fields', async () => {
    const v = await resolveValue(
      { a: { Get: 'Parameters.Flag' }, b: [{ Get: 'Execution.PipelineExecutionId' }], c: { Get: 'PipelineExperimentConfig.TrialName' }, d: { Get: 'Execution.TrainingJobName' }, e: { Get: 'Execution.StartDateTime' } },
      ctx,
    );
    expect(v).toEqual({ a: true, b: ['abc123def456'], c: 'abc123def456', d: 'pipelines-abc-Train-x', e: '1970-01-01T00:00:00.000Z' });
  });

  it('selects list items by their identity field and map entries by key', async () => {
    expect(await resolveValue({ Get: "Steps.Eval.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri" }, ctx)).toBe('s3://b/eval');
    expect(await resolveValue({ Get: "Steps.Train.FinalMetricDataList['val:acc'].Value" }, ctx)).toBe(0.9);
    expect(await resolveValue({ Get: 'Steps.Train.FinalMetricDataList[0].MetricName' }, ctx)).toBe('val:acc');
    expect(await resolveValue({ Get: "Steps.Train.HyperParameters['lr']" }, ctx)).toBe('0.1');
  });

  it('reads Std:JsonGet from a property file and from an S3 URI', async () => {
    const fromFile = { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Eval.PropertyFiles.Report' }, Path: 'regression_metrics.mse.value' } };
    expect(await resolveValue(fromFile, ctx)).toBe(0.25);
    const fromUri = {
      'Std:JsonGet': { S3Uri: { 'Std:Join': { On: '/', Values: [{ Get: 'Steps.Train.OutputDataConfig.S3OutputPath' }, 'results.json'] } }, Path: 'Result[1]' },
    };
    expect(await resolveValue(fromUri, ctx)).toBe(20);
  });

  it('names the expression, the path and the fix when resolution fails', async () => {
    const err = await resolveValue({ x: [{ Get: 'Steps.Pending.ModelArtifacts.S3ModelArtifacts' }] }, ctx, 'Arguments').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrchestratorError);
    expect((err as OrchestratorError).code).toBe('EXPRESSION_FAILED');
    expect((err as OrchestratorError).message).toMatch(/Steps\.Pending.*Arguments\.x\[0\].*has not succeeded.*To fix:/s);
    const missing = await resolveValue({ 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Eval.PropertyFiles.Report' }, Path: 'nope.value' } }, ctx).catch((e: unknown) => e);
    expect((missing as OrchestratorError).message).toMatch(/has nothing at nope/);
    const badParam = await resolveValue({ Get: 'Parameters.Nope' }, ctx).catch((e: unknown) => e);
    expect((badParam as OrchestratorError).code).toBe('EXPRESSION_FAILED');
  });

  it('detects expressions for the fast path', () => {
    expect(hasExpressions({ a: [1, { b: 'x' }] })).toBe(false);
    expect(hasExpressions({ a: [1, { b: { Get: 'Parameters.X' } }] })).toBe(true);
  });

  it('parses property paths and rejects bad ones', () => {
    expect(parsePath("a.b[0]['k']")).toEqual([
      { name: 'a', indexes: [] },
      { name: 'b', indexes: [0, 'k'] },
    ]);
    expect(() => parsePath('a..b')).toThrow(/not valid/);
    expect(() => parsePath('a[')).toThrow(/not valid/);
  });
});

describe('resolveParameters', () => {
  const declared = [
    { Name: 'Flag', Type: 'Boolean' as const, DefaultValue: false },
    { Name: 'Count', Type: 'Integer' as const, DefaultValue: 1 },
    { Name: 'Rate', Type: 'Float' as const },
    { Name: 'Mode', EnumValues: ['a', 'b'], DefaultValue: 'a' },
  ];
  it('parses values per declared type', () => {
    expect(resolveParameters(declared, { Flag: 'True', Count: '42', Rate: '0.5' })).toEqual({ Flag: true, Count: 42, Rate: 0.5, Mode: 'a' });
    expect(resolveParameters(declared, { Flag: 'FALSE', Rate: '1' }).Flag).toBe(false);
  });
  it('lists every problem at once', () => {
    const err = (() => {
      try {
        resolveParameters(declared, { Flag: 'yes', Count: '1.5', Mode: 'c', Unknown: 'x' });
      } catch (e) {
        return e as OrchestratorError;
      }
      throw new Error('expected an error');
    })();
    expect(err.code).toBe('PARAMETER_INVALID');
    expect(err.details?.['problems']).toHaveLength(5);
    expect(err.message).toMatch(/Unknown.*Flag.*Count.*Rate.*no default.*Mode.*one of/s);
  });
});

describe('evaluateConditions', () => {
  const resolve = (v: unknown) => resolveValue(v, ctx);
  const cond = (c: unknown) => c as Condition;
  it('compares numbers numerically and strings lexicographically', async () => {
    expect(await evaluateConditions([cond({ Type: 'GreaterThan', LeftValue: 3, RightValue: 2.5 })], resolve)).toBe(true);
    expect(await evaluateConditions([cond({ Type: 'Equals', LeftValue: 3, RightValue: 3.0 })], resolve)).toBe(true);
    expect(await evaluateConditions([cond({ Type: 'GreaterThan', LeftValue: '1', RightValue: { 'Std:Join': { On: '', Values: [{ Get: 'Parameters.Count' }] } } })], resolve)).toBe(false);
    expect(await evaluateConditions([cond({ Type: 'GreaterThan', LeftValue: '4', RightValue: '30' })], resolve)).toBe(true);
  });
  it('combines with AND, Or, Not and In', async () => {
    const t = { Type: 'Equals', LeftValue: 1, RightValue: 1 };
    const f = { Type: 'Equals', LeftValue: 1, RightValue: 2 };
    expect(await evaluateConditions([cond(t), cond(f)], resolve)).toBe(false);
    expect(await evaluateConditions([cond({ Type: 'Or', Conditions: [f, t] })], resolve)).toBe(true);
    expect(await evaluateConditions([cond({ Type: 'Not', Condition: { Type: 'Not', Condition: f } })], resolve)).toBe(false);
    expect(await evaluateConditions([cond({ Type: 'In', QueryValue: { Get: 'Parameters.Count' }, Values: ['3', 3] })], resolve)).toBe(true);
    expect(await evaluateConditions([cond({ Type: 'LessThanOrEqualTo', LeftValue: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Eval.PropertyFiles.Report' }, Path: 'regression_metrics.mse.value' } }, RightValue: { Get: 'Parameters.Threshold' } })], resolve)).toBe(true);
  });
  it('fails on incompatible types', async () => {
    await expect(evaluateConditions([cond({ Type: 'Equals', LeftValue: 1, RightValue: '1' })], resolve)).rejects.toMatchObject({ code: 'CONDITION_FAILED' });
    await expect(evaluateConditions([cond({ Type: 'GreaterThan', LeftValue: true, RightValue: false })], resolve)).rejects.toMatchObject({ code: 'CONDITION_FAILED' });
  });
});
