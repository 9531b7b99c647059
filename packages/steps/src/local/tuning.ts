import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import type { JobState, JsonObject } from '@cairn/core';
import { ErrorCode, OrchestratorError, StepFailedError } from '@cairn/core';
import { epochSeconds, failedState, parseArguments, resourceArn, withProperties, type LocalJob } from './job.js';
import { runTraining, TrainingArgumentsSchema } from './training.js';
import {
  bayesianStrategy,
  decodePoint,
  dimensionsFromRanges,
  gridStrategy,
  randomStrategy,
  seededRandom,
  type Strategy,
  type Trial,
} from './tuning-strategies.js';

const RangeSchema = z.looseObject({ Name: z.string(), MinValue: z.string(), MaxValue: z.string(), ScalingType: z.string().optional() });

/** The part of CreateHyperParameterTuningJob the local executor reads. */
export const TuningArgumentsSchema = z.looseObject({
  HyperParameterTuningJobConfig: z.looseObject({
    Strategy: z.enum(['Bayesian', 'Random', 'Grid'], { error: 'Strategy must be Bayesian, Random or Grid locally (Hyperband needs SageMaker).' }),
    ResourceLimits: z.looseObject({
      MaxNumberOfTrainingJobs: z.number().int().positive().optional(),
      MaxParallelTrainingJobs: z.number().int().positive(),
    }),
    HyperParameterTuningJobObjective: z.looseObject({ Type: z.enum(['Maximize', 'Minimize']), MetricName: z.string() }),
    ParameterRanges: z
      .looseObject({
        ContinuousParameterRanges: z.array(RangeSchema).optional(),
        IntegerParameterRanges: z.array(RangeSchema).optional(),
        CategoricalParameterRanges: z.array(z.looseObject({ Name: z.string(), Values: z.array(z.string()).min(1) })).optional(),
      })
      .optional(),
  }),
  TrainingJobDefinition: z.looseObject({ StaticHyperParameters: z.record(z.string(), z.string()).optional() }),
});

/** Summaries kept in `TrainingJobSummaries` (SageMaker's page size). */
const MAX_SUMMARIES = 50;

interface Finished {
  summary: JsonObject;
  /** The objective as reported (not sign-adjusted); `undefined` when the job failed or logged none. */
  value: number | undefined;
}

/**
 * A hyperparameter tuning job: training jobs over the parameter ranges, chosen by the Random,
 * Grid or Bayesian strategy, at most `MaxParallelTrainingJobs` at a time. Properties merge
 * DescribeHyperParameterTuningJob with ListTrainingJobsForHyperParameterTuningJob (best first).
 */
export async function runTuningJob(job: LocalJob): Promise<JobState> {
  const args = parseArguments(TuningArgumentsSchema, job);
  const config = args.HyperParameterTuningJobConfig;
  const { StaticHyperParameters: staticHps, ...definitionRaw } = job.request.arguments['TrainingJobDefinition'] as JsonObject;
  const definition = parseArguments(TrainingArgumentsSchema, job, definitionRaw);
  const name = job.request.jobName;
  const arn = resourceArn(job, 'hyper-parameter-tuning-job', name);
  const objective = config.HyperParameterTuningJobObjective;
  const sign = objective.Type === 'Maximize' ? 1 : -1;
  const dims = dimensionsFromRanges(config.ParameterRanges ?? {});
  const strategy = chooseStrategy(config.Strategy, dims, job.seed);
  const maxJobs = config.ResourceLimits.MaxNumberOfTrainingJobs ?? maxJobsDefault(config.Strategy, dims.length);
  const started = epochSeconds(job);

  const trials: Trial[] = [];
  const finished: Finished[] = [];
  const running = new Set<Promise<void>>();
  for (let index = 0; index < maxJobs && !job.signal.aborted; index++) {
    const point = strategy(trials);
    if (!point) break;
    const trial: Trial = { point, objective: undefined };
    trials.push(trial);
    const tuned = decodePoint(dims, point);
    const trainingName = trainingJobName(name, index);
    const run = runTraining(job, {
      name: trainingName,
      args: { ...definition, HyperParameters: { ...(staticHps as Record<string, string> | undefined), ...tuned } },
      raw: { ...definitionRaw, HyperParameters: { ...(staticHps as JsonObject | undefined), ...tuned } },
      root: join(job.root, 'training-jobs', trainingName),
      extra: { TuningJobArn: arn },
    }).then((state) => {
      const done = summarize(job, state, trainingName, name, tuned, objective);
      trial.objective = done.value === undefined ? Number.NEGATIVE_INFINITY : sign * done.value;
      finished.push(done);
    });
    const tracked = run.finally(() => running.delete(tracked));
    running.add(tracked);
    if (running.size >= config.ResourceLimits.MaxParallelTrainingJobs) await Promise.race(running);
  }
  await Promise.all(running);
  // Failed jobs count as -Infinity above only so the strategies skip them; drop them before ranking.
  const ranked = finished
    .filter((f) => f.value !== undefined)
    .sort((a, b) => sign * ((b.value ?? 0) - (a.value ?? 0)));
  const failedJobs = finished.filter((f) => f.value === undefined);
  const summaries = [...ranked, ...failedJobs].slice(0, MAX_SUMMARIES).map((f) => f.summary);
  const status = job.signal.aborted ? 'Stopped' : ranked.length > 0 ? 'Completed' : 'Failed';
  const properties: JsonObject = {
    ...job.request.arguments,
    HyperParameterTuningJobName: name,
    HyperParameterTuningJobArn: arn,
    HyperParameterTuningJobStatus: status,
    CreationTime: started,
    HyperParameterTuningEndTime: epochSeconds(job),
    LastModifiedTime: epochSeconds(job),
    TrainingJobStatusCounters: {
      Completed: finished.filter((f) => f.summary['TrainingJobStatus'] === 'Completed').length,
      InProgress: 0,
      RetryableError: 0,
      NonRetryableError: finished.filter((f) => f.summary['TrainingJobStatus'] === 'Failed').length,
      Stopped: finished.filter((f) => f.summary['TrainingJobStatus'] === 'Stopped').length,
    },
    ObjectiveStatusCounters: { Succeeded: ranked.length, Pending: 0, Failed: failedJobs.length },
    ...(ranked[0] ? { BestTrainingJob: ranked[0].summary } : {}),
    TrainingJobSummaries: summaries,
  };
  if (status === 'Completed') return { state: 'succeeded', properties };
  if (status === 'Stopped') return { state: 'stopped', properties };
  const reason = `All ${finished.length} training jobs failed or reported no "${objective.MetricName}" metric.`;
  const error = new StepFailedError(job.ctx.stepName, job.ctx.attempt, reason, {
    fix: `check the training jobs' logs under ${join(job.root, 'training-jobs')} and that a MetricDefinitions regex named "${objective.MetricName}" matches their output.`,
  });
  return withProperties(failedState(error), { ...properties, FailureReason: reason });
}

function chooseStrategy(name: 'Bayesian' | 'Random' | 'Grid', dims: ReturnType<typeof dimensionsFromRanges>, seed: number): Strategy {
  if (name === 'Grid') return gridStrategy(dims);
  const random = seededRandom(seed);
  return name === 'Random' ? randomStrategy(dims, random) : bayesianStrategy(dims, random);
}

function maxJobsDefault(strategy: string, dimensions: number): number {
  if (strategy === 'Grid') return Number.MAX_SAFE_INTEGER; // the grid's size bounds it
  throw new OrchestratorError(ErrorCode.DefinitionInvalid, `ResourceLimits.MaxNumberOfTrainingJobs is required for the ${strategy} strategy (${dimensions} parameters).`, {
    fix: 'set HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs.',
  });
}

/** SageMaker's child job names: `<tuning-job>-<3-digit index>-<8 hex>`. */
export function trainingJobName(tuningJobName: string, index: number): string {
  const suffix = createHash('sha256').update(`${tuningJobName}/${index}`).digest('hex').slice(0, 8);
  return `${tuningJobName}-${String(index + 1).padStart(3, '0')}-${suffix}`;
}

/** A ListTrainingJobsForHyperParameterTuningJob `TrainingJobSummary` for a finished training job. */
function summarize(
  job: LocalJob,
  state: JobState,
  trainingName: string,
  tuningName: string,
  tuned: Record<string, string>,
  objective: { Type: string; MetricName: string },
): Finished {
  const described = state.state === 'running' ? {} : (state.properties ?? {});
  const metrics = (described['FinalMetricDataList'] ?? []) as { MetricName?: string; Value?: number }[];
  const value = state.state === 'succeeded' ? metrics.find((m) => m.MetricName === objective.MetricName)?.Value : undefined;
  const pick = (...keys: string[]) => Object.fromEntries(keys.filter((k) => described[k] !== undefined).map((k) => [k, described[k] as JsonObject[string]]));
  const summary: JsonObject = {
    TrainingJobName: trainingName,
    TrainingJobArn: resourceArn(job, 'training-job', trainingName),
    TuningJobName: tuningName,
    ...pick('CreationTime', 'TrainingStartTime', 'TrainingEndTime', 'FailureReason'),
    TrainingJobStatus: state.state === 'succeeded' ? 'Completed' : state.state === 'stopped' ? 'Stopped' : 'Failed',
    TunedHyperParameters: tuned,
    ObjectiveStatus: value === undefined ? 'Failed' : 'Succeeded',
    ...(value !== undefined
      ? { FinalHyperParameterTuningJobObjectiveMetric: { Type: objective.Type, MetricName: objective.MetricName, Value: value } }
      : {}),
  };
  return { summary, value };
}
