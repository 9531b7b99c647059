import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import getPort from 'get-port';
import { extract } from 'tar';
import { z } from 'zod';
import type { JobState, JsonObject } from '@cairn/core';
import { ErrorCode, OrchestratorError, StepFailedError, asSentence } from '@cairn/core';
import {
  epochSeconds,
  failedState,
  fetchSubmitDirectory,
  manifestUnsupported,
  parseArguments,
  resourceArn,
  runContainer,
  runFailure,
  scratchDir,
  withProperties,
  type LocalJob,
} from './job.js';
import { readModel } from './model.js';
import type { ProcessOutcome } from './process.js';
import { OPT_ML, createSandbox, type Sandbox } from './sandbox.js';

/** The part of CreateTransformJob the local executor reads. */
export const TransformArgumentsSchema = z.looseObject({
  ModelName: z.string(),
  TransformInput: z.looseObject({
    DataSource: z.looseObject({ S3DataSource: z.looseObject({ S3Uri: z.string(), S3DataType: z.enum(['S3Prefix', 'ManifestFile']).optional() }) }),
    ContentType: z.string().optional(),
    SplitType: z.enum(['None', 'Line']).optional(),
  }),
  TransformOutput: z.looseObject({ S3OutputPath: z.string(), Accept: z.string().optional(), AssembleWith: z.enum(['None', 'Line']).optional() }),
  BatchStrategy: z.enum(['SingleRecord', 'MultiRecord']).optional(),
  MaxPayloadInMB: z.number().positive().optional(),
  Environment: z.record(z.string(), z.string()).optional(),
});
type TransformArguments = z.infer<typeof TransformArgumentsSchema>;

const ContainerSchema = z.looseObject({
  Image: z.string(),
  ModelDataUrl: z.string().optional(),
  Environment: z.record(z.string(), z.string()).optional(),
});
const ModelSchema = z.looseObject({ PrimaryContainer: ContainerSchema.optional(), Containers: z.array(ContainerSchema).optional() });

const PING_TIMEOUT_MS = 60_000;
const PING_INTERVAL_MS = 50;

/**
 * A batch transform: the model's container is started as a server under the serving contract
 * (`/ping`, `/invocations` on `SAGEMAKER_BIND_TO_PORT`), every input object is split and batched
 * as asked, and the responses are assembled into `<S3OutputPath>/<object>.out`.
 */
export async function runTransformJob(job: LocalJob): Promise<JobState> {
  const args = parseArguments(TransformArgumentsSchema, job);
  const name = job.request.jobName;
  const started = epochSeconds(job);
  const describe = (status: string, extra: JsonObject = {}): JsonObject => ({
    ...job.request.arguments,
    TransformJobName: name,
    TransformJobArn: resourceArn(job, 'transform-job', name),
    TransformJobStatus: status,
    CreationTime: started,
    TransformStartTime: started,
    TransformEndTime: epochSeconds(job),
    ...extra,
  });
  const server = new AbortController();
  let exited: Promise<ProcessOutcome> | undefined;
  try {
    if (args.TransformInput.DataSource.S3DataSource.S3DataType === 'ManifestFile') throw manifestUnsupported('TransformInput');
    const model = parseArguments(ModelSchema, job, await readModel(job.config, args.ModelName));
    const container = model.PrimaryContainer ?? model.Containers?.[0];
    if (!container) throw new OrchestratorError(ErrorCode.DefinitionInvalid, `The model "${args.ModelName}" has no container.`, { fix: 'give the Model step a PrimaryContainer.' });
    const sandbox = await createSandbox(job.root);
    const port = await getPort({ host: '127.0.0.1' });
    exited = (await startServer(job, sandbox, container, args, port, server.signal)).exit;
    const ended = exited.then(async (outcome) => (await runFailure(job, sandbox, outcome, undefined)) ?? exitedEarly(job, sandbox));
    const base = `http://127.0.0.1:${port}`;
    const early = await Promise.race([waitForPing(base, job.signal), ended]);
    if (early) return withProperties(early.state, describe(early.status, { FailureReason: early.reason }));
    await transformAll(job, args, base);
    if (job.signal.aborted) return { state: 'stopped', properties: describe('Stopped') };
    return { state: 'succeeded', properties: describe('Completed') };
  } catch (err) {
    return failedState(err, describe('Failed', { FailureReason: err instanceof Error ? err.message : String(err) }));
  } finally {
    server.abort();
    await exited;
  }
}

/** Starts the serving process; resolves once it is spawned, with a promise of its exit. */
async function startServer(
  job: LocalJob,
  sandbox: Sandbox,
  container: z.infer<typeof ContainerSchema>,
  args: TransformArguments,
  port: number,
  signal: AbortSignal,
): Promise<{ exit: Promise<ProcessOutcome> }> {
  const modelDir = join(sandbox.optMl, 'model');
  const codeDir = join(sandbox.optMl, 'code');
  await mkdir(modelDir, { recursive: true });
  await mkdir(codeDir, { recursive: true });
  if (container.ModelDataUrl) await extract({ file: await job.artifacts.localFile(container.ModelDataUrl, scratchDir(job)), cwd: modelDir });
  const env = { ...container.Environment, ...args.Environment };
  const program = env['SAGEMAKER_PROGRAM'];
  const submit = env['SAGEMAKER_SUBMIT_DIRECTORY'];
  if (program && submit) await fetchSubmitDirectory(job, submit, codeDir);
  const mapping = job.config.images[container.Image];
  const useProgram = program !== undefined && !(mapping?.runtime === 'process' && mapping.entrypoint);
  const abort = AbortSignal.any([signal, job.signal]);
  const exit = runContainer(job, {
    sandbox,
    image: container.Image,
    entrypoint: useProgram ? [program] : undefined,
    args: useProgram ? [] : ['serve'],
    env,
    contractEnv: {
      SAGEMAKER_BIND_TO_PORT: String(port),
      SAGEMAKER_SAFE_PORT_RANGE: `${port}-${port}`,
      SM_MODEL_DIR: `${sandbox.optMl}/model`,
      SAGEMAKER_BATCH: 'true',
      ...(args.MaxPayloadInMB ? { SAGEMAKER_MAX_PAYLOAD_IN_MB: String(args.MaxPayloadInMB) } : {}),
      ...(args.BatchStrategy ? { SAGEMAKER_BATCH_STRATEGY: args.BatchStrategy === 'MultiRecord' ? 'MULTI_RECORD' : 'SINGLE_RECORD' } : {}),
    },
    cwd: codeDir,
    timeoutSeconds: undefined,
    signal: abort,
  });
  return { exit };
}

async function waitForPing(base: string, signal: AbortSignal): Promise<undefined> {
  const deadline = Date.now() + PING_TIMEOUT_MS;
  while (Date.now() < deadline && !signal.aborted) {
    const ok = await fetch(`${base}/ping`).then((r) => r.status === 200, () => false);
    if (ok) return undefined;
    await new Promise((r) => setTimeout(r, PING_INTERVAL_MS));
  }
  if (signal.aborted) return undefined;
  throw new OrchestratorError(ErrorCode.StepFailed, `The model server did not answer GET /ping with 200 within ${PING_TIMEOUT_MS / 1000} s.`, {
    fix: `make the serving script listen on the port in SAGEMAKER_BIND_TO_PORT and answer /ping (the container contract); ${OPT_ML} is relocated through CAIRN_OPT_ML_ROOT.`,
  });
}

async function transformAll(job: LocalJob, args: TransformArguments, base: string): Promise<void> {
  const inputUri = args.TransformInput.DataSource.S3DataSource.S3Uri;
  const outputPath = args.TransformOutput.S3OutputPath.replace(/\/+$/, '');
  const objects = await job.artifacts.list(inputUri);
  for (const uri of objects) {
    if (job.signal.aborted) return;
    const relative = uri === inputUri ? (uri.split('/').pop() ?? uri) : uri.slice(inputUri.replace(/\/+$/, '').length + 1);
    const body = await readFile(await job.artifacts.localFile(uri, scratchDir(job)));
    const responses: Buffer[] = [];
    for (const payload of batches(splitRecords(body, args.TransformInput.SplitType), args)) {
      responses.push(await invoke(base, payload, args));
    }
    await job.artifacts.writeText(`${outputPath}/${relative}.out`, assemble(responses, args.TransformOutput.AssembleWith));
  }
}

const NEWLINE = Buffer.from('\n');

/** Records of one object: its lines for `SplitType: Line` (empty lines dropped), else the whole object, bytes as they are. */
export function splitRecords(body: Buffer, splitType: string | undefined): Buffer[] {
  if (splitType !== 'Line') return [body];
  return body
    .toString('utf8')
    .split(/\r?\n/)
    .filter((line) => line.length > 0)
    .map((line) => Buffer.from(line));
}

/** Request payloads: one record each (SingleRecord), or as many lines as fit in MaxPayloadInMB (MultiRecord). */
export function batches(records: readonly Buffer[], args: Pick<TransformArguments, 'BatchStrategy' | 'MaxPayloadInMB'>): Buffer[] {
  if (args.BatchStrategy !== 'MultiRecord') return [...records];
  const limit = (args.MaxPayloadInMB ?? 6) * 1024 * 1024;
  const out: Buffer[] = [];
  let current: Buffer[] = [];
  let size = 0;
  const flush = () => out.push(Buffer.concat(current.flatMap((r, i) => (i === 0 ? [r] : [NEWLINE, r]))));
  for (const record of records) {
    if (current.length > 0 && size + record.length + 1 > limit) {
      flush();
      current = [];
      size = 0;
    }
    current.push(record);
    size += record.length + 1;
  }
  if (current.length > 0) flush();
  return out;
}

/** The output object: a newline after each response (`AssembleWith: Line`), or the responses concatenated. */
export function assemble(responses: readonly Buffer[], assembleWith: string | undefined): Buffer {
  if (assembleWith !== 'Line') return Buffer.concat(responses);
  return Buffer.concat(responses.flatMap((r) => (r.at(-1) === NEWLINE[0] ? [r] : [r, NEWLINE])));
}

async function invoke(base: string, payload: Buffer, args: TransformArguments): Promise<Buffer> {
  const response = await fetch(`${base}/invocations`, {
    method: 'POST',
    body: payload,
    headers: {
      'Content-Type': args.TransformInput.ContentType ?? 'application/octet-stream',
      ...(args.TransformOutput.Accept ? { Accept: args.TransformOutput.Accept } : {}),
    },
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  if (!response.ok) {
    throw new OrchestratorError(ErrorCode.StepFailed, asSentence(`POST /invocations answered ${response.status}: ${bytes.toString('utf8', 0, 500)}`), {
      fix: 'check the payload format (ContentType, SplitType, BatchStrategy) against what the serving script accepts.',
    });
  }
  return bytes;
}

function exitedEarly(job: LocalJob, sandbox: Sandbox) {
  const reason = 'The model server exited with code 0 before the transform finished.';
  const error = new StepFailedError(job.ctx.stepName, job.ctx.attempt, `${reason} Logs: ${sandbox.logDir}.`, {
    fix: 'keep the serving script running until it is stopped.',
  });
  return { status: 'Failed' as const, reason, state: failedState(error) };
}
