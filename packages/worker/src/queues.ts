import { z } from 'zod';
import { ErrorCode, OrchestratorError, compileSchema, type JobState, type JsonObject, type Step, type StepWork } from '@cairn/core';

/**
 * The distributed runtime's queues and their payloads. Redis only carries work: every payload
 * can be rebuilt from PostgreSQL, and each is parsed with its schema when it arrives.
 *
 * - `steps`: one job per step attempt (`StepWork`), id `<executionId>__<step>__<attempt>`, so a
 *   duplicate enqueue is a no-op; long backend jobs re-delay the same job between polls.
 * - `control`: client requests to the scheduler (take over a submitted execution, retry one).
 *
 * Results are not a queue but a Redis stream, `<prefix>:cairn-results` (`resultStreamKey`): workers
 * `XADD` each reported state (`ResultJob` as JSON, field `result`); the scheduler reads it in batches
 * as consumer `scheduler` of group `scheduler` and acknowledges and deletes entries once their
 * consequences are committed. The coordinator rejects stale and duplicate results.
 */

/** Queue names (BullMQ's `prefix` option namespaces them per deployment or test). */
export const QueueName = { Steps: 'steps', Control: 'control' } as const;

/** The results stream of a deployment: `<prefix>:cairn-results`. */
export function resultStreamKey(prefix: string): string {
  return `${prefix}:cairn-results`;
}

/** Consumer group and consumer name of the scheduler on the results stream (one scheduler per prefix). */
export const RESULT_STREAM_GROUP = 'scheduler';

/** The default BullMQ key prefix. */
export const DEFAULT_QUEUE_PREFIX = 'cairn';

/**
 * A JSON object inside a payload. Payloads arrive as JSON text (BullMQ job data, stream entries)
 * and are parsed with `JSON.parse`, so their values are JSON by construction: only the shape
 * (an object) is checked, not every value again (which cost more than the rest of the payload).
 */
const JsonObjectSchema = z.record(z.string(), z.unknown()) as unknown as z.ZodType<JsonObject>;

/**
 * A step of a `steps` job: its identity only. The full step was checked against the definition
 * schema when the pipeline was submitted, and the scheduler copies it from that checked definition;
 * checking all of it again for every job cost more than the rest of the job.
 */
const JobStepSchema = z.looseObject({ Name: z.string().min(1), Type: z.string().min(1) }) as unknown as z.ZodType<Step>;

/** `SerializedError` as it crosses a queue. */
export const SerializedErrorSchema = z.object({
  code: z.enum(ErrorCode),
  message: z.string(),
  retryable: z.boolean(),
  exceptionType: z
    .enum(['Step.SERVICE_FAULT', 'Step.THROTTLING', 'SageMaker.JOB_INTERNAL_ERROR', 'SageMaker.CAPACITY_ERROR', 'SageMaker.RESOURCE_LIMIT', 'Emr.RESOURCE_LIMIT'])
    .optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

/** Payload of a `steps` job: one attempt to start or resume, plus the poll count of a long job. */
export const StepJobSchema = compileSchema(
  z.object({
  executionId: z.string().min(1),
  executionArn: z.string(),
  pipelineName: z.string(),
  stepName: z.string().min(1),
  stepType: z.string(),
  attempt: z.number().int().positive(),
  request: z.object({ step: JobStepSchema, arguments: JsonObjectSchema, stepFields: JsonObjectSchema.optional(), jobName: z.string() }),
  handle: JsonObjectSchema.optional(),
  /** Polls made so far (backoff of long-running backend jobs). */
  polls: z.number().int().nonnegative().optional(),
  /** Set by the scheduler on a job that was still waiting when its step was stopped. */
  stopRequested: z.boolean().optional(),
  }),
);
/** A parsed `steps` job payload. */
export type StepJob = StepWork & { polls?: number; stopRequested?: boolean };

/** `JobState` as it crosses the results stream. */
export const JobStateSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('running'), handle: JsonObjectSchema.optional() }),
  z.object({ state: z.literal('succeeded'), properties: JsonObjectSchema, metadata: JsonObjectSchema.optional() }),
  z.object({ state: z.literal('failed'), error: SerializedErrorSchema, properties: JsonObjectSchema.optional(), metadata: JsonObjectSchema.optional() }),
  z.object({ state: z.literal('stopped'), properties: JsonObjectSchema.optional() }),
]);

/** A results stream entry (field `result`, JSON). */
export const ResultJobSchema = compileSchema(
  z.object({
  executionId: z.string().min(1),
  stepName: z.string().min(1),
  attempt: z.number().int().positive(),
  state: JobStateSchema,
  }),
);
/** A parsed results stream entry. */
export interface ResultJob {
  executionId: string;
  stepName: string;
  attempt: number;
  state: JobState;
}

/** Payload of a `control` job. */
export const ControlJobSchema = z.object({
  action: z.enum(['adopt', 'retry']),
  executionId: z.string().min(1),
});
/** A parsed `control` job payload. */
export type ControlJob = z.infer<typeof ControlJobSchema>;

/** The job id of a step attempt: `<executionId>__<step>__<attempt>` (BullMQ ids cannot contain ':'). */
export function stepJobId(ref: { executionId: string; stepName: string; attempt: number }): string {
  return `${ref.executionId}__${ref.stepName}__${ref.attempt}`;
}

/** Parses a job payload with its queue's schema; a malformed payload is a non-retryable `INTERNAL` error. */
export function parsePayload<S extends z.ZodType>(schema: S, queue: string, data: unknown): z.infer<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  throw new OrchestratorError(ErrorCode.Internal, `A ${queue} job has a malformed payload: ${z.prettifyError(result.error)}`, {
    fix: 'run scheduler and workers of the same Cairn version on one queue prefix (--queue-prefix), and do not add jobs to these queues by hand.',
    retryable: false,
  });
}

/** Pub/sub channels beside the queues: stop requests for running attempts, Callback step messages, finished executions (hints; the store is the truth). */
export function channelNames(prefix: string): { stop: string; callbacks: string; finished: string } {
  return { stop: `${prefix}:cairn-stop`, callbacks: `${prefix}:cairn-callbacks`, finished: `${prefix}:cairn-finished` };
}
