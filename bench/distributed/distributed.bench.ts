/**
 * Distributed runtime benchmark, each figure beside raw BullMQ doing the same number of no-op jobs
 * on the same Redis (same process, same worker concurrency), reported as a ratio:
 * 1. throughput of a 1 → N → 1 fan-out/fan-in of no-op steps (goal ≥ 0.5× raw BullMQ);
 * 2. a chain: per-step latency from "dependencies met" (the scheduler has recorded the previous
 *    step's success) to "step started" (a worker calls the executor), p50 and p99 (goal p50 ≤ 2 ms);
 * 3. many concurrent executions of a 10-step pipeline: total time and peak RSS (goal < 250 MiB).
 * The fan-out is measured in two topologies: scheduler and worker in this process (as `cairn serve`
 * runs them), then `cairn scheduler` from the build (dist/, plain Node, lineage on; built first when
 * missing or stale) in its own process with the worker in this process (as `cairn scheduler` +
 * `cairn worker` run). Each: one unmeasured round, then BENCH_FAN_ROUNDS (3) alternating rounds
 * (Cairn, then raw BullMQ); the median ratio is reported with every round's. The chain runs with the
 * in-process scheduler; the last case with a fresh `cairn scheduler` process whose RSS is sampled
 * from /proc (at rest, then the peak).
 * Run: `node --conditions=@cairn/source --import tsx bench/distributed/distributed.bench.ts [fanOut=10000] [chain=2000] [executions=1000]`
 * (0 skips the chain or the executions case) with REDIS_URL / DATABASE_URL (defaults: the local
 * servers). Prints one JSON line, then a summary. BENCH_VERBOSE=1 prints each round (CPU per step of
 * this process, the scheduler process, Redis, PostgreSQL and the machine; Redis commands per step);
 * BENCH_FAN_SEPARATE=0 skips the second topology; BENCH_SCHEDULER_NODE_ARGS passes node flags to the
 * scheduler process (e.g. `--cpu-prof`).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { PostgresStore, createExecutorRouter, type ExecutionObserver, type ExecutionRecord, type PipelineDefinition } from '@cairn/core';
import { LOCAL_DATABASE_URL, createSchema, dropSchema } from '@cairn/test-support/postgres-server';
import { LOCAL_REDIS_URL, uniqueRedisPrefix } from '@cairn/test-support/redis-server';
import { ClusterClient, SchedulerService, StepWorker, redisOptionsFromUrl } from '@cairn/worker';
import { chain, fanOut, noArtifacts, noop, startedAt } from './noop.js';

const [FAN_OUT = 10_000, CHAIN = 2_000, EXECUTIONS = 1_000] = process.argv.slice(2).map(Number);
const CONCURRENCY = 64;
/** Measured fan-out rounds per topology (each: Cairn, then raw BullMQ, after one unmeasured round); the median ratio is reported. */
const FAN_ROUNDS = Number(process.env['BENCH_FAN_ROUNDS'] ?? 3);
/** Whether the fan-out is measured a second time with `cairn scheduler` in its own process (`BENCH_FAN_SEPARATE=0` skips it). */
const FAN_SEPARATE = process.env['BENCH_FAN_SEPARATE'] !== '0';
/** BENCH_VERBOSE=1: each fan-out round's figures and Redis commands per step on stderr. */
const VERBOSE = Boolean(process.env['BENCH_VERBOSE']);
const databaseUrl = process.env['DATABASE_URL'] ?? LOCAL_DATABASE_URL;
const redisUrl = process.env['REDIS_URL'] ?? LOCAL_REDIS_URL;
const connection = redisOptionsFromUrl(redisUrl);
const logger = pino({ level: process.env['BENCH_LOG_LEVEL'] ?? 'silent' });
/** Reads Redis's own CPU counters (`INFO cpu`). */
const statsRedis = new Redis(connection);

/** When the scheduler recorded each step's success. */
const finishedAt = new Map<string, number>();

const observer: ExecutionObserver = { onStepFinished: (execution, step) => void finishedAt.set(`${execution.id}/${step.stepName}`, performance.now()) };

/** Raw BullMQ: `jobs` no-op jobs added in bulk and processed by one worker of the same concurrency; resolves the time, this process's CPU time (µs), and Redis's and the machine's per job (see `machineCpu`). */
async function rawRun(jobs: number): Promise<{ ms: number; cpuUs: number; redisUs: number; postgresUs: number; totalUs: number }> {
  const prefix = uniqueRedisPrefix();
  const queue = new Queue('raw', { connection, prefix, defaultJobOptions: { removeOnComplete: true } });
  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>((r) => (finish = r));
  const worker = new Worker('raw', async () => void (++done === jobs && finish()), { connection, prefix, concurrency: CONCURRENCY });
  await worker.waitUntilReady();
  const machine0 = await machineCpu();
  const commands0 = VERBOSE ? await redisCommandStats() : undefined;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < jobs; i += 1_000) await queue.addBulk(Array.from({ length: Math.min(1_000, jobs - i) }, (_, k) => ({ name: 'noop', data: { i: i + k } })));
  await all;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const machine = (await machineCpu()).since(machine0, jobs);
  if (commands0) console.error(JSON.stringify({ raw: true, redisCommandsPerJob: perStepCommands(commands0, await redisCommandStats(), jobs) }));
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return { ms, cpuUs: cpu.user + cpu.system, redisUs: machine.redisUs, postgresUs: machine.postgresUs, totalUs: machine.totalUs };
}

/**
 * CPU time used so far by the whole machine (/proc/stat, every process: this one, Redis, PostgreSQL,
 * a scheduler process) and by Redis (`INFO cpu`), for per-step figures: `since(earlier, n)` gives
 * both per unit of work, in µs.
 */
async function machineCpu(): Promise<{ totalUs: number; redisUs: number; postgresUs: number; since(earlier: { totalUs: number; redisUs: number; postgresUs: number }, n: number): { totalUs: number; redisUs: number; postgresUs: number } }> {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait; USER_HZ is 100.
  const totalUs = (ticks.reduce((a, b) => a + b, 0) - ticks[3]! - ticks[4]!) * 10_000;
  const info = await statsRedis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  const redisUs = (seconds('used_cpu_sys') + seconds('used_cpu_user')) * 1e6;
  const postgresUs = processesCpuUs('postgres');
  const per = (value: number, earlier: number, n: number) => Math.round((value - earlier) / n);
  return { totalUs, redisUs, postgresUs, since: (earlier, n) => ({ totalUs: per(totalUs, earlier.totalUs, n), redisUs: per(redisUs, earlier.redisUs, n), postgresUs: per(postgresUs, earlier.postgresUs, n) }) };
}

/** Redis's per-command counters (`INFO commandstats`): calls and µs by command. */
async function redisCommandStats(): Promise<Map<string, { calls: number; usec: number }>> {
  const out = new Map<string, { calls: number; usec: number }>();
  for (const m of (await statsRedis.info('commandstats')).matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)) out.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  return out;
}

/** The commands that cost Redis the most between two snapshots, per step: `command: calls/step, µs/step`. */
function perStepCommands(before: Map<string, { calls: number; usec: number }>, after: Map<string, { calls: number; usec: number }>, steps: number): Record<string, string> {
  const rows = [...after].map(([name, a]) => ({ name, calls: (a.calls - (before.get(name)?.calls ?? 0)) / steps, usec: (a.usec - (before.get(name)?.usec ?? 0)) / steps }));
  return Object.fromEntries(rows.filter((r) => r.calls > 0).sort((x, y) => y.usec - x.usec).slice(0, 10).map((r) => [r.name, `${r.calls.toFixed(2)} calls, ${r.usec.toFixed(1)} µs`]));
}

/** CPU time (µs) used so far by the live processes named `name` (/proc; backends that exited meanwhile are missed). */
function processesCpuUs(name: string): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== name) continue;
      // With the time of the children it reaped: PostgreSQL's postmaster keeps that of exited backends and autovacuum workers.
      total += processCpuUs(Number(pid), true);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** CPU time (µs) a process used so far (/proc/<pid>/stat utime + stime, and cutime + cstime of its reaped children if asked; USER_HZ 100). */
function processCpuUs(pid: number, reapedChildren = false): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const own = Number(fields[11]) + Number(fields[12]);
  return (reapedChildren ? own + Number(fields[13]) + Number(fields[14]) : own) * 10_000;
}

/** Raw BullMQ's time for `jobs` no-op jobs (see `rawRun`). */
async function rawThroughput(jobs: number): Promise<number> {
  return (await rawRun(jobs)).ms;
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
  // BENCH_SCHEDULER_NODE_ARGS: extra node flags for the scheduler (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
  const nodeArgs = process.env['BENCH_SCHEDULER_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, join(repo, 'packages/worker/bin/cairn.js'), ...args], { env: { ...process.env, CAIRN_CLI_FROM: process.env['CAIRN_CLI_FROM'] ?? 'dist' }, stdio: ['ignore', 'ignore', 'pipe'] });
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

/** When, after submission, the fan-out's root, first and last middle step and sink started (ms). */
function fanPhases(executionId: string, t0: number): Record<string, number> {
  const at = (step: string) => (startedAt.get(`${executionId}/${step}`) ?? NaN) - t0;
  const middle = Array.from({ length: FAN_OUT }, (_, i) => at(`s${i}`));
  return { rootStarted: Math.round(at('root')), firstMiddleStarted: Math.round(Math.min(...middle)), lastMiddleStarted: Math.round(Math.max(...middle)), sinkStarted: Math.round(at('sink')) };
}

/** Fan-out figures of one topology. */
interface FanOutFigures {
  steps: number;
  ms: number;
  stepsPerSec: number;
  rawBullmqJobsPerSec: number;
  ratio: number;
  roundRatios: number[];
  phasesMs: Record<string, number>;
}

function fanLine(f: FanOutFigures): string {
  return `${f.ms} ms, ${f.stepsPerSec} steps/s vs raw BullMQ ${f.rawBullmqJobsPerSec} jobs/s → ${f.ratio}× (median of ${f.roundRatios.length} rounds: ${f.roundRatios.join(', ')}; goal ≥ 0.5×)`;
}

/**
 * The fan-out case: one unmeasured round (JIT and heap at the size of the case, on both sides), then
 * `FAN_ROUNDS` alternating rounds (Cairn, then raw BullMQ) on the same machine state; the round
 * with the median ratio is reported, with every round's ratio.
 */
async function measureFanOut(run: (name: string, pipeline: PipelineDefinition) => Promise<ExecutionRecord>, schedulerPid?: number): Promise<{ ok: boolean; figures: FanOutFigures }> {
  const fanText = fanOut(FAN_OUT);
  const steps = FAN_OUT + 2;
  const rounds: { ms: number; rawMs: number; ok: boolean; phases: Record<string, number> }[] = [];
  for (let round = -1; round < FAN_ROUNDS; round += 1) {
    const machine0 = await machineCpu();
    const commands0 = VERBOSE ? await redisCommandStats() : undefined;
    const scheduler0 = schedulerPid ? processCpuUs(schedulerPid) : 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const fan = await run('fan', fanText);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const machine = (await machineCpu()).since(machine0, steps);
    if (commands0) console.error(JSON.stringify({ round, redisCommandsPerStep: perStepCommands(commands0, await redisCommandStats(), steps) }));
    const raw = await rawRun(steps);
    const phases = {
      ...fanPhases(fan.id, t0),
      benchProcessCpuUsPerStep: Math.round((cpu.user + cpu.system) / steps),
      redisCpuUsPerStep: machine.redisUs,
      postgresCpuUsPerStep: machine.postgresUs,
      ...(schedulerPid ? { schedulerProcessCpuUsPerStep: Math.round((processCpuUs(schedulerPid) - scheduler0) / steps) } : {}),
      machineCpuUsPerStep: machine.totalUs,
      rawBullmqCpuUsPerJob: Math.round(raw.cpuUs / steps),
      rawBullmqRedisCpuUsPerJob: raw.redisUs,
      rawBullmqMachineCpuUsPerJob: raw.totalUs,
    };
    if (VERBOSE) console.error(JSON.stringify({ round, ms: Math.round(ms), rawMs: Math.round(raw.ms), ...phases }));
    if (round >= 0) rounds.push({ ms, rawMs: raw.ms, ok: fan.status === 'Succeeded', phases });
  }
  const ratios = rounds.map((r) => r.rawMs / r.ms);
  const median = rounds[ratios.indexOf([...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!)]!;
  return {
    ok: rounds.every((r) => r.ok),
    figures: {
      steps,
      ms: Math.round(median.ms),
      stepsPerSec: Math.round((steps / median.ms) * 1000),
      rawBullmqJobsPerSec: Math.round((steps / median.rawMs) * 1000),
      ratio: +(median.rawMs / median.ms).toFixed(3),
      roundRatios: ratios.map((r) => +r.toFixed(3)),
      phasesMs: median.phases,
    },
  };
}

/** Runs `measure` while `cairn scheduler` (see `spawnScheduler`) drives the prefix, then stops it. */
async function withSchedulerProcess<T>(schema: string, prefix: string, measure: (pid: number) => Promise<T>): Promise<T> {
  const { child } = await spawnScheduler(schema, prefix);
  try {
    return await measure(child.pid!);
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

/** The chain case: per-step latency from "dependencies met" to "step started", beside raw BullMQ's add → start. */
async function measureChain(run: (name: string, pipeline: PipelineDefinition) => Promise<ExecutionRecord>): Promise<{ ok: boolean; figures: Record<string, number> }> {
  const chained = await run('chain', chain(CHAIN));
  const latencies = Array.from({ length: CHAIN - 1 }, (_, i) => startedAt.get(`${chained.id}/s${i + 1}`)! - finishedAt.get(`${chained.id}/s${i}`)!);
  const raw = await rawChain(CHAIN);
  return {
    ok: chained.status === 'Succeeded',
    figures: {
      steps: CHAIN,
      p50Ms: +percentile(latencies, 50).toFixed(3),
      p99Ms: +percentile(latencies, 99).toFixed(3),
      rawBullmqP50Ms: +percentile(raw, 50).toFixed(3),
      rawBullmqP99Ms: +percentile(raw, 99).toFixed(3),
      ratioP50: +(percentile(latencies, 50) / percentile(raw, 50)).toFixed(2),
    },
  };
}

/** The many-executions case, with a fresh `cairn scheduler` in its own process, so its memory is measured alone. */
async function measureExecutions(client: ClusterClient, schema: string, prefix: string): Promise<{ ok: boolean; figures: Record<string, number> }> {
  const { child, restRss } = await spawnScheduler(schema, prefix);
  let peakRss = restRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssOf(child.pid!))), 100);
  const ten = chain(10);
  const t0 = performance.now();
  const many = await Promise.all(Array.from({ length: EXECUTIONS }, () => client.startExecution({ pipelineName: 'many', definition: ten })));
  const finals = await Promise.all(many.map((e) => client.waitForExecution(e.id)));
  const manyMs = performance.now() - t0;
  clearInterval(sampler);
  child.kill('SIGTERM');
  await once(child, 'exit');
  const rawManyMs = await rawThroughput(EXECUTIONS * 10);
  return {
    ok: finals.every((f) => f.status === 'Succeeded'),
    figures: { count: EXECUTIONS, stepsEach: 10, ms: Math.round(manyMs), rawBullmqMs: Math.round(rawManyMs), ratio: +(rawManyMs / manyMs).toFixed(3), schedulerRestRssMiB: Math.round(restRss / 2 ** 20), schedulerPeakRssMiB: Math.round(peakRss / 2 ** 20) },
  };
}

/**
 * Empties the execution tables, so a `cairn scheduler` starts on an empty store as the in-process
 * scheduler did. It would otherwise check the lineage of the executions that ended in the last
 * 5 minutes (`recoverEndedExecutionsLineage`): it would take the in-process rounds' executions (run
 * without lineage) for executions whose lineage a crash cut off and record it during the measured
 * rounds, and the 10,000-step records it reads for that would count in the executions case's RSS.
 */
async function forgetExecutions(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`truncate table "${schema}".executions, "${schema}".step_executions, "${schema}".step_cache_entries`);
  } finally {
    await client.end();
  }
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
    // Warm-up: connections, prepared paths.
    await run('warmup', fanOut(100));
    const fanInProcess = await measureFanOut(run);
    const chainCase = CHAIN > 0 ? await measureChain(run) : undefined;
    // From here the scheduler runs as operators run it, in its own process.
    await scheduler.close();
    await forgetExecutions(schema);
    const fanSeparate = FAN_SEPARATE ? await withSchedulerProcess(schema, prefix, (pid) => measureFanOut(run, pid)) : undefined;
    // Its scheduler's memory is that of these executions, not of a start-up check of the fan-outs' lineage.
    if (EXECUTIONS > 0) await forgetExecutions(schema);
    const executionsCase = EXECUTIONS > 0 ? await measureExecutions(client, schema, prefix) : undefined;
    const ok = fanInProcess.ok && (fanSeparate?.ok ?? true) && (chainCase?.ok ?? true) && (executionsCase?.ok ?? true);
    const result = {
      bench: 'distributed',
      ok,
      concurrency: CONCURRENCY,
      fanOut: fanInProcess.figures,
      fanOutSchedulerProcess: fanSeparate?.figures,
      chain: chainCase?.figures,
      executions: executionsCase?.figures,
    };
    console.log(JSON.stringify(result));
    console.log(
      [
        `distributed runtime (worker concurrency ${CONCURRENCY}, PostgreSQL + Redis on this machine; one worker in this process; the scheduler in this process, then cairn scheduler from dist/ in its own process):`,
        `  fan-out/fan-in 1→${FAN_OUT}→1, scheduler and worker in this process: ${fanLine(result.fanOut)}`,
        ...(result.fanOutSchedulerProcess ? [`  fan-out/fan-in 1→${FAN_OUT}→1, cairn scheduler in its own process, worker in this process: ${fanLine(result.fanOutSchedulerProcess)}`] : []),
        ...(result.chain ? [`  ${CHAIN}-step chain, dependencies met → step started: p50 ${result.chain.p50Ms} ms, p99 ${result.chain.p99Ms} ms (raw BullMQ add → start: p50 ${result.chain.rawBullmqP50Ms} ms, p99 ${result.chain.rawBullmqP99Ms} ms; goal p50 ≤ 2 ms)`] : []),
        ...(result.executions
          ? [`  ${EXECUTIONS} concurrent executions × 10 steps: ${result.executions.ms} ms vs raw BullMQ ${result.executions.rawBullmqMs} ms for ${EXECUTIONS * 10} jobs → ${result.executions.ratio}×; cairn scheduler (${process.env['CAIRN_CLI_FROM'] ?? 'dist'}) RSS at rest ${result.executions.schedulerRestRssMiB} MiB, peak ${result.executions.schedulerPeakRssMiB} MiB (goal < 250 MiB)`]
          : []),
      ].join('\n'),
    );
  } finally {
    await client.close();
    await worker.close(1_000);
    await scheduler.close().catch(() => undefined);
    await store.close();
    await dropSchema(databaseUrl, schema);
    statsRedis.disconnect();
    const redis = new Redis(connection);
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1_000 }) as AsyncIterable<string[]>) if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
}

// A closed stdout (`| head -1`) must not kill the run before its clean-up (Redis keys, the schema).
process.stdout.on('error', () => undefined);
await main();
