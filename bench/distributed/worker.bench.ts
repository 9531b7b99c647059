/**
 * Worker-only benchmark: the CPU one `StepWorker` spends per no-op step, beside a plain BullMQ
 * `Worker` with a no-op processor, in the same run, on the same Redis, with the same concurrency (64).
 *
 * Each side gets a `steps`-like queue of its own (own prefix), paused, filled with the same JOBS
 * (10,000) payloads: the real `StepWork`s of the middle steps of a 1 → JOBS → 1 fan-out, added by
 * the scheduler's own `QueueDispatcher` (job ids from `stepJobId`, `addBulk`s of 1,000, the
 * scheduler's job options). Then the worker starts, the queue is resumed, and the round ends when
 * every job is completed (Cairn: and the results stream holds JOBS results, checked after the
 * round). Measured from the resume to the last completion: this process's CPU
 * (`process.cpuUsage`) and Redis's (`INFO cpu`), per job.
 *
 * One unmeasured round per side, then BENCH_WORKER_ROUNDS (5) alternating rounds (Cairn, then raw
 * BullMQ); prints every round on stderr and one JSON line with the medians and the median ratio of
 * CPU per job (Cairn / raw). No assertions. Keys are removed by prefix at the end (obliterated
 * queues, the results stream), also when a round fails.
 *
 * Run: `node --conditions=@cairn/source --import tsx bench/distributed/worker.bench.ts [jobs=10000]`
 * (`REDIS_URL`, default the local server). Profile the worker side with
 * `node --cpu-prof --cpu-prof-dir=/tmp/p2prof --conditions=@cairn/source --import tsx bench/distributed/worker.bench.ts`
 * (BENCH_WORKER_RAW=0 leaves raw BullMQ out; under `--cpu-prof` each round's line gives its measured
 * window on the profiler's clock, `cairnWindowUs` / `rawWindowUs`, to cut the profile to it).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { MemoryStore, compilePipeline, createExecutorRouter, jobNameFor, parsePipelineDefinition, type JsonObject, type StepWork } from '@cairn/core';
import { LOCAL_REDIS_URL, uniqueRedisPrefix } from '@cairn/test-support/redis-server';
import { QueueDispatcher, QueueName, ResultJobSchema, StepWorker, channelNames, redisOptionsFromUrl, resultStreamKey } from '@cairn/worker';
import { fanOut, noArtifacts, noop, startedAt } from './noop.js';

const [JOBS = 10_000] = process.argv.slice(2).map(Number);
const CONCURRENCY = 64;
const ROUNDS = Number(process.env['BENCH_WORKER_ROUNDS'] ?? 5);
const WITH_RAW = process.env['BENCH_WORKER_RAW'] !== '0';
const connection = redisOptionsFromUrl(process.env['REDIS_URL'] ?? LOCAL_REDIS_URL);
const logger = pino({ level: process.env['BENCH_LOG_LEVEL'] ?? 'silent' });
/** Reads Redis's CPU counters and the results stream; also the dispatcher's publisher. */
const redis = new Redis(connection);
/** The scheduler's options of step jobs (`scheduler-service.ts`), so the worker completes jobs as it does in production. */
const STEP_JOB_OPTIONS = { removeOnComplete: false, removeOnFail: { age: 7 * 24 * 3600 }, attempts: 5, backoff: { type: 'exponential', delay: 1_000 } };

/** Prefixes used so far: every key under them is removed at the end. */
const prefixes: string[] = [];

/** One round's figures: wall time, this process's and Redis's CPU per job (µs), and when it ran (monotonic µs, the profiler's clock). */
interface Round {
  ms: number;
  cpuUs: number;
  redisUs: number;
  window: [startUs: number, endUs: number];
  /** Cairn: results per results stream entry (results of jobs finishing in one event-loop turn share one). */
  resultsPerEntry?: number;
}

/** Under `--cpu-prof`, each round's line on stderr carries its window, so a profile can be cut to the measured part. */
const PROFILING = process.execArgv.some((a) => a.startsWith('--cpu-prof'));
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * The `StepWork`s the coordinator dispatches for the middle steps of a 1 → n → 1 fan-out (compiled
 * steps, `jobNameFor`, step-level fields beside `Arguments`, attempt 1), for execution `executionId`.
 */
function fanOutWork(n: number, executionId: string): StepWork[] {
  const compiled = compilePipeline(parsePipelineDefinition(fanOut(n)));
  const pipelineArn = 'arn:aws:sagemaker:local:000000000000:pipeline/fan';
  const work: StepWork[] = [];
  for (const name of compiled.order) {
    const step = compiled.steps.get(name)!.step;
    if (name === 'root' || name === 'sink') continue;
    // The coordinator's step-level fields: what is not Name, Type, Arguments, DependsOn … (a Lambda step: FunctionArn).
    const stepFields = { FunctionArn: (step as { FunctionArn: string }).FunctionArn } as JsonObject;
    work.push({
      executionId,
      executionArn: `${pipelineArn}/execution/${executionId}`,
      pipelineName: 'fan',
      stepName: name,
      stepType: step.Type,
      attempt: 1,
      request: { step, arguments: step.Arguments as JsonObject, jobName: jobNameFor(executionId, name, 1, step.Type), stepFields },
    });
  }
  return work;
}

/** A paused queue under a new prefix, filled with `work` by the scheduler's `QueueDispatcher`. */
async function filledQueue(name: string, work: readonly StepWork[]): Promise<{ queue: Queue; prefix: string }> {
  const prefix = uniqueRedisPrefix();
  prefixes.push(prefix);
  const queue = new Queue(name, { connection, prefix, defaultJobOptions: STEP_JOB_OPTIONS });
  await queue.pause();
  const dispatcher = new QueueDispatcher({ steps: queue, publisher: redis, stopChannel: channelNames(prefix).stop, logger });
  const added = await dispatcher.redispatchMissing(() => {
    for (const w of work) dispatcher.dispatch(w);
    return work.length;
  });
  if (added !== work.length) throw new Error(`only ${added} of ${work.length} jobs were added`);
  return { queue, prefix };
}

/** Redis's CPU time so far (`INFO cpu`), in µs. */
async function redisCpuUs(): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (seconds('used_cpu_sys') + seconds('used_cpu_user')) * 1e6;
}

/** Measures `run` (which resumes the queue and resolves when every job is done): wall time, this process's and Redis's CPU per job. */
async function measure(jobs: number, run: () => Promise<void>): Promise<Round> {
  const redis0 = await redisCpuUs();
  const start = monotonicUs();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const end = monotonicUs();
  const redisUs = (await redisCpuUs()) - redis0;
  return { ms, cpuUs: (cpu.user + cpu.system) / jobs, redisUs: redisUs / jobs, window: [start, end] };
}

/** The results in a results stream (entries hold one `ResultJob` or an array of them), each checked with the scheduler's schema. */
async function countResults(prefix: string): Promise<{ entries: number; results: number; succeeded: number }> {
  let results = 0;
  let succeeded = 0;
  const entries = await redis.xrange(resultStreamKey(prefix), '-', '+');
  for (const [, fields] of entries) {
    const json: unknown = JSON.parse(fields[1]!);
    for (const item of Array.isArray(json) ? json : [json]) {
      const parsed = ResultJobSchema.parse(item);
      results += 1;
      if (parsed.state.state === 'succeeded') succeeded += 1;
    }
  }
  return { entries: entries.length, results, succeeded };
}

/** One Cairn round: a `StepWorker` (no-op executor) takes `JOBS` step jobs; ends when all are completed. */
async function cairnRound(round: number): Promise<Round> {
  const executionId = `bench${String(round + 10).padStart(7, '0')}`;
  const work = fanOutWork(JOBS, executionId);
  const { queue, prefix } = await filledQueue(QueueName.Steps, work);
  startedAt.clear();
  const worker = await StepWorker.start({ connection, prefix, store: new MemoryStore(), router: createExecutorRouter([noop]), artifacts: noArtifacts, logger, concurrency: CONCURRENCY });
  try {
    const figures = await measure(JOBS, async () => {
      await queue.resume();
      // Every job's executor has been called; then wait for the last completions (a few polls).
      while (startedAt.size < JOBS) await sleep(10);
      while ((await queue.getCompletedCount()) < JOBS) await sleep(2);
    });
    const { entries, results, succeeded } = await countResults(prefix);
    if (results !== JOBS || succeeded !== JOBS) throw new Error(`the results stream holds ${results} results (${succeeded} succeeded), not ${JOBS}`);
    return { ...figures, resultsPerEntry: results / entries };
  } finally {
    await worker.close(1_000);
    await queue.obliterate({ force: true });
    await queue.close();
    await redis.del(resultStreamKey(prefix));
  }
}

/** One raw BullMQ round: the same payloads, a plain `Worker` with a no-op processor. */
async function rawRound(round: number): Promise<Round> {
  const { queue } = await filledQueue('raw', fanOutWork(JOBS, `raw${String(round + 10).padStart(9, '0')}`));
  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>((resolve) => (finish = resolve));
  const worker = new Worker('raw', async () => void (++done === JOBS && finish()), { connection, prefix: queue.opts.prefix!, concurrency: CONCURRENCY });
  try {
    await worker.waitUntilReady();
    return await measure(JOBS, async () => {
      await queue.resume();
      await all;
    });
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
}

/** Removes every key under the prefixes used (a round that failed half-way leaves some). */
async function cleanUp(): Promise<void> {
  for (const prefix of prefixes) {
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1_000 }) as AsyncIterable<string[]>) if (keys.length) await redis.del(...keys);
  }
}

async function main(): Promise<void> {
  const cairn: Round[] = [];
  const raw: Round[] = [];
  try {
    for (let round = -1; round < ROUNDS; round += 1) {
      const c = await cairnRound(round);
      const r = WITH_RAW ? await rawRound(round) : undefined;
      const line = { round, cairnMs: Math.round(c.ms), cairnCpuUsPerJob: +c.cpuUs.toFixed(1), cairnRedisUsPerJob: +c.redisUs.toFixed(1), resultsPerEntry: +c.resultsPerEntry!.toFixed(1), ...(r ? { rawMs: Math.round(r.ms), rawCpuUsPerJob: +r.cpuUs.toFixed(1), rawRedisUsPerJob: +r.redisUs.toFixed(1), cpuRatio: +(c.cpuUs / r.cpuUs).toFixed(2) } : {}), ...(PROFILING ? { cairnWindowUs: c.window, ...(r ? { rawWindowUs: r.window } : {}) } : {}) };
      console.error(JSON.stringify(line));
      if (round < 0) continue;
      cairn.push(c);
      if (r) raw.push(r);
    }
  } finally {
    await cleanUp();
  }
  const ratios = raw.map((r, i) => cairn[i]!.cpuUs / r.cpuUs);
  const result = {
    bench: 'worker',
    jobs: JOBS,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    cairnCpuUsPerJob: +median(cairn.map((c) => c.cpuUs)).toFixed(1),
    cairnRedisUsPerJob: +median(cairn.map((c) => c.redisUs)).toFixed(1),
    cairnJobsPerSec: Math.round(JOBS / (median(cairn.map((c) => c.ms)) / 1000)),
    ...(raw.length
      ? {
          rawCpuUsPerJob: +median(raw.map((r) => r.cpuUs)).toFixed(1),
          rawRedisUsPerJob: +median(raw.map((r) => r.redisUs)).toFixed(1),
          rawJobsPerSec: Math.round(JOBS / (median(raw.map((r) => r.ms)) / 1000)),
          cpuRatio: +median(ratios).toFixed(2),
          roundCpuRatios: ratios.map((x) => +x.toFixed(2)),
        }
      : {}),
  };
  console.log(JSON.stringify(result));
}

// A closed stdout (`| head -1`) must not kill the run before its clean-up.
process.stdout.on('error', () => undefined);
try {
  await main();
} finally {
  redis.disconnect();
}
