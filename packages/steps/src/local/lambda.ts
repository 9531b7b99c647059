import { z } from 'zod';
import type { JobState, JsonObject, JsonValue } from '@cairn/core';
import { ErrorCode, OrchestratorError, StepFailedError, asSentence, toSerializedError } from '@cairn/core';
import { parseArguments, type LocalJob } from './job.js';

/** How long a local Lambda handler may run (the SDK helper's default function timeout), in milliseconds. */
export const LAMBDA_TIMEOUT_MS = 120_000;

const LambdaFieldsSchema = z.looseObject({
  FunctionArn: z.string(),
  OutputParameters: z.array(z.looseObject({ OutputName: z.string() })).optional(),
});

type Handler = (event: JsonObject, context: { functionName: string; invokedFunctionArn: string }) => unknown;

/**
 * The Lambda step: the handler configured for `FunctionArn` is called with the resolved `Arguments`
 * as the event; declared output names are read from the top level of its result. As on
 * SageMaker, a stop cannot interrupt the function: the step ends Stopped when it returns.
 */
export async function runLambda(job: LocalJob): Promise<JobState> {
  const fields = parseArguments(LambdaFieldsSchema, job, { ...job.request.step, ...job.request.stepFields });
  const handler = await loadHandler(job, fields.FunctionArn);
  const timeoutMs = job.lambdaTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut(job, fields.FunctionArn, timeoutMs)), timeoutMs);
  });
  try {
    const functionName = fields.FunctionArn.split(':').pop() ?? fields.FunctionArn;
    const result = await Promise.race([Promise.resolve(handler(job.request.arguments, { functionName, invokedFunctionArn: fields.FunctionArn })), timeout]);
    const outputs = outputParameters(result, (fields.OutputParameters ?? []).map((o) => o.OutputName));
    const properties: JsonObject = { OutputParameters: outputs };
    if (job.signal.aborted) return { state: 'stopped', properties };
    return {
      state: 'succeeded',
      properties,
      metadata: { Lambda: { Arn: fields.FunctionArn, OutputParameters: Object.entries(outputs).map(([Name, Value]) => ({ Name, Value })) } },
    };
  } catch (err) {
    return { state: 'failed', error: toSerializedError(err instanceof OrchestratorError ? err : handlerFailed(job, fields.FunctionArn, err)) };
  } finally {
    clearTimeout(timer);
  }
}

async function loadHandler(job: LocalJob, arn: string): Promise<Handler> {
  const target = job.config.lambdas[arn];
  if (!target) {
    throw new OrchestratorError(ErrorCode.ConfigInvalid, `No local handler is configured for the Lambda function "${arn}".`, {
      fix: `add it to cairn.config.json: ${JSON.stringify({ lambdas: { [arn]: './handlers/<name>.ts#handler' } })}.`,
    });
  }
  // tsx loads with the first Lambda step, not with this package: a scheduler or a built CLI that runs no handler never loads it.
  const { tsImport } = await import('tsx/esm/api');
  const module = (await tsImport(target.module, import.meta.url)) as Record<string, unknown>;
  const handler = module[target.exportName];
  if (typeof handler !== 'function') {
    throw new OrchestratorError(ErrorCode.ConfigInvalid, `${target.module} has no exported function "${target.exportName}" (configured for "${arn}").`, {
      fix: `export a function named ${target.exportName} from ${target.module}, or correct the "#name" part of the mapping.`,
    });
  }
  return handler as Handler;
}

/** Top-level keys named in OutputParameters; nested values are stringified, as on SageMaker. */
function outputParameters(result: unknown, names: readonly string[]): JsonObject {
  const record = typeof result === 'object' && result !== null ? (result as Record<string, unknown>) : {};
  const out: JsonObject = {};
  for (const name of names) {
    const value = record[name];
    if (value === undefined) continue;
    out[name] = typeof value === 'object' && value !== null ? JSON.stringify(value) : (value as JsonValue);
  }
  return out;
}

function timedOut(job: LocalJob, arn: string, ms: number): StepFailedError {
  return new StepFailedError(job.ctx.stepName, job.ctx.attempt, `The Lambda handler for "${arn}" did not return within ${ms / 1000} s.`, {
    code: ErrorCode.StepTimedOut,
    fix: 'make the handler return sooner (it may still be running in this process).',
  });
}

function handlerFailed(job: LocalJob, arn: string, err: unknown): StepFailedError {
  const message = err instanceof Error ? err.message : String(err);
  return new StepFailedError(job.ctx.stepName, job.ctx.attempt, asSentence(`The Lambda handler for "${arn}" threw: ${message}`), {
    cause: err,
    fix: 'correct the handler, or the arguments the step passes to it.',
  });
}
