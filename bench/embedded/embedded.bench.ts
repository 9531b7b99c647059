/**
 * Embedded runtime benchmark: a 10,000-step no-op DAG (a chain, and a fan-out of one root with
 * 9,999 children) executed through `EmbeddedRuntime` with a no-op executor, on the SQLite store
 * (temp file, WAL) and, for comparison, the memory store. Goal: ≥ 10,000 steps/s.
 * Run: `node --conditions=@cairn/source --import tsx bench/embedded/embedded.bench.ts [steps] [store:shape …]` (e.g. `sqlite:chain`
 * to run one case only, for profiling). "run" is from `startExecution`
 * returning to the execution's end; "start" is parse + compile + storing the pipeline version.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import {
  EmbeddedRuntime,
  MemoryStore,
  SqliteStore,
  createExecutorRouter,
  type CairnStore,
  type PipelineDefinition,
  type StepExecutor,
} from '@cairn/core';

const STEPS = Number(process.argv[2] ?? 10_000);
/** Cases to run (`store:shape`); all when none are named. */
const ONLY = process.argv.slice(3);

/** Succeeds at once: what is left is the engine's own cost per step. */
const noop: StepExecutor = {
  id: 'noop',
  stepTypes: ['Lambda'],
  start: async () => ({}),
  poll: async () => ({ state: 'succeeded', properties: {} }),
  stop: async () => undefined,
  wait: async () => ({ state: 'succeeded', properties: { OutputParameters: {} } }),
};

function lambda(name: string, dependsOn: string[]): Record<string, unknown> {
  return { Name: name, Type: 'Lambda', Arguments: {}, FunctionArn: 'arn:aws:lambda:local:0:function:noop', ...(dependsOn.length ? { DependsOn: dependsOn } : {}) };
}

const shapes: Record<string, () => unknown[]> = {
  chain: () => Array.from({ length: STEPS }, (_, i) => lambda(`s${i}`, i ? [`s${i - 1}`] : [])),
  'fan-out': () => Array.from({ length: STEPS }, (_, i) => lambda(`s${i}`, i ? ['s0'] : [])),
};

async function measure(store: CairnStore, shape: string): Promise<{ total: number; run: number; cpu: number }> {
  const runtime = new EmbeddedRuntime({
    store,
    executors: createExecutorRouter([noop]),
    artifacts: { id: 'none', readText: async () => '', digest: async () => undefined },
    logger: pino({ level: 'silent' }),
  });
  const definition = { Version: '2020-12-01', Steps: shapes[shape]!() } as PipelineDefinition;
  const t0 = performance.now();
  const started = await runtime.startExecution({ pipelineName: `bench-${shape}`, definition });
  const t1 = performance.now();
  const cpu0 = process.cpuUsage();
  const done = await runtime.waitForExecution(started.id);
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  await runtime.close();
  if (done.status !== 'Succeeded') throw new Error(`execution ${done.status}: ${done.failureReason}`);
  const recorded = await store.listStepExecutions(done.id);
  if (recorded.length !== STEPS) throw new Error(`expected ${STEPS} step records, found ${recorded.length}`);
  return { total: t2 - t0, run: t2 - t1, cpu: (cpu.user + cpu.system) / 1000 };
}

const rows: Record<string, string | number>[] = [];
for (const storeKind of ['sqlite', 'memory'] as const) {
  for (const shape of Object.keys(shapes)) {
    if (ONLY.length > 0 && !ONLY.includes(`${storeKind}:${shape}`)) continue;
    const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-'));
    const store = storeKind === 'sqlite' ? await SqliteStore.open({ path: join(dir, 'cairn.db') }) : new MemoryStore();
    try {
      const { total, run, cpu } = await measure(store, shape);
      rows.push({
        store: storeKind,
        shape,
        steps: STEPS,
        'start (parse+compile+store) ms': Math.round(total - run),
        'run ms': Math.round(run),
        'steps/s (run)': Math.round(STEPS / (run / 1000)),
        'steps/s (total)': Math.round(STEPS / (total / 1000)),
        'µs/step (run)': Number(((run * 1000) / STEPS).toFixed(1)),
        // CPU time is steadier than wall time on a busy machine.
        'CPU µs/step (run)': Number(((cpu * 1000) / STEPS).toFixed(1)),
      });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
console.table(rows);
