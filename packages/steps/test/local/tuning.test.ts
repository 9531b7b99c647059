import { describe, expect, it } from 'vitest';
import { trainingJobName } from '../../src/local/tuning.js';
import { makeHarness, NODE_IMAGE, step, succeeded } from './harness.js';

const tuningArgs = (strategy: string, limits: Record<string, number>) => ({
  HyperParameterTuningJobConfig: {
    Strategy: strategy,
    ResourceLimits: limits,
    HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'validation:score' },
    ParameterRanges: {
      IntegerParameterRanges: [{ Name: 'depth', MinValue: '3', MaxValue: '4', ScalingType: 'Auto' }],
      CategoricalParameterRanges: [{ Name: 'kernel', Values: ['linear', 'rbf'] }],
    },
  },
  TrainingJobDefinition: {
    StaticHyperParameters: { sagemaker_program: '"objective.ts"', sagemaker_submit_directory: '"s3://fixtures/code"', x: '0.3' },
    AlgorithmSpecification: { TrainingImage: NODE_IMAGE, TrainingInputMode: 'File', MetricDefinitions: [{ Name: 'validation:score', Regex: 'validation:score=(-?[0-9.e-]+)' }] },
    RoleArn: 'arn:aws:iam::1:role/r',
    OutputDataConfig: { S3OutputPath: 's3://out/tuning' },
    ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 5 },
    StoppingCondition: { MaxRuntimeInSeconds: 60 },
  },
});

describe('local Tuning', () => {
  it('runs the grid with parallel training jobs and reports the best first, as SageMaker does', async () => {
    const h = makeHarness();
    const { state } = await h.run(step('Tuning', 'Tune'), tuningArgs('Grid', { MaxParallelTrainingJobs: 2 }), 'tune-abc');
    const props = succeeded(state);
    const name = (i: number) => trainingJobName('tune-abc', i);
    expect(props).toMatchObject({
      HyperParameterTuningJobName: 'tune-abc',
      HyperParameterTuningJobArn: 'arn:aws:sagemaker:local:000000000000:hyper-parameter-tuning-job/tune-abc',
      HyperParameterTuningJobStatus: 'Completed',
      ObjectiveStatusCounters: { Succeeded: 4, Pending: 0, Failed: 0 },
      TrainingJobStatusCounters: { Completed: 4, NonRetryableError: 0 },
      BestTrainingJob: { TunedHyperParameters: { depth: '4', kernel: 'rbf' }, ObjectiveStatus: 'Succeeded' },
    });
    const summaries = props['TrainingJobSummaries'] as { TrainingJobName: string; FinalHyperParameterTuningJobObjectiveMetric: { Value: number; MetricName: string } }[];
    expect(summaries).toHaveLength(4);
    const values = summaries.map((s) => s.FinalHyperParameterTuningJobObjectiveMetric.Value);
    expect([...values].sort((a, b) => b - a)).toEqual(values);
    expect(summaries[0]?.FinalHyperParameterTuningJobObjectiveMetric).toMatchObject({ MetricName: 'validation:score', Value: 0.05 });
    expect(new Set(summaries.map((s) => s.TrainingJobName))).toEqual(new Set([0, 1, 2, 3].map(name)));
    expect(name(0)).toMatch(/^tune-abc-001-[0-9a-f]{8}$/);
    expect(await h.artifacts.readText(`s3://out/tuning/${summaries[0]?.TrainingJobName}/output/model.tar.gz`).then(() => true)).toBe(true);
  });

  it('needs MaxNumberOfTrainingJobs for Random and Bayesian', async () => {
    const h = makeHarness();
    const { state } = await h.run(step('Tuning', 'Tune'), tuningArgs('Bayesian', { MaxParallelTrainingJobs: 1 }), 'tune-x');
    expect(state.state === 'failed' && state.error.message).toMatch(/MaxNumberOfTrainingJobs is required/);
  });
});
