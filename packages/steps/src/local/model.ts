import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobState, JsonObject } from '@cairn/core';
import { ErrorCode, OrchestratorError } from '@cairn/core';
import type { ResolvedCairnConfig } from '../config.js';
import { epochSeconds, resourceArn, type LocalJob } from './job.js';

/** Where the Model step records a model for Transform steps: `<workspace>/models/<ModelName>.json`. */
export function modelFile(config: ResolvedCairnConfig, modelName: string): string {
  return join(config.workspace, 'models', `${modelName}.json`);
}

/** The Model step: records the model (DescribeModel shape) for later Transform steps; runs nothing. */
export async function runModelStep(job: LocalJob): Promise<JobState> {
  const name = job.request.jobName;
  const properties: JsonObject = {
    ...job.request.arguments,
    ModelName: name,
    ModelArn: resourceArn(job, 'model', name),
    CreationTime: epochSeconds(job),
  };
  const file = modelFile(job.config, name);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, JSON.stringify(properties, null, 2));
  return { state: 'succeeded', properties };
}

/** Reads a model the Model step recorded (DescribeModel shape). */
export async function readModel(config: ResolvedCairnConfig, modelName: string): Promise<JsonObject> {
  const text = await readFile(modelFile(config, modelName), 'utf8').catch((cause: unknown) => {
    throw new OrchestratorError(ErrorCode.InputUnreadable, `The model "${modelName}" is not known to the local executor (no ${modelFile(config, modelName)}).`, {
      cause,
      fix: 'create it with a Model step in the same workspace, e.g. "ModelName": {"Get": "Steps.<model-step>.ModelName"}.',
    });
  });
  return JSON.parse(text) as JsonObject;
}

/** The RegisterModel step: a new version in the Model Registry (group created when missing). */
export async function runRegisterModelStep(job: LocalJob): Promise<JobState> {
  const { ctx } = job;
  const record = await ctx.registry.createModelPackage({
    request: job.request.arguments,
    createdBy: 'cairn',
    executionArn: ctx.executionArn,
    stepName: ctx.stepName,
    arnPrefix: job.config.arnPrefix,
    now: ctx.clock.now(),
  });
  return { state: 'succeeded', properties: record.description, metadata: { RegisterModel: { Arn: record.arn } } };
}
