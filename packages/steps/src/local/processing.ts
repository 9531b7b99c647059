import { mkdir } from 'node:fs/promises';
import { z } from 'zod';
import type { JobState, JsonObject } from '@cairn/core';
import { epochSeconds, failedState, parseArguments, resourceArn, runContainer, runFailure, withProperties, manifestUnsupported, type LocalJob } from './job.js';
import { resolveImage } from '../config.js';
import { containerPath, createSandbox } from './sandbox.js';

const S3InputSchema = z.looseObject({
  S3Uri: z.string(),
  LocalPath: z.string(),
  S3DataType: z.enum(['S3Prefix', 'ManifestFile']).optional(),
});

/** The part of CreateProcessingJob the local executor reads. */
export const ProcessingArgumentsSchema = z.looseObject({
  AppSpecification: z.looseObject({
    ImageUri: z.string(),
    ContainerEntrypoint: z.array(z.string()).optional(),
    ContainerArguments: z.array(z.string()).optional(),
  }),
  Environment: z.record(z.string(), z.string()).optional(),
  ProcessingInputs: z.array(z.looseObject({ InputName: z.string(), S3Input: S3InputSchema })).optional(),
  ProcessingOutputConfig: z
    .looseObject({
      Outputs: z.array(z.looseObject({ OutputName: z.string(), S3Output: z.looseObject({ S3Uri: z.string(), LocalPath: z.string() }) })),
    })
    .optional(),
  StoppingCondition: z.looseObject({ MaxRuntimeInSeconds: z.number().int().positive() }).optional(),
});

/**
 * A processing job: inputs materialised at their `LocalPath`, the container run, outputs copied
 * from their `LocalPath` to their `S3Uri` at the end of the job (EndOfJob).
 */
export async function runProcessingJob(job: LocalJob): Promise<JobState> {
  const args = parseArguments(ProcessingArgumentsSchema, job);
  const name = job.request.jobName;
  const started = epochSeconds(job);
  const describe = (status: string, extra: JsonObject = {}): JsonObject => ({
    ...job.request.arguments,
    ProcessingJobName: name,
    ProcessingJobArn: resourceArn(job, 'processing-job', name),
    ProcessingJobStatus: status,
    CreationTime: started,
    ProcessingStartTime: started,
    ProcessingEndTime: epochSeconds(job),
    LastModifiedTime: epochSeconds(job),
    ...extra,
  });
  try {
    resolveImage(job.config, args.AppSpecification.ImageUri); // fail fast, before inputs are linked
    const sandbox = await createSandbox(job.root);
    for (const input of args.ProcessingInputs ?? []) {
      if (input.S3Input.S3DataType === 'ManifestFile') throw manifestUnsupported(`ProcessingInputs "${input.InputName}"`);
      await job.artifacts.materialize(input.S3Input.S3Uri, containerPath(sandbox, input.S3Input.LocalPath, `ProcessingInputs "${input.InputName}" LocalPath`));
    }
    const outputs = (args.ProcessingOutputConfig?.Outputs ?? []).map((o) => ({
      uri: o.S3Output.S3Uri,
      dir: containerPath(sandbox, o.S3Output.LocalPath, `Outputs "${o.OutputName}" LocalPath`),
    }));
    for (const output of outputs) await mkdir(output.dir, { recursive: true });
    const maxRuntime = args.StoppingCondition?.MaxRuntimeInSeconds;
    const outcome = await runContainer(job, {
      sandbox,
      image: args.AppSpecification.ImageUri,
      entrypoint: args.AppSpecification.ContainerEntrypoint,
      args: args.AppSpecification.ContainerArguments ?? [],
      env: args.Environment,
      cwd: sandbox.root,
      timeoutSeconds: maxRuntime,
    });
    const failure = await runFailure(job, sandbox, outcome, maxRuntime);
    if (failure) return withProperties(failure.state, describe(failure.status, { FailureReason: failure.reason, ExitMessage: failure.reason }));
    for (const output of outputs) await job.artifacts.upload(output.dir, output.uri);
    return { state: 'succeeded', properties: describe('Completed') };
  } catch (err) {
    return failedState(err, describe('Failed', { FailureReason: err instanceof Error ? err.message : String(err) }));
  }
}
