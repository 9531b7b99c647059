/**
 * Compile benchmark: parse + compile a generated 10,000-step definition (median of several
 * runs after a warm-up; the first, cold run is reported too, since it includes zod compiling the
 * schemas). The graphology graph is built on first access to `compiled.graph`: that cost is
 * reported separately (`graphMsMedian`), it is not part of parse + compile.
 * Run: `node --conditions=@cairn/source --import tsx bench/compile/compile.bench.ts`.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { compilePipeline, parsePipelineDefinition } from '@cairn/core';
import { generateDefinition } from './generate.js';

const STEPS = 10_000;
const WARMUP = 3;
const RUNS = 9;
const GOAL_MS = 300;

const text = JSON.stringify(generateDefinition(STEPS));
// The generated text is larger than SageMaker's 1 MiB: lift that limit only, for the benchmark.
const limits = { maxDefinitionChars: text.length };

/** Wall time of parse and of compile, and the process CPU time of both (less sensitive to a busy machine). */
function once(): { parseMs: number; compileMs: number; cpuMs: number; graphMs: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const definition = parsePipelineDefinition(text, { limits });
  const t1 = performance.now();
  const compiled = compilePipeline(definition);
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  if (compiled.order.length !== STEPS) throw new Error(`expected ${STEPS} steps, got ${compiled.order.length}`);
  const t3 = performance.now();
  if (compiled.graph.order !== STEPS) throw new Error(`expected ${STEPS} graph nodes, got ${compiled.graph.order}`);
  const graphMs = performance.now() - t3;
  return { parseMs: t1 - t0, compileMs: t2 - t1, cpuMs: (cpu.user + cpu.system) / 1000, graphMs };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const cold = once();
for (let i = 1; i < WARMUP; i++) once();
const runs = Array.from({ length: RUNS }, once);
const totals = runs.map((r) => r.parseMs + r.compileMs);
const result = {
  bench: 'compile',
  steps: STEPS,
  definitionChars: text.length,
  runs: RUNS,
  parseMsMedian: Number(median(runs.map((r) => r.parseMs)).toFixed(1)),
  compileMsMedian: Number(median(runs.map((r) => r.compileMs)).toFixed(1)),
  totalMsMedian: Number(median(totals).toFixed(1)),
  cpuMsMedian: Number(median(runs.map((r) => r.cpuMs)).toFixed(1)),
  firstRunMs: Number((cold.parseMs + cold.compileMs).toFixed(1)),
  graphMsMedian: Number(median(runs.map((r) => r.graphMs)).toFixed(1)),
  loadAverage1m: Number(loadavg()[0]!.toFixed(1)),
  goalMs: GOAL_MS,
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
};
console.log(JSON.stringify(result));
console.log(
  `parse+compile of ${STEPS} steps (${(text.length / 1_048_576).toFixed(1)} MiB): median ${result.totalMsMedian} ms ` +
    `(parse ${result.parseMsMedian} ms, compile ${result.compileMsMedian} ms; CPU ${result.cpuMsMedian} ms; load ${result.loadAverage1m}; ` +
    `first run ${result.firstRunMs} ms; graph on first access ${result.graphMsMedian} ms); ` +
    `goal < ${GOAL_MS} ms: ${result.totalMsMedian < GOAL_MS ? 'met' : 'NOT met'}`,
);
