import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { compilePipeline } from '../compile/compile-pipeline.js';
import { parsePipelineDefinition } from '../definition/parse.js';
import type { Step } from '../definition/steps.js';
import { ErrorCode, OrchestratorError } from '../errors.js';
import type { ExecutionContext, ExecutionHandle, JobState, StepExecutor, StepRequest } from '../executor.js';
import { MemoryStore } from '../store/memory-store.js';
import { makeExecutionRecord } from '../testing/fixtures.js';
import { EmbeddedRuntime } from './embedded-runtime.js';
import { createExecutorRouter } from './executor-router.js';
import { definition, ManualClock, memoryArtifacts, processing, silentLogger, succeeded } from './engine-test-support.js';
import { PipelineLoader } from './pipeline-loader.js';

const text = (steps: unknown[]) => JSON.stringify(definition(steps));

/** A logger whose lines the test reads. */
function capturingLogger() {
  const lines: { level: number; msg: string; executionId?: string; err?: { message: string; code?: string } }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

describe('PipelineLoader', () => {
  it('compiles a definition text once and hands out the same frozen pipeline and text', () => {
    const loader = new PipelineLoader({ logger: silentLogger, clock: new ManualClock() });
    const source = text([processing('A', {}, { Environment: { K: 'v' } }), processing('B', { DependsOn: ['A'] })]);
    const first = loader.get(source);
    const second = loader.get(`${source}`.slice(0));
    expect(second).toBe(first);
    expect(loader.load(makeExecutionRecord({ definition: JSON.parse(JSON.stringify(source)) as string })).compiled).toBe(first.compiled);
    const step = first.compiled.steps.get('A')!;
    for (const frozen of [first.compiled, first.compiled.definition, step, step.step, step.upstream, first.compiled.order, (step.step as Step & { Arguments: { Environment: object } }).Arguments.Environment]) {
      expect(Object.isFrozen(frozen)).toBe(true);
    }
    expect(() => ((step.step.Arguments as Record<string, unknown>)['RoleArn'] = 'changed')).toThrow(TypeError);
  });

  it('keeps at most maxEntries pipelines and maxChars of definition text, least recently used out first', () => {
    const loader = new PipelineLoader({ logger: silentLogger, clock: new ManualClock(), maxEntries: 2 });
    const [a, b, c] = ['A', 'B', 'C'].map((n) => text([processing(n)])) as [string, string, string];
    const loadedA = loader.get(a);
    loader.get(b);
    expect(loader.get(a)).toBe(loadedA);
    const loadedC = loader.get(c); // evicts b, the least recently used
    expect(loader.get(a)).toBe(loadedA);
    const loadedB = loader.get(b); // evicts c
    expect(loader.get(a)).toBe(loadedA);
    expect(loader.get(c)).not.toBe(loadedC);
    expect(loader.get(b)).not.toBe(loadedB); // evicted by c's return

    const small = new PipelineLoader({ logger: silentLogger, clock: new ManualClock(), maxChars: a.length + 1 });
    const kept = small.get(a);
    small.get(b);
    expect(small.get(a)).not.toBe(kept);
  });

  it('shares a submitted pipeline only when it was parsed from text, and never freezes the caller’s objects', () => {
    const loader = new PipelineLoader({ logger: silentLogger, clock: new ManualClock() });
    const input = definition([processing('A', {}, { Environment: { K: 'v' } })]);
    const source = JSON.stringify(input);
    const fromObject = loader.share(source, compilePipeline(parsePipelineDefinition(input)), false);
    expect(Object.isFrozen(fromObject.compiled)).toBe(false);
    expect(Object.isFrozen((input['Steps'] as { Arguments: { Environment: object } }[])[0]!.Arguments.Environment)).toBe(false);
    const owned = compilePipeline(parsePipelineDefinition(source));
    const shared = loader.share(source, owned, true);
    expect(shared.compiled).toBe(owned);
    expect(Object.isFrozen(owned)).toBe(true);
    // Later submissions of the same text get the kept one, whatever they compiled themselves.
    expect(loader.share(source, compilePipeline(parsePipelineDefinition(input)), false).compiled).toBe(owned);
  });
});

/** An executor that records each request and may try to change it. */
class RequestRecorder implements StepExecutor {
  readonly id = 'recorder';
  readonly stepTypes = ['Processing' as const];
  readonly requests: StepRequest[] = [];
  mutationErrors: unknown[] = [];
  constructor(private readonly mutate = false) {}
  async start(request: StepRequest): Promise<ExecutionHandle> {
    this.requests.push(request);
    if (this.mutate) {
      try {
        (request.arguments as Record<string, unknown>)['RoleArn'] = 'arn:changed';
        ((request.step as Step & { Arguments: { Environment: Record<string, string> } }).Arguments.Environment)['K'] = 'changed';
      } catch (err) {
        this.mutationErrors.push(err);
      }
    }
    return { jobName: request.jobName };
  }
  async poll(): Promise<JobState> {
    return { state: 'running' };
  }
  async wait(handle: ExecutionHandle, ctx: ExecutionContext): Promise<JobState> {
    return succeeded(ctx.stepType, String(handle['jobName']));
  }
  async stop(): Promise<void> {}
}

describe('EmbeddedRuntime with shared pipelines', () => {
  const runtimes: EmbeddedRuntime[] = [];
  afterEach(async () => {
    for (const r of runtimes.splice(0)) await r.close();
  });

  function runtimeOf(store: MemoryStore, executor: StepExecutor, options: { logger?: pino.Logger; clock?: ManualClock } = {}) {
    const runtime = new EmbeddedRuntime({ store, executors: createExecutorRouter([executor]), artifacts: memoryArtifacts(), logger: options.logger ?? silentLogger, pollIntervalMs: 10, ...(options.clock ? { clock: options.clock } : {}) });
    runtimes.push(runtime);
    return runtime;
  }

  it('runs executions of one definition on one frozen compiled pipeline; an executor cannot change what another execution runs', async () => {
    const executor = new RequestRecorder(true);
    const runtime = runtimeOf(new MemoryStore(), executor);
    const source = text([processing('A', {}, { Environment: { K: 'v' } }), processing('B', { DependsOn: ['A'] })]);
    const started = await Promise.all([1, 2, 3].map(() => runtime.startExecution({ pipelineName: 'Shared', definition: source })));
    const done = await Promise.all(started.map((e) => runtime.waitForExecution(e.id)));
    expect(done.map((e) => e.status)).toEqual(['Succeeded', 'Succeeded', 'Succeeded']);
    const stepsOfA = executor.requests.filter((r) => r.step.Name === 'A').map((r) => r.step);
    expect(stepsOfA).toHaveLength(3);
    expect(new Set(stepsOfA).size).toBe(1);
    expect(executor.mutationErrors).toHaveLength(6);
    expect(executor.mutationErrors.every((e) => e instanceof TypeError)).toBe(true);
    expect(executor.requests.every((r) => r.arguments['RoleArn'] === 'arn:role')).toBe(true);
  });

  it('skips an execution whose stored definition no longer loads, logs it once, tries it again after the backoff, and adopts the others', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const { logger, lines } = capturingLogger();
    const good = makeExecutionRecord({ runtime: 'embedded', definition: text([processing('A')]) });
    const newer = JSON.stringify({ ...definition([{ Name: 'X', Type: 'QuantumAnneal', Arguments: {} }]) });
    const bad = makeExecutionRecord({ runtime: 'embedded', definition: newer, createdAt: 2_000 });
    await store.createExecution(bad);
    await store.createExecution(good);
    const runtime = runtimeOf(store, new RequestRecorder(), { logger, clock });

    const adopted = await runtime.resume();
    expect(adopted.map((e) => e.id)).toEqual([good.id]);
    expect(runtime.drivenExecutionIds).toEqual([good.id]);
    const errors = () => lines.filter((l) => l.level >= 50);
    expect(errors()).toHaveLength(1);
    expect(errors()[0]).toMatchObject({ executionId: bad.id, msg: 'execution cannot be loaded; resume leaves it undriven and tries it again after retryInMs', err: { code: ErrorCode.DefinitionInvalid } });
    expect(errors()[0]!.err!.message).toMatch(new RegExp(`Execution ${bad.id} .*cannot be loaded.*QuantumAnneal.*To fix: run this scheduler on the Cairn version that started the execution`, 's'));

    // Within the backoff, passes skip it without reading or logging it again.
    lines.length = 0;
    expect(await runtime.resume()).toEqual([]);
    expect(lines).toEqual([]);

    // After the backoff it is tried again; still failing, it is logged at debug level only.
    clock.time += 60_001;
    expect(await runtime.resume()).toEqual([]);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([[20, 'execution still cannot be loaded']]);

    // Asked for explicitly, it is tried at once and the reason is thrown.
    const explicit = await runtime.resumeExecution(bad.id).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(explicit).toBeInstanceOf(OrchestratorError);
    expect(explicit).toMatchObject({ code: ErrorCode.DefinitionInvalid, details: { executionId: bad.id, issues: [expect.objectContaining({ path: 'Steps[0].Type' })] } });
    expect((await store.getExecution(bad.id))?.status).toBe('Executing');
    expect((await store.getExecution(bad.id))?.version).toBe(bad.version);
  });

  it('refuses to retry an execution whose stored definition no longer loads: EXECUTION_NOT_RETRYABLE naming it, the reason and the fix; status unchanged', async () => {
    const store = new MemoryStore();
    const { logger, lines } = capturingLogger();
    const newer = JSON.stringify({ ...definition([{ Name: 'X', Type: 'QuantumAnneal', Arguments: {} }]) });
    const failed = makeExecutionRecord({ runtime: 'embedded', definition: newer, status: 'Failed', pipelineName: 'Churn', pipelineVersion: 3 });
    await store.createExecution(failed);
    const runtime = runtimeOf(store, new RequestRecorder(), { logger });

    const refused = await runtime.retryExecution(failed.id).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(OrchestratorError);
    expect(refused).toMatchObject({
      code: ErrorCode.ExecutionNotRetryable,
      details: { executionId: failed.id, pipelineName: 'Churn', pipelineVersion: 3, issues: [expect.objectContaining({ path: 'Steps[0].Type' })] },
      cause: expect.objectContaining({ code: ErrorCode.DefinitionInvalid }),
    });
    const message = (refused as OrchestratorError).message;
    expect(message).toMatch(new RegExp(`^Execution ${failed.id} \\(pipeline "Churn" version 3\\) cannot be retried: its stored definition does not parse or compile with this version of Cairn\\..*QuantumAnneal.*To fix: retry it with a Cairn version`, 's'));
    expect(message).toContain('its status stays Failed');
    expect(message).not.toMatch(/tried again in|resumeExecution/);

    // One warning says what happened; nothing claims the execution waits for a retry.
    expect(lines.filter((l) => l.level >= 40).map((l) => [l.level, l.msg, l.executionId])).toEqual([[40, 'retry refused: the execution cannot be loaded', failed.id]]);
    expect(lines.some((l) => /until its retry/.test(l.msg))).toBe(false);
    expect(await store.getExecution(failed.id)).toMatchObject({ status: 'Failed', version: failed.version });
    expect(runtime.drivenExecutionIds).toEqual([]);
  });
});
