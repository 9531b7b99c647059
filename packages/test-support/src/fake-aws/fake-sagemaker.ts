import { gzipSync } from 'node:zlib';
import { FakeAwsError, paginate, statusForCode, type JsonBody } from './wire.js';
import { FakePipelines } from './fake-pipelines.js';
import type { FakeS3 } from './fake-s3.js';

/** The job families the fake runs: `Create<type>`, `Describe<type>`, `Stop<type>`. */
export type FakeJobType = 'ProcessingJob' | 'TrainingJob' | 'HyperParameterTuningJob' | 'TransformJob' | 'AutoMLJob';

const JOB_ARN_TYPE: Record<FakeJobType, string> = {
  ProcessingJob: 'processing-job',
  TrainingJob: 'training-job',
  HyperParameterTuningJob: 'hyper-parameter-tuning-job',
  TransformJob: 'transform-job',
  AutoMLJob: 'automl-job',
};

/** A job the fake holds. `status` moves on Describe calls. */
export interface FakeJob {
  type: FakeJobType;
  name: string;
  arn: string;
  request: JsonBody;
  status: 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
  /** Describe calls seen while in progress. */
  polls: number;
  /** Set at creation when a failure was planned with `failNextJob`. */
  plannedFailure?: string;
  failureReason?: string;
  /** Extra Describe members produced on completion (e.g. `ModelArtifacts`). */
  outputs: JsonBody;
  /** Operations called on it, e.g. `StopTrainingJob`. */
  stopCalls: number;
  creationTime: number;
  endTime?: number;
}

/** Options of {@link FakeSageMaker}. */
export interface FakeSageMakerOptions {
  /** Describe calls a job stays InProgress before it finishes. @defaultValue 2 */
  pollsToComplete?: number;
  /** Called when a job completes; may write outputs to S3 and return extra Describe members. */
  onJobCompleted?: (job: FakeJob, s3: FakeS3) => JsonBody | void;
  /** ARN region and account. @defaultValue 'us-east-1', '000000000000' */
  region?: string;
  account?: string;
}

/** One recorded call. */
export interface FakeCall {
  operation: string;
  input: JsonBody;
}

/** What the server should do with a call's outcome. */
export type FakeOutcome = { body: JsonBody } | { error: FakeAwsError } | { drop: true };

interface Fault {
  remaining: number;
  make: () => FakeAwsError | 'drop';
}

/**
 * The SageMaker control plane, in memory: jobs progress through their statuses on Describe calls,
 * models and the Model Registry, and pipelines (see {@link FakePipelines}). Faults can be injected
 * per operation: throttling, arbitrary errors, and lost responses.
 */
export class FakeSageMaker {
  readonly calls: FakeCall[] = [];
  readonly pipelines: FakePipelines;
  private readonly jobs = new Map<string, FakeJob>();
  private readonly models = new Map<string, JsonBody>();
  private readonly groups = new Map<string, JsonBody>();
  private readonly packages = new Map<string, JsonBody>();
  private readonly packageTokens = new Map<string, string>();
  private readonly faults = new Map<string, Fault[]>();
  private readonly plannedFailures = new Map<FakeJobType, string[]>();
  private readonly heldTypes = new Set<FakeJobType>();
  private readonly pollsToComplete: number;
  readonly arnPrefix: string;

  constructor(
    private readonly s3: FakeS3,
    private readonly options: FakeSageMakerOptions = {},
  ) {
    this.pollsToComplete = options.pollsToComplete ?? 2;
    this.arnPrefix = `arn:aws:sagemaker:${options.region ?? 'us-east-1'}:${options.account ?? '000000000000'}`;
    this.pipelines = new FakePipelines(this.arnPrefix);
  }

  /** The next `times` calls of `operation` fail with ThrottlingException. */
  throttle(operation: string, times: number): void {
    this.failCalls(operation, 'ThrottlingException', times, 'Rate exceeded');
  }

  /** The next `times` calls of `operation` fail with the given error code (HTTP status as AWS uses). */
  failCalls(operation: string, code: string, times = 1, message = `Injected ${code}`): void {
    this.addFault(operation, times, () => new FakeAwsError(code, message, statusForCode(code)));
  }

  /** The next `times` calls of `operation` are performed, but their responses are lost (the connection drops). */
  dropResponses(operation: string, times = 1): void {
    this.addFault(operation, times, () => 'drop');
  }

  /** The next job of `type` created fails with `failureReason` when it finishes. */
  failNextJob(type: FakeJobType, failureReason: string): void {
    const queue = this.plannedFailures.get(type) ?? [];
    queue.push(failureReason);
    this.plannedFailures.set(type, queue);
  }

  /** Jobs of `type` stay InProgress (they can still be stopped) until released with `hold = false`. */
  holdJobs(type: FakeJobType, hold = true): void {
    if (hold) this.heldTypes.add(type);
    else this.heldTypes.delete(type);
  }

  /** Jobs created so far, optionally of one type, in creation order. */
  listJobs(type?: FakeJobType): FakeJob[] {
    return [...this.jobs.values()].filter((job) => !type || job.type === type);
  }

  /** How many times `operation` was called. */
  callCount(operation: string): number {
    return this.calls.filter((call) => call.operation === operation).length;
  }

  /** Model packages registered so far. */
  listModelPackages(): JsonBody[] {
    return [...this.packages.values()];
  }

  private addFault(operation: string, times: number, make: Fault['make']): void {
    const list = this.faults.get(operation) ?? [];
    list.push({ remaining: times, make });
    this.faults.set(operation, list);
  }

  private nextFault(operation: string): FakeAwsError | 'drop' | undefined {
    const fault = this.faults.get(operation)?.find((f) => f.remaining > 0);
    if (!fault) return undefined;
    fault.remaining -= 1;
    return fault.make();
  }

  /** Runs one operation, applying injected faults. */
  invoke(operation: string, input: JsonBody): FakeOutcome {
    this.calls.push({ operation, input });
    const fault = this.nextFault(operation);
    if (fault instanceof FakeAwsError) return { error: fault };
    try {
      const body = this.perform(operation, input);
      return fault === 'drop' ? { drop: true } : { body };
    } catch (err) {
      if (err instanceof FakeAwsError) return { error: err };
      throw err;
    }
  }

  private perform(operation: string, input: JsonBody): JsonBody {
    const job = /^(Create|Describe|Stop)(ProcessingJob|TrainingJob|HyperParameterTuningJob|TransformJob|AutoMLJob)$/.exec(operation);
    if (job) {
      const type = job[2] as FakeJobType;
      const name = String(input[`${type}Name`] ?? '');
      if (job[1] === 'Create') return this.createJob(type, name, input);
      if (job[1] === 'Describe') return this.describeJob(this.job(type, name));
      return this.stopJob(this.job(type, name));
    }
    switch (operation) {
      case 'ListTrainingJobsForHyperParameterTuningJob':
        return this.listTuningTrainingJobs(input);
      case 'CreateModel':
        return this.createModel(input);
      case 'DescribeModel':
        return this.found(this.models.get(String(input['ModelName'])), `Could not find model "${String(input['ModelName'])}".`);
      case 'CreateModelPackageGroup':
        return this.createGroup(input);
      case 'DescribeModelPackageGroup': {
        const name = String(input['ModelPackageGroupName']);
        return this.found(this.groups.get(name), `ModelPackageGroup ${name} does not exist.`);
      }
      case 'CreateModelPackage':
        return this.createModelPackage(input);
      case 'DescribeModelPackage':
        return this.describeModelPackage(String(input['ModelPackageName']));
      case 'UpdateModelPackage':
        return this.updateModelPackage(input);
      default:
        return this.pipelines.invoke(operation, input);
    }
  }

  private found(value: JsonBody | undefined, message: string): JsonBody {
    if (!value) throw new FakeAwsError('ValidationException', message);
    return value;
  }

  private now(): number {
    return Date.now() / 1000;
  }

  private createJob(type: FakeJobType, name: string, input: JsonBody): JsonBody {
    const key = `${type}/${name}`;
    if (this.jobs.has(key)) {
      throw new FakeAwsError('ResourceInUse', `${type} with name ${name} already exists. Choose a different name.`);
    }
    const arn = `${this.arnPrefix}:${JOB_ARN_TYPE[type]}/${name.toLowerCase()}`;
    const plannedFailure = this.plannedFailures.get(type)?.shift();
    const job: FakeJob = {
      type,
      name,
      arn,
      request: input,
      status: 'InProgress',
      polls: 0,
      outputs: {},
      stopCalls: 0,
      creationTime: this.now(),
      ...(plannedFailure !== undefined ? { plannedFailure } : {}),
    };
    this.jobs.set(key, job);
    return { [`${type}Arn`]: arn };
  }

  private job(type: FakeJobType, name: string): FakeJob {
    const job = this.jobs.get(`${type}/${name}`);
    if (!job) throw new FakeAwsError('ValidationException', `Requested resource not found: ${type} ${name}.`);
    return job;
  }

  private describeJob(job: FakeJob): JsonBody {
    this.advance(job);
    const { type } = job;
    return {
      ...job.request,
      [`${type}Name`]: job.name,
      [`${type}Arn`]: job.arn,
      [`${type}Status`]: job.status,
      ...(type === 'TrainingJob' ? { SecondaryStatus: job.status === 'InProgress' ? 'Training' : job.status } : {}),
      ...(job.failureReason !== undefined ? { FailureReason: job.failureReason } : {}),
      CreationTime: job.creationTime,
      LastModifiedTime: job.endTime ?? job.creationTime,
      ...(job.endTime !== undefined ? { [endTimeKey(type)]: job.endTime } : {}),
      ...job.outputs,
    };
  }

  private advance(job: FakeJob): void {
    if (job.status === 'Stopping') {
      job.status = 'Stopped';
      job.endTime = this.now();
      return;
    }
    if (job.status !== 'InProgress' || this.heldTypes.has(job.type)) return;
    job.polls += 1;
    if (job.polls < this.pollsToComplete) return;
    job.endTime = this.now();
    if (job.plannedFailure !== undefined) {
      job.status = 'Failed';
      job.failureReason = job.plannedFailure;
      return;
    }
    job.status = 'Completed';
    job.outputs = { ...this.builtInOutputs(job), ...(this.options.onJobCompleted?.(job, this.s3) ?? {}) };
  }

  /** What SageMaker itself produces: model.tar.gz at the standard path, transform outputs, tuning results. */
  private builtInOutputs(job: FakeJob): JsonBody {
    const request = job.request;
    if (job.type === 'TrainingJob') {
      const outputPath = String((request['OutputDataConfig'] as JsonBody | undefined)?.['S3OutputPath'] ?? '').replace(/\/$/, '');
      const artifact = `${outputPath}/${job.name}/output/model.tar.gz`;
      this.s3.putObject(artifact, gzipSync(`fake model of ${job.name}`));
      return { ModelArtifacts: { S3ModelArtifacts: artifact }, TrainingStartTime: job.creationTime, TrainingEndTime: job.endTime ?? 0 };
    }
    if (job.type === 'TransformJob') {
      const output = String((request['TransformOutput'] as JsonBody | undefined)?.['S3OutputPath'] ?? '').replace(/\/$/, '');
      const source = (((request['TransformInput'] as JsonBody | undefined)?.['DataSource'] as JsonBody | undefined)?.[
        'S3DataSource'
      ] ?? {}) as JsonBody;
      const input = String(source['S3Uri'] ?? 'input');
      this.s3.putObject(`${output}/${input.split('/').filter(Boolean).at(-1) ?? 'input'}.out`, 'fake transform output\n');
      return {};
    }
    if (job.type === 'AutoMLJob') {
      const output = String((request['OutputDataConfig'] as JsonBody | undefined)?.['S3OutputPath'] ?? '').replace(/\/$/, '');
      return {
        BestCandidate: {
          CandidateName: `${job.name}-best`,
          CandidateStatus: 'Completed',
          CandidateProperties: {
            CandidateArtifactLocations: { Explainability: `${output}/${job.name}/explainability`, ModelInsights: `${output}/${job.name}/insights` },
          },
        },
      };
    }
    if (job.type === 'HyperParameterTuningJob') {
      const summaries = this.tuningSummaries(job);
      const best = summaries[summaries.length - 1] ?? {};
      return {
        BestTrainingJob: best,
        TrainingJobStatusCounters: { Completed: summaries.length, InProgress: 0, RetryableError: 0, NonRetryableError: 0, Stopped: 0 },
      };
    }
    return {};
  }

  /** Two training jobs per tuning job; the second has the lower objective value. */
  private tuningSummaries(job: FakeJob): JsonBody[] {
    const config = (job.request['HyperParameterTuningJobConfig'] ?? {}) as JsonBody;
    const objective = (config['HyperParameterTuningJobObjective'] ?? {}) as JsonBody;
    const metricName = String(objective['MetricName'] ?? 'objective');
    return [0.3, 0.1].map((value, i) => {
      const name = `${job.name.slice(0, 20)}-${String(i + 1).padStart(3, '0')}-fake`;
      return {
        TrainingJobName: name,
        TrainingJobArn: `${this.arnPrefix}:training-job/${name.toLowerCase()}`,
        TuningJobName: job.name,
        CreationTime: job.creationTime,
        TrainingJobStatus: 'Completed',
        TunedHyperParameters: { eta: String(value) },
        FinalHyperParameterTuningJobObjectiveMetric: { MetricName: metricName, Value: value },
        ObjectiveStatus: 'Succeeded',
      };
    });
  }

  private listTuningTrainingJobs(input: JsonBody): JsonBody {
    const job = this.job('HyperParameterTuningJob', String(input['HyperParameterTuningJobName']));
    const all = job.status === 'Completed' ? this.tuningSummaries(job) : [];
    return paginate(all, input, 'TrainingJobSummaries');
  }

  private stopJob(job: FakeJob): JsonBody {
    job.stopCalls += 1;
    if (job.status !== 'InProgress') {
      throw new FakeAwsError('ValidationException', `The job ${job.name} is ${job.status} and cannot be stopped.`);
    }
    job.status = 'Stopping';
    return {};
  }

  private createModel(input: JsonBody): JsonBody {
    const name = String(input['ModelName']);
    if (this.models.has(name)) throw new FakeAwsError('ValidationException', `Cannot create already existing model "${name}".`);
    const arn = `${this.arnPrefix}:model/${name.toLowerCase()}`;
    this.models.set(name, { ...input, ModelArn: arn, CreationTime: this.now() });
    return { ModelArn: arn };
  }

  private createGroup(input: JsonBody): JsonBody {
    const name = String(input['ModelPackageGroupName']);
    if (this.groups.has(name)) throw new FakeAwsError('ValidationException', `Model Package Group already exists: ${name}`);
    const arn = `${this.arnPrefix}:model-package-group/${name.toLowerCase()}`;
    this.groups.set(name, {
      ModelPackageGroupName: name,
      ModelPackageGroupArn: arn,
      CreationTime: this.now(),
      ModelPackageGroupStatus: 'Completed',
    });
    return { ModelPackageGroupArn: arn };
  }

  private createModelPackage(input: JsonBody): JsonBody {
    const token = typeof input['ClientToken'] === 'string' ? input['ClientToken'] : undefined;
    const earlier = token ? this.packageTokens.get(token) : undefined;
    if (earlier) return { ModelPackageArn: earlier };
    const group = String(input['ModelPackageGroupName'] ?? '');
    if (!this.groups.has(group)) throw new FakeAwsError('ValidationException', `Model Package Group ${group} does not exist.`);
    const version = [...this.packages.values()].filter((p) => p['ModelPackageGroupName'] === group).length + 1;
    const arn = `${this.arnPrefix}:model-package/${group.toLowerCase()}/${version}`;
    const { ClientToken: _token, ...request } = input;
    this.packages.set(arn, {
      ...request,
      ModelPackageName: group,
      ModelPackageGroupName: group,
      ModelPackageVersion: version,
      ModelPackageArn: arn,
      ModelApprovalStatus: request['ModelApprovalStatus'] ?? 'PendingManualApproval',
      ModelPackageStatus: 'InProgress',
      ModelPackageStatusDetails: { ValidationStatuses: [], ImageScanStatuses: [] },
      CreationTime: this.now(),
    });
    if (token) this.packageTokens.set(token, arn);
    return { ModelPackageArn: arn };
  }

  private updateModelPackage(input: JsonBody): JsonBody {
    const arn = String(input['ModelPackageArn']);
    const record = this.found(this.packages.get(arn), `Model package ${arn} does not exist.`);
    for (const key of ['ModelApprovalStatus', 'ApprovalDescription', 'CustomerMetadataProperties'] as const) {
      if (input[key] !== undefined) record[key] = input[key];
    }
    record['LastModifiedTime'] = this.now();
    return { ModelPackageArn: arn };
  }

  /** Sets a version's approval as SageMaker Studio or another API client would. */
  setModelApproval(arn: string, status: string, reason?: string): void {
    this.updateModelPackage({ ModelPackageArn: arn, ModelApprovalStatus: status, ...(reason !== undefined ? { ApprovalDescription: reason } : {}) });
  }

  private describeModelPackage(ref: string): JsonBody {
    const found = this.packages.get(ref) ?? [...this.packages.values()].find((p) => `${String(p['ModelPackageGroupName'])}/${String(p['ModelPackageVersion'])}` === ref);
    const record = this.found(found, `Model package ${ref} does not exist.`);
    // Registration completes on the first look, like SageMaker's quick validation.
    const description = { ...record };
    record['ModelPackageStatus'] = 'Completed';
    return description;
  }
}

function endTimeKey(type: FakeJobType): string {
  switch (type) {
    case 'ProcessingJob':
      return 'ProcessingEndTime';
    case 'TrainingJob':
      return 'TrainingEndTime';
    case 'HyperParameterTuningJob':
      return 'HyperParameterTuningEndTime';
    case 'TransformJob':
      return 'TransformEndTime';
    case 'AutoMLJob':
      return 'EndTime';
  }
}
