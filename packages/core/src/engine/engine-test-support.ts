import { pino } from 'pino';
import type { ArtifactStore } from '../artifacts.js';
import type { Clock } from '../clock.js';
import type { StepType } from '../definition/steps.js';
import type { ExecutionContext, ExecutionHandle, JobState, StepExecutor, StepRequest } from '../executor.js';
import type { JsonObject } from '../json.js';
import type { StepDispatcher, StepRef, StepWork } from './types.js';

/**
 * Test doubles for engine tests: a scriptable executor, a manual clock and step builders.
 * @internal
 */

/** What the fake executor does for one attempt. */
export type Behavior = (request: StepRequest, ctx: ExecutionContext) => JobState | Promise<JobState>;

/** A silent logger for tests. @internal */
export const silentLogger = pino({ level: 'silent' });

/** A clock tests move by hand. @internal */
export class ManualClock implements Clock {
  constructor(public time = 1_700_000_000_000) {}
  now(): number {
    return this.time;
  }
}

/** An artifact store over an in-memory map. @internal */
export function memoryArtifacts(files: Record<string, string> = {}): ArtifactStore {
  return {
    id: 'memory',
    readText: async (uri) => {
      const text = files[uri];
      if (text === undefined) throw new Error(`no object at ${uri}`);
      return text;
    },
    digest: async () => undefined,
  };
}

/** Job-like types the fake executor claims. */
const FAKE_TYPES: StepType[] = ['Processing', 'Training', 'Tuning', 'Transform', 'Model', 'RegisterModel', 'Lambda', 'EMR'];

/** A scriptable executor: records every start, runs `behaviors[stepName]` (default: succeed). @internal */
export class FakeExecutor implements StepExecutor {
  readonly id = 'fake';
  readonly stepTypes = FAKE_TYPES;
  readonly starts: { stepName: string; attempt: number; jobName: string; arguments: JsonObject }[] = [];
  private readonly requests = new Map<string, StepRequest>();
  running = 0;
  maxRunning = 0;
  constructor(public behaviors: Record<string, Behavior> = {}) {}

  async start(request: StepRequest, ctx: ExecutionContext): Promise<ExecutionHandle> {
    this.starts.push({ stepName: ctx.stepName, attempt: ctx.attempt, jobName: request.jobName, arguments: request.arguments });
    this.requests.set(request.jobName, request);
    return { jobName: request.jobName };
  }
  async poll(_handle: ExecutionHandle, _ctx?: ExecutionContext): Promise<JobState> {
    return { state: 'running' };
  }
  async stop(): Promise<void> {}
  async wait(handle: ExecutionHandle, ctx: ExecutionContext): Promise<JobState> {
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      const behavior = this.behaviors[ctx.stepName];
      if (behavior) return await behavior(this.requests.get(String(handle['jobName']))!, ctx);
      return succeeded(ctx.stepType, String(handle['jobName']));
    } finally {
      this.running--;
    }
  }
  startsOf(stepName: string): number {
    return this.starts.filter((s) => s.stepName === stepName).length;
  }
}

/** Describe*-like properties of a succeeded fake job. @internal */
export function succeeded(stepType: StepType, jobName: string, extra: JsonObject = {}): JobState {
  const arnKey = stepType === 'Training' ? 'TrainingJobArn' : 'ProcessingJobArn';
  const nameKey = stepType === 'Training' ? 'TrainingJobName' : 'ProcessingJobName';
  return { state: 'succeeded', properties: { [nameKey]: jobName, [arnKey]: `arn:aws:sagemaker:local:0:job/${jobName.toLowerCase()}`, ...extra } };
}

/** A promise and its resolver, for gating fake jobs. @internal */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** A minimal valid Processing step. @internal */
export function processing(name: string, extra: Record<string, unknown> = {}, args: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Name: name,
    Type: 'Processing',
    Arguments: {
      ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 1 } },
      AppSpecification: { ImageUri: 'img:1' },
      RoleArn: 'arn:role',
      ...args,
    },
    ...extra,
  };
}

/** A definition around `steps`. @internal */
export function definition(steps: unknown[], parameters: unknown[] = []): Record<string, unknown> {
  return { Version: '2020-12-01', Parameters: parameters, Steps: steps };
}

/** A dispatcher that only records what it was asked to do; tests report results by hand. */
export class RecordingDispatcher implements StepDispatcher {
  readonly dispatched: StepWork[] = [];
  readonly stopped: StepRef[] = [];
  dispatch(work: StepWork): void {
    this.dispatched.push(work);
  }
  stop(ref: StepRef): void {
    this.stopped.push(ref);
  }
}
