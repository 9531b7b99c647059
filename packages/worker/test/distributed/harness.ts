import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { PostgresStore, type ExecutionRecord, type JsonObject } from '@cairn/core';
import { resolveCairnConfig, type ResolvedCairnConfig } from '@cairn/steps';
import { clusterTest } from '@cairn/test-support';
import { ClusterClient } from '../../src/cluster-client.js';
import { createDeployment } from '../../src/deployment.js';
import { redisOptionsFromUrl } from '../../src/redis.js';
import { startSchedulerService, startWorkerService, type ServiceSettings } from '../../src/services.js';

/** Fixture scripts and handlers. */
export const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
/** The image mapped to the node runtime. */
export const NODE_IMAGE = '000000000000.dkr.ecr.us-east-1.amazonaws.com/cairn-node:20';
/** FunctionArn of the `record` handler. */
export const RECORD_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:record';
/** FunctionArn of the `crash` handler. */
export const CRASH_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:crash';

/** Vitest fixture: PostgreSQL (`databaseUrl`, a fresh `schema`) and Redis (`redisUrl`, a fresh key `prefix`). */
export { clusterTest };

/** The raw `cairn.config.json` of the test deployments. */
export function rawConfig(): JsonObject {
  return {
    images: { [NODE_IMAGE]: { runtime: 'node' } },
    artifacts: { mounts: { 's3://fixtures/code': FIXTURES } },
    lambdas: { [RECORD_ARN]: `${FIXTURES}/handlers.ts#record`, [CRASH_ARN]: `${FIXTURES}/handlers.ts#crash` },
  };
}

/** One test's cluster: own schema, own Redis prefix, own workspace; services are added by the test. */
export async function makeCluster(urls: { databaseUrl: string; schema: string; redisUrl: string; prefix: string }, options: { logger?: Logger } = {}) {
  const workspace = mkdtempSync(join(tmpdir(), 'cairn-dist-'));
  const config: ResolvedCairnConfig = resolveCairnConfig({ ...rawConfig(), workspace }, workspace);
  const store = await PostgresStore.open({ connectionString: urls.databaseUrl, schema: urls.schema, maxConnections: 5 });
  const logger = options.logger ?? pino({ level: 'silent' });
  const connection = redisOptionsFromUrl(urls.redisUrl);
  const settings: ServiceSettings = { connection, prefix: urls.prefix, store, config, logger };
  const closers: (() => Promise<void>)[] = [];
  const deployment = createDeployment(config, store, logger);
  const client = new ClusterClient({ connection, prefix: urls.prefix, store, router: deployment.router, arnPrefix: config.arnPrefix, pollIntervalMs: 50 });
  return {
    workspace,
    config,
    store,
    settings,
    client,
    async scheduler(tuning: Parameters<typeof startSchedulerService>[1] = {}) {
      // A fresh prefix has no leader history: no reason to wait before leading.
      const service = await startSchedulerService(settings, { reconcileIntervalMs: 500, stopCheckIntervalMs: 100, leaderUnknownHistoryWaitMs: 0, ...tuning });
      closers.push(() => service.close());
      return service;
    },
    async worker(tuning: Parameters<typeof startWorkerService>[1] = {}) {
      const service = await startWorkerService(settings, { concurrency: 4, ...tuning });
      closers.push(() => service.close(1_000));
      return service;
    },
    /** Starts a scheduler or worker in its own process; resolves once it is ready. */
    async spawnService(kind: 'scheduler' | 'worker', tuning: Record<string, number> = {}, extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
      const child = spawn(process.execPath, ['--conditions=@cairn/source', '--import', 'tsx', join(FIXTURES, 'service.ts'), kind], {
        env: {
          ...process.env,
          CAIRN_TEST_CONFIG: JSON.stringify(rawConfig()),
          CAIRN_TEST_WORKSPACE: workspace,
          CAIRN_TEST_DATABASE_URL: urls.databaseUrl,
          CAIRN_TEST_SCHEMA: urls.schema,
          CAIRN_TEST_REDIS_URL: urls.redisUrl,
          CAIRN_TEST_PREFIX: urls.prefix,
          CAIRN_TEST_TUNING: JSON.stringify(kind === 'scheduler' ? { leaderUnknownHistoryWaitMs: 0, ...tuning } : tuning),
          ...extraEnv,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      closers.push(async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await once(child, 'exit');
        }
      });
      const [chunk] = (await Promise.race([once(child.stdout!, 'data'), once(child, 'exit').then(() => [undefined])])) as [Buffer | undefined];
      if (!chunk?.toString().includes('ready')) throw new Error(`${kind} process did not start`);
      return child;
    },
    /** Starts a definition through the cluster. */
    start(definition: JsonObject, name = 'p'): Promise<ExecutionRecord> {
      return client.startExecution({ pipelineName: name, definition: JSON.stringify(definition) });
    },
    /** Runs a definition to its end through the cluster. */
    async run(definition: JsonObject, name = 'p'): Promise<ExecutionRecord> {
      const started = await client.startExecution({ pipelineName: name, definition: JSON.stringify(definition) });
      return client.waitForExecution(started.id);
    },
    async close() {
      for (const close of closers.reverse()) await close().catch(() => undefined);
      await client.close();
      await store.close();
    },
  };
}

/** A Lambda step that records its run in `log`. */
export function recordStep(name: string, log: string, dependsOn: string[] = [], extra: JsonObject = {}): JsonObject {
  return { Name: name, Type: 'Lambda', FunctionArn: RECORD_ARN, Arguments: { log, name }, OutputParameters: [{ OutputName: 'name', OutputType: 'String' }], ...(dependsOn.length ? { DependsOn: dependsOn } : {}), ...extra };
}

/** A pipeline definition of these steps. */
export function definition(steps: JsonObject[]): JsonObject {
  return { Version: '2020-12-01', Parameters: [], Steps: steps };
}

/** A Processing step running `hang.mjs` (records its pid in `markerDir`, ends when `markerDir/done` exists). */
export function hangStep(name: string, markerDir: string, dependsOn: string[] = []): JsonObject {
  return {
    Name: name,
    Type: 'Processing',
    Arguments: {
      AppSpecification: { ImageUri: NODE_IMAGE, ContainerEntrypoint: ['node', '/opt/ml/processing/input/code/hang.mjs'] },
      Environment: { MARKER_DIR: markerDir },
      RoleArn: 'arn:aws:iam::000000000000:role/cairn',
      ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 1 } },
      ProcessingInputs: [{ InputName: 'code', S3Input: { S3Uri: 's3://fixtures/code', LocalPath: '/opt/ml/processing/input/code', S3DataType: 'S3Prefix', S3InputMode: 'File' } }],
    },
    ...(dependsOn.length ? { DependsOn: dependsOn } : {}),
  };
}

/** Whether a process (group leader) exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The lines of a run log (one per step run). */
export function runsOf(log: string): string[] {
  return existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : [];
}
