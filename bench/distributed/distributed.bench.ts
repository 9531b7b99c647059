/**
 * Distributed runtime benchmark, each figure beside raw BullMQ doing the same number of no-op jobs
 * on the same Redis (same process, same worker concurrency), reported as a ratio:
 * 1. throughput of a 1 → N → 1 fan-out/fan-in of no-op steps (goal ≥ 0.5× raw BullMQ);
 * 2. a chain: per-step latency from "dependencies met" (the scheduler has recorded the previous
 *    step's success) to "step started" (a worker calls the executor), p50 and p99 (goal p50 ≤ 2 ms);
 * 3. many concurrent executions of a 10-step pipeline: total time and peak RSS (goal < 250 MiB).
 * Scheduler and worker run in this process; for the last case the scheduler runs as operators run it,
 * `cairn scheduler` from the build (dist/, plain Node; built first when missing or stale), in its own
 * process, whose RSS is sampled from /proc (at rest, then the peak).
 * Run: `node --conditions=@cairn/source --import tsx bench/distributed/distributed.bench.ts [fanOut=10000] [chain=2000] [executions=1000]`
 * with REDIS_URL / DATABASE_URL (defaults: the local servers). Prints one JSON line, then a summary.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { PostgresStore, createExecutorRouter, type ExecutionObserver, type PipelineDefinition } from '@cairn/core';
import { LOCAL_DATABASE_URL, createSchema, dropSchema } from '@cairn/test-support/postgres-server';
import { LOCAL_REDIS_URL, uniqueRedisPrefix } from '@cairn/test-support/redis-server';
import { ClusterClient, SchedulerService, StepWorker, redisOptionsFromUrl } from '@cairn/worker';
import { chain, fanOut, noArtifacts, noop, startedAt } from './noop.js';

const [FAN_OUT = 10_000, CHAIN = 2_000, EXECUTIONS = 1_000] = process.argv.slice(2).map(Number);
const CONCURRENCY = 64;
const databaseUrl = process.env['DATABASE_URL'] ?? LOCAL_DATABASE_URL;
const redisUrl = process.env['REDIS_URL'] ?? LOCAL_REDIS_URL;
const connection = redisOptionsFromUrl(redisUrl);
const logger = pino({ level: process.env['BENCH_LOG_LEVEL'] ?? 'silent' });

/** When the scheduler recorded each step's success. */
const finishedAt = new Map<string, number>();

const observer: ExecutionObserver = { onStepFinished: (execution, step) => void finishedAt.set(`${execution.id}/${step.stepName}`, performance.now()) };

/** Raw BullMQ: `jobs` no-op jobs added in bulk and processed by one worker of the same concurrency. */
async function rawThroughput(jobs: number): Promise<number> {
  const prefix = uniqueRedisPrefix();
  const queue = new Queue('raw', { connection, prefix, defaultJobOptions: { removeOnComplete: true } });
  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>((r) => (finish = r));
  const worker = new Worker('raw', async () => void (++done === jobs && finish()), { connection, prefix, concurrency: CONCURRENCY });
  await worker.waitUntilReady();
  const t0 = performance.now();
  for (let i = 0; i < jobs; i += 1_000) await queue.addBulk(Array.from({ length: Math.min(1_000, jobs - i) }, (_, k) => ({ name: 'noop', data: { i: i + k } })));
  await all;
  const ms = performance.now() - t0;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return ms;
}

/** Raw BullMQ chain: each job adds the next; latency from add to processing start. */
async function rawChain(n: number): Promise<number[]> {
  const prefix = uniqueRedisPrefix();
  const queue = new Queue('rawchain', { connection, prefix, defaultJobOptions: { removeOnComplete: true } });
  const latencies: number[] = [];
  let finish!: () => void;
  const all = new Promise<void>((r) => (finish = r));
  const worker = new Worker<{ i: number; at: number }>(
    'rawchain',
    async (job) => {
      latencies.push(performance.now() - job.data.at);
      if (job.data.i + 1 < n) await queue.add('noop', { i: job.data.i + 1, at: performance.now() });
      else finish();
    },
    { connection, prefix, concurrency: CONCURRENCY },
  );
  await worker.waitUntilReady();
  await queue.add('noop', { i: 0, at: performance.now() });
  await all;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return latencies;
}

/**
 * Starts `cairn scheduler` from dist/ in its own process (for the memory figure), as operators run
 * it: plain Node, no tsx, logs at info (or BENCH_LOG_LEVEL) on its stderr, shown only with
 * BENCH_LOG_LEVEL. Builds first when dist/ is missing or older than the sources
 * (`CAIRN_CLI_FROM=source` runs the sources through tsx instead, for comparison). Resolves once
 * it is ready, with its RSS at rest (1 s after start-up).
 */
async function spawnScheduler(schema: string, prefix: string): Promise<{ child: ChildProcess; restRss: number }> {
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  execFileSync(process.execPath, [join(repo, 'scripts/build-if-stale.mjs')], { stdio: ['ignore', 'inherit', 'inherit'] });
  // The scheduler only routes by step type (the local executor covers Lambda); its workspace is scratch.
  const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-scheduler-'));
  const config = join(dir, 'cairn.config.json');
  writeFileSync(config, JSON.stringify({ workspace: join(dir, 'workspace') }));
  const database = `${databaseUrl}${databaseUrl.includes('?') ? '&' : '?'}schema=${schema}`;
  const args = ['--config', config, '--redis', redisUrl, '--database', database, '--log-level', process.env['BENCH_LOG_LEVEL'] ?? 'info', 'scheduler', '--queue-prefix', prefix, '--reconcile-interval-ms', '60000'];
  const child = spawn(process.execPath, [join(repo, 'packages/worker/bin/cairn.js'), ...args], { env: { ...process.env, CAIRN_CLI_FROM: process.env['CAIRN_CLI_FROM'] ?? 'dist' }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  let log = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      if (process.env['BENCH_LOG_LEVEL']) process.stderr.write(chunk);
      if (log.length < 100_000) log += chunk.toString();
      if (log.includes('"msg":"scheduler started"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`cairn scheduler exited (${code}) before it was ready:\n${log}`)));
  });
  await ready;
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return { child, restRss: rssOf(child.pid!) };
}

/** Resident set size of a process, from /proc. */
function rssOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const schema = await createSchema(databaseUrl);
  const prefix = uniqueRedisPrefix();
  const store = await PostgresStore.open({ connectionString: databaseUrl, schema, maxConnections: 10 });
  const router = createExecutorRouter([noop]);
  const artifacts = noArtifacts;
  const scheduler = await SchedulerService.start({ connection, prefix, store, router, artifacts, logger, observers: [observer], reconcileIntervalMs: 60_000 });
  const worker = await StepWorker.start({ connection, prefix, store, router, artifacts, logger, concurrency: CONCURRENCY });
  const client = new ClusterClient({ connection, prefix, store, router, arnPrefix: 'arn:aws:sagemaker:local:000000000000', pollIntervalMs: 20 });
  const run = async (name: string, pipeline: PipelineDefinition) => {
    const started = await client.startExecution({ pipelineName: name, definition: pipeline });
    return client.waitForExecution(started.id);
  };
  try {
    // Warm-up: connections, JIT, prepared paths.
    await run('warmup', fanOut(100));

    const fanText = fanOut(FAN_OUT);
    let t0 = performance.now();
    const fan = await run('fan', fanText);
    const fanMs = performance.now() - t0;
    const rawFanMs = await rawThroughput(FAN_OUT + 2);

    const chained = await run('chain', chain(CHAIN));
    const latencies = Array.from({ length: CHAIN - 1 }, (_, i) => startedAt.get(`${chained.id}/s${i + 1}`)! - finishedAt.get(`${chained.id}/s${i}`)!);
    const raw = await rawChain(CHAIN);

    // The scheduler moves to its own process, so its memory is measured alone.
    await scheduler.close();
    const { child, restRss } = await spawnScheduler(schema, prefix);
    let peakRss = restRss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssOf(child.pid!))), 100);
    const ten = chain(10);
    t0 = performance.now();
    const many = await Promise.all(Array.from({ length: EXECUTIONS }, () => client.startExecution({ pipelineName: 'many', definition: ten })));
    const finals = await Promise.all(many.map((e) => client.waitForExecution(e.id)));
    const manyMs = performance.now() - t0;
    clearInterval(sampler);
    child.kill('SIGTERM');
    await once(child, 'exit');
    const rawManyMs = await rawThroughput(EXECUTIONS * 10);

    const ok = fan.status === 'Succeeded' && chained.status === 'Succeeded' && finals.every((f) => f.status === 'Succeeded');
    const result = {
      bench: 'distributed',
      ok,
      concurrency: CONCURRENCY,
      fanOut: { steps: FAN_OUT + 2, ms: Math.round(fanMs), stepsPerSec: Math.round(((FAN_OUT + 2) / fanMs) * 1000), rawBullmqJobsPerSec: Math.round(((FAN_OUT + 2) / rawFanMs) * 1000), ratio: +(rawFanMs / fanMs).toFixed(3) },
      chain: {
        steps: CHAIN,
        p50Ms: +percentile(latencies, 50).toFixed(3),
        p99Ms: +percentile(latencies, 99).toFixed(3),
        rawBullmqP50Ms: +percentile(raw, 50).toFixed(3),
        rawBullmqP99Ms: +percentile(raw, 99).toFixed(3),
        ratioP50: +(percentile(latencies, 50) / percentile(raw, 50)).toFixed(2),
      },
      executions: { count: EXECUTIONS, stepsEach: 10, ms: Math.round(manyMs), rawBullmqMs: Math.round(rawManyMs), ratio: +(rawManyMs / manyMs).toFixed(3), schedulerRestRssMiB: Math.round(restRss / 2 ** 20), schedulerPeakRssMiB: Math.round(peakRss / 2 ** 20) },
    };
    console.log(JSON.stringify(result));
    console.log(
      [
        `distributed runtime (worker concurrency ${CONCURRENCY}, PostgreSQL + Redis on this machine; scheduler in-process, then cairn scheduler in its own process for the last case):`,
        `  fan-out/fan-in 1→${FAN_OUT}→1: ${result.fanOut.ms} ms, ${result.fanOut.stepsPerSec} steps/s vs raw BullMQ ${result.fanOut.rawBullmqJobsPerSec} jobs/s → ${result.fanOut.ratio}× (goal ≥ 0.5×)`,
        `  ${CHAIN}-step chain, dependencies met → step started: p50 ${result.chain.p50Ms} ms, p99 ${result.chain.p99Ms} ms (raw BullMQ add → start: p50 ${result.chain.rawBullmqP50Ms} ms, p99 ${result.chain.rawBullmqP99Ms} ms; goal p50 ≤ 2 ms)`,
        `  ${EXECUTIONS} concurrent executions × 10 steps: ${result.executions.ms} ms vs raw BullMQ ${result.executions.rawBullmqMs} ms for ${EXECUTIONS * 10} jobs → ${result.executions.ratio}×; cairn scheduler (${process.env['CAIRN_CLI_FROM'] ?? 'dist'}) RSS at rest ${result.executions.schedulerRestRssMiB} MiB, peak ${result.executions.schedulerPeakRssMiB} MiB (goal < 250 MiB)`,
      ].join('\n'),
    );
  } finally {
    await client.close();
    await worker.close(1_000);
    await scheduler.close().catch(() => undefined);
    await store.close();
    await dropSchema(databaseUrl, schema);
    const redis = new Redis(connection);
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1_000 }) as AsyncIterable<string[]>) if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
}

await main();
