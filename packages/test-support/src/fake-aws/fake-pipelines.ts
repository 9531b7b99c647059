import { randomBytes, randomUUID } from 'node:crypto';
import { FakeAwsError, paginate, type Json, type JsonBody } from './wire.js';

interface FakePipeline {
  name: string;
  arn: string;
  versions: JsonBody[];
  creationTime: number;
}

interface FakeStep {
  StepName: string;
  StepStatus: 'Executing' | 'Succeeded' | 'Stopped' | 'Failed';
  FailureReason?: string;
  StartTime: number;
  EndTime?: number;
  AttemptCount: number;
  Metadata: JsonBody;
}

/** A pipeline execution the fake "runs": every DescribePipelineExecution call moves it one step on. */
export interface FakePipelineExecution {
  arn: string;
  pipelineName: string;
  status: 'Executing' | 'Stopping' | 'Stopped' | 'Succeeded' | 'Failed';
  failureReason?: string;
  /** Step names in the order they will run. */
  plan: string[];
  /** Steps that fail, with their failure reasons. */
  failures: Map<string, string>;
  steps: FakeStep[];
  parameters: JsonBody[];
  creationTime: number;
}

/**
 * SageMaker Pipelines' control plane, in memory: CreatePipeline, UpdatePipeline (new versions),
 * DescribePipeline, StartPipelineExecution (idempotent on `ClientRequestToken`),
 * DescribePipelineExecution, ListPipelineExecutionSteps (newest first, paginated) and
 * StopPipelineExecution. An execution runs its definition's steps in order, one state change per
 * DescribePipelineExecution call; every step succeeds unless {@link FakePipelines.failStep} says otherwise.
 */
export class FakePipelines {
  private readonly pipelines = new Map<string, FakePipeline>();
  private readonly executions = new Map<string, FakePipelineExecution>();
  private readonly tokens = new Map<string, string>();
  private readonly failures = new Map<string, string>();

  constructor(private readonly arnPrefix: string) {}

  /** Executions started so far. */
  listExecutions(): FakePipelineExecution[] {
    return [...this.executions.values()];
  }

  /** The stored pipeline versions (1-based index + 1), or undefined. */
  versions(name: string): JsonBody[] | undefined {
    return this.pipelines.get(name)?.versions;
  }

  /** Makes the step of this name fail (with `reason`) in every execution; the execution then fails. */
  failStep(stepName: string, reason: string): void {
    this.failures.set(stepName, reason);
  }

  /** Runs one pipeline operation. */
  invoke(operation: string, input: JsonBody): JsonBody {
    switch (operation) {
      case 'CreatePipeline':
        return this.create(input);
      case 'UpdatePipeline':
        return this.update(input);
      case 'DescribePipeline':
        return this.describe(input);
      case 'StartPipelineExecution':
        return this.start(input);
      case 'DescribePipelineExecution':
        return this.describeExecution(this.execution(input));
      case 'ListPipelineExecutionSteps': {
        const steps = [...this.execution(input).steps].reverse() as unknown as JsonBody[];
        return paginate(steps, input, 'PipelineExecutionSteps');
      }
      case 'StopPipelineExecution':
        return this.stop(this.execution(input));
      default:
        throw new FakeAwsError('UnknownOperationException', `The fake does not implement ${operation}.`);
    }
  }

  private pipeline(nameOrArn: Json): FakePipeline {
    const name = String(nameOrArn).replace(/^.*:pipeline\//, '');
    const pipeline = this.pipelines.get(name);
    if (!pipeline) throw new FakeAwsError('ResourceNotFound', `Pipeline '${name}' does not exist.`);
    return pipeline;
  }

  private create(input: JsonBody): JsonBody {
    const name = String(input['PipelineName']);
    if (this.pipelines.has(name)) {
      throw new FakeAwsError('ValidationException', `Pipeline names must be unique within an AWS account and region. Pipeline with name (${name}) already exists.`);
    }
    checkDefinition(input);
    const arn = `${this.arnPrefix}:pipeline/${name.toLowerCase()}`;
    this.pipelines.set(name, { name, arn, versions: [input], creationTime: Date.now() / 1000 });
    return { PipelineArn: arn };
  }

  private update(input: JsonBody): JsonBody {
    const pipeline = this.pipeline(input['PipelineName'] ?? '');
    checkDefinition(input);
    pipeline.versions.push({ ...pipeline.versions.at(-1), ...input });
    return { PipelineArn: pipeline.arn, PipelineVersionId: pipeline.versions.length };
  }

  private describe(input: JsonBody): JsonBody {
    const pipeline = this.pipeline(input['PipelineName'] ?? '');
    const latest = pipeline.versions.at(-1) ?? {};
    return {
      PipelineArn: pipeline.arn,
      PipelineName: pipeline.name,
      PipelineDefinition: latest['PipelineDefinition'] ?? '',
      RoleArn: latest['RoleArn'] ?? '',
      ...(latest['PipelineDescription'] !== undefined ? { PipelineDescription: latest['PipelineDescription'] } : {}),
      PipelineStatus: 'Active',
      CreationTime: pipeline.creationTime,
      LastModifiedTime: pipeline.creationTime,
    };
  }

  private start(input: JsonBody): JsonBody {
    const token = String(input['ClientRequestToken'] ?? randomUUID());
    const earlier = this.tokens.get(token);
    if (earlier) return { PipelineExecutionArn: earlier };
    const pipeline = this.pipeline(input['PipelineName'] ?? '');
    const definition = JSON.parse(String(pipeline.versions.at(-1)?.['PipelineDefinition'] ?? '{}')) as JsonBody;
    const id = randomBytes(8).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, 'x').slice(0, 12).padEnd(12, '0');
    const arn = `${pipeline.arn}/execution/${id}`;
    this.executions.set(arn, {
      arn,
      failures: new Map(this.failures),
      pipelineName: pipeline.name,
      status: 'Executing',
      plan: stepNames(definition['Steps']),
      steps: [],
      parameters: (input['PipelineParameters'] ?? []) as JsonBody[],
      creationTime: Date.now() / 1000,
    });
    this.tokens.set(token, arn);
    return { PipelineExecutionArn: arn };
  }

  private execution(input: JsonBody): FakePipelineExecution {
    const execution = this.executions.get(String(input['PipelineExecutionArn']));
    if (!execution) throw new FakeAwsError('ResourceNotFound', `Pipeline execution ${String(input['PipelineExecutionArn'])} does not exist.`);
    return execution;
  }

  private describeExecution(execution: FakePipelineExecution): JsonBody {
    advance(execution);
    return {
      PipelineArn: execution.arn.replace(/\/execution\/.*$/, ''),
      PipelineExecutionArn: execution.arn,
      PipelineExecutionStatus: execution.status,
      ...(execution.failureReason !== undefined ? { FailureReason: execution.failureReason } : {}),
      CreationTime: execution.creationTime,
      LastModifiedTime: Date.now() / 1000,
    };
  }

  private stop(execution: FakePipelineExecution): JsonBody {
    if (execution.status !== 'Executing') {
      throw new FakeAwsError('ConflictException', `Pipeline execution ${execution.arn} is ${execution.status}.`);
    }
    execution.status = 'Stopping';
    return { PipelineExecutionArn: execution.arn };
  }
}

function checkDefinition(input: JsonBody): void {
  try {
    JSON.parse(String(input['PipelineDefinition'] ?? ''));
  } catch {
    throw new FakeAwsError('ValidationException', 'PipelineDefinition is not valid JSON.');
  }
}

/** Step names in definition order, with the If branch of Condition steps after the condition. */
function stepNames(steps: Json | undefined): string[] {
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((step) => {
    if (!step || typeof step !== 'object' || Array.isArray(step)) return [];
    const args = step['Arguments'];
    const ifSteps = args && typeof args === 'object' && !Array.isArray(args) ? args['IfSteps'] : undefined;
    return [String(step['StepName'] ?? step['Name']), ...stepNames(ifSteps)];
  });
}

/** One state change: finish the running step, or start the next, or finish the execution. */
function advance(execution: FakePipelineExecution): void {
  const now = Date.now() / 1000;
  const running = execution.steps.find((step) => step.StepStatus === 'Executing');
  if (execution.status === 'Stopping') {
    if (running) Object.assign(running, { StepStatus: 'Stopped', EndTime: now });
    execution.status = 'Stopped';
    return;
  }
  if (execution.status !== 'Executing') return;
  if (running) {
    const reason = execution.failures.get(running.StepName);
    Object.assign(running, { StepStatus: reason === undefined ? 'Succeeded' : 'Failed', EndTime: now, ...(reason !== undefined ? { FailureReason: reason } : {}) });
    if (reason !== undefined) Object.assign(execution, { status: 'Failed', failureReason: 'Step failure: One or multiple steps failed.' });
    return;
  }
  const next = execution.plan[execution.steps.length];
  if (next === undefined) {
    execution.status = 'Succeeded';
    return;
  }
  execution.steps.push({ StepName: next, StepStatus: 'Executing', StartTime: now + execution.steps.length * 1e-3, AttemptCount: 1, Metadata: {} });
}
