import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import picomatch from 'picomatch';
import { z } from 'zod';
import { ErrorCode, OrchestratorError, asSentence } from '@cairn/core';
import { S3MultipartOptionsSchema, type S3MultipartOptions } from './artifacts/s3-multipart-options.js';

/**
 * `cairn.config.json`: where the workspace lives, how `s3://` URIs and container images map to this
 * machine, which Lambda handlers stand in for `FunctionArn`s, and which backend runs what.
 */

/** The configuration file name looked up in the working directory. */
export const CONFIG_FILE_NAME = 'cairn.config.json';
/** ARN prefix of local resources unless the configuration sets one. */
export const DEFAULT_ARN_PREFIX = 'arn:aws:sagemaker:local:000000000000';

/** How one container image runs on this machine. */
export const ImageMappingSchema = z.strictObject({
  /** `node`: the current Node with tsx (TypeScript runs as is); `process`: the configured command. */
  runtime: z.enum(['node', 'process']),
  /** Command used when the step gives no `ContainerEntrypoint` (required for `process` script mode). */
  entrypoint: z.array(z.string().min(1)).min(1).optional(),
  /** Extra environment variables for every container of this image. */
  env: z.record(z.string(), z.string()).optional(),
});
export type ImageMapping = z.infer<typeof ImageMappingSchema>;

const BackendSchema = z.enum(['local', 'sagemaker']);

/** One webhook of the Model Registry's events; the secret itself stays out of the file. */
export const WebhookConfigSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  /** Name of the environment variable that holds the HMAC secret. */
  secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'secretEnv names an environment variable, e.g. "CAIRN_WEBHOOK_SECRET".'),
  /** Only these `detail-type`s are sent. @defaultValue every event */
  eventTypes: z.array(z.string().min(1)).min(1).optional(),
});
export type WebhookConfig = z.infer<typeof WebhookConfigSchema>;

/** The whole `cairn.config.json` document; every section is optional. */
export const CairnConfigSchema = z.strictObject({
  workspace: z.string().min(1).optional(),
  artifacts: z
    .strictObject({
      root: z.string().min(1).optional(),
      /** `local`: `s3://` URIs live under `root`; `s3`: they are real S3 objects. @defaultValue `s3` when a backend route names sagemaker, else `local` */
      backend: z.enum(['local', 's3']).optional(),
      mounts: z.record(z.string().regex(/^(s3|file):\/\//, 'Mount keys are s3:// or file:// URIs.'), z.string().min(1)).optional(),
      /** Multipart uploads of the S3 store (`backend: s3`): threshold, part size and parts in flight. */
      s3: S3MultipartOptionsSchema.optional(),
    })
    .optional(),
  images: z.record(z.string().min(1), ImageMappingSchema).optional(),
  lambdas: z
    .record(z.string().min(1), z.string().regex(/^.+#[A-Za-z_$][\w$]*$/, 'Lambda handlers look like "./handlers/notify.ts#handler".'))
    .optional(),
  backends: z
    .strictObject({
      default: BackendSchema.optional(),
      steps: z.record(z.string(), BackendSchema).optional(),
      images: z.record(z.string(), BackendSchema).optional(),
    })
    .optional(),
  sagemaker: z
    .strictObject({
      region: z.string().min(1).optional(),
      pollIntervalMs: z.number().int().positive().optional(),
      s3ForcePathStyle: z.boolean().optional(),
      roleArn: z.string().min(1).optional(),
    })
    .optional(),
  arnPrefix: z.string().regex(/^arn:[^:]+:[^:]+:[^:]*:[^:]*$/, 'An ARN prefix looks like "arn:aws:sagemaker:<region>:<account>".').optional(),
  events: z
    .strictObject({
      webhooks: z.array(WebhookConfigSchema).optional(),
      /** Days an event whose deliveries are all settled is kept in the outbox; the scheduler deletes older ones. @defaultValue 30 */
      retentionDays: z.number().positive().optional(),
    })
    .optional(),
});
export type CairnConfig = z.infer<typeof CairnConfigSchema>;

/** A configuration with every path made absolute and every default applied. */
export interface ResolvedCairnConfig {
  /** The file it was read from, when there was one. */
  readonly path: string | undefined;
  /** Root of the store, the artifacts and the step sandboxes. */
  readonly workspace: string;
  /** `local`: `s3://` URIs map into `artifactsRoot`; `s3`: they are real S3 objects (for every step). */
  readonly artifactsBackend: 'local' | 's3';
  /** Where `s3://bucket/key` objects live: `<artifactsRoot>/s3/<bucket>/<key>`. */
  readonly artifactsRoot: string;
  /** Multipart options of the S3 artifact store (`artifacts.s3`); unset ones take the store's defaults. */
  readonly s3Multipart: Readonly<S3MultipartOptions>;
  /** Read-only URI prefix (or single object) → absolute local path. */
  readonly mounts: Readonly<Record<string, string>>;
  /** Image URI or glob → runtime. */
  readonly images: Readonly<Record<string, ImageMapping>>;
  /** Lambda `FunctionArn` → `{ module (absolute), exportName }`. */
  readonly lambdas: Readonly<Record<string, { module: string; exportName: string }>>;
  readonly backends: NonNullable<CairnConfig['backends']>;
  readonly sagemaker: NonNullable<CairnConfig['sagemaker']>;
  readonly arnPrefix: string;
  /** Event sinks of the Model Registry (webhooks); `retentionMs` from `events.retentionDays`, when set. */
  readonly events: { readonly webhooks: readonly WebhookConfig[]; readonly retentionMs?: number };
}

/**
 * Reads and validates `cairn.config.json` (default: the one in `cwd`, if any). Relative paths are
 * relative to the file. Without a file, everything defaults to `.cairn` in `cwd`.
 */
export function loadCairnConfig(path?: string, cwd: string = process.cwd()): ResolvedCairnConfig {
  const file = path === undefined ? join(cwd, CONFIG_FILE_NAME) : resolve(cwd, path);
  if (!existsSync(file)) {
    if (path === undefined) return resolveCairnConfig({}, cwd);
    throw new OrchestratorError(ErrorCode.ConfigInvalid, `The configuration file ${file} does not exist.`, {
      fix: `create it (see packages/steps/README.md) or pass the path of an existing ${CONFIG_FILE_NAME}.`,
    });
  }
  return resolveCairnConfig(readConfigJson(file), dirname(file), file);
}

/** Validates an already-parsed configuration object; `baseDir` anchors its relative paths. */
export function resolveCairnConfig(raw: unknown, baseDir: string, file?: string): ResolvedCairnConfig {
  const result = CairnConfigSchema.safeParse(raw);
  if (!result.success) {
    const where = file ?? 'the configuration';
    const lines = result.error.issues.map((i) => `  - ${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    throw new OrchestratorError(ErrorCode.ConfigInvalid, `${where} is invalid:\n${lines.join('\n')}\n`, {
      fix: 'correct the keys listed above (the format is described in packages/steps/README.md).',
      details: { file: where, issues: result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) },
    });
  }
  const config = result.data;
  const workspace = resolve(baseDir, config.workspace ?? '.cairn');
  const artifactsRoot = config.artifacts?.root ? resolve(baseDir, config.artifacts.root) : join(workspace, 'artifacts');
  return {
    path: file,
    workspace,
    artifactsBackend: config.artifacts?.backend ?? (routesToSageMaker(config.backends ?? {}) ? 's3' : 'local'),
    artifactsRoot,
    s3Multipart: config.artifacts?.s3 ?? {},
    mounts: mapValues(config.artifacts?.mounts ?? {}, (p) => resolve(baseDir, p)),
    images: config.images ?? {},
    lambdas: mapValues(config.lambdas ?? {}, (ref) => {
      const at = ref.lastIndexOf('#');
      const module = ref.slice(0, at);
      return { module: isAbsolute(module) ? module : resolve(baseDir, module), exportName: ref.slice(at + 1) };
    }),
    backends: config.backends ?? {},
    sagemaker: config.sagemaker ?? {},
    arnPrefix: config.arnPrefix ?? DEFAULT_ARN_PREFIX,
    events: {
      webhooks: config.events?.webhooks ?? [],
      ...(config.events?.retentionDays !== undefined ? { retentionMs: Math.round(config.events.retentionDays * 86_400_000) } : {}),
    },
  };
}

/** Whether the `backends` section sends any step (or every unrouted one) to SageMaker. */
export function routesToSageMaker(backends: NonNullable<CairnConfig['backends']>): boolean {
  return [backends.default, ...Object.values(backends.steps ?? {}), ...Object.values(backends.images ?? {})].includes('sagemaker');
}

/**
 * The runtime for a container image: an exact key first, then the first glob that matches.
 * Throws `IMAGE_NOT_MAPPED` with the JSON to add when none does.
 */
export function resolveImage(config: ResolvedCairnConfig, image: string): ImageMapping {
  const exact = config.images[image];
  if (exact) return exact;
  for (const [pattern, mapping] of Object.entries(config.images)) {
    if (picomatch.isMatch(image, pattern)) return mapping;
  }
  const snippet = JSON.stringify({ images: { [image]: { runtime: 'node' } } });
  throw new OrchestratorError(ErrorCode.ImageNotMapped, `The container image "${image}" is not mapped to a local runtime.`, {
    fix: `add a mapping to ${config.path ?? CONFIG_FILE_NAME}, e.g. ${snippet} (or { "runtime": "process", "entrypoint": ["python3", "train.py"] }), or run this step on the sagemaker backend.`,
    details: { image },
  });
}

function readConfigJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (cause) {
    throw new OrchestratorError(ErrorCode.ConfigInvalid, asSentence(`${file} is not readable JSON: ${(cause as Error).message}`), {
      cause,
      fix: 'make the file valid JSON (no comments, no trailing commas).',
    });
  }
}

function mapValues<A, B>(record: Record<string, A>, f: (value: A) => B): Record<string, B> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}
