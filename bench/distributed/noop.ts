import { performance } from 'node:perf_hooks';
import type { JsonObject, PipelineDefinition, StepExecutor } from '@cairn/core';

/** When each step's executor was called (performance.now()), by `<execution>/<step>`. */
export const startedAt = new Map<string, number>();

/** A Lambda executor that succeeds at once: what is left is the runtime's own cost per step. */
export const noop: StepExecutor = {
  id: 'noop',
  stepTypes: ['Lambda'],
  start: async (_request, ctx) => {
    startedAt.set(`${ctx.executionId}/${ctx.stepName}`, performance.now());
    return {};
  },
  poll: async () => ({ state: 'succeeded', properties: {} }),
  stop: async () => undefined,
  wait: async () => ({ state: 'succeeded', properties: { OutputParameters: {} } }),
};

/** Artifacts are never read by no-op steps. */
export const noArtifacts = { id: 'none', readText: async () => '', digest: async () => undefined };

function lambda(name: string, dependsOn: string[]): JsonObject {
  // Short names and ARN: a 10,002-step definition must stay under the 1 MiB text limit (the scheduler re-reads it).
  return { Name: name, Type: 'Lambda', Arguments: {}, FunctionArn: 'noop', ...(dependsOn.length ? { DependsOn: dependsOn } : {}) };
}
const definition = (steps: JsonObject[]) => ({ Version: '2020-12-01', Steps: steps }) as unknown as PipelineDefinition;
/** 1 → n → 1. */
export const fanOut = (n: number) => definition([lambda('root', []), ...Array.from({ length: n }, (_, i) => lambda(`s${i}`, ['root'])), lambda('sink', Array.from({ length: n }, (_, i) => `s${i}`))]);
/** s0 → s1 → … */
export const chain = (n: number) => definition(Array.from({ length: n }, (_, i) => lambda(`s${i}`, i ? [`s${i - 1}`] : [])));
