import type { Step } from '../definition/steps.js';
import { ErrorCode, OrchestratorError } from '../errors.js';
import type { ExecutorRouter, StepExecutor } from '../executor.js';

/** Routing overrides: executor ids by step name, by image URI, and a fallback. */
export interface ExecutorRoutes {
  steps?: Record<string, string>;
  images?: Record<string, string>;
  default?: string;
}

/** Where job-like arguments name their container image (first match wins). */
const IMAGE_PATHS: readonly (readonly (string | number)[])[] = [
  ['AppSpecification', 'ImageUri'],
  ['AlgorithmSpecification', 'TrainingImage'],
  ['PrimaryContainer', 'Image'],
  ['Containers', 0, 'Image'],
  ['InferenceSpecification', 'Containers', 0, 'Image'],
  ['TrainingJobDefinition', 'AlgorithmSpecification', 'TrainingImage'],
  ['TrainingJobDefinitions', 0, 'AlgorithmSpecification', 'TrainingImage'],
];

/** The literal image URI of a step, if its arguments name one (expressions are not resolved here). */
export function imageOf(step: Step): string | undefined {
  for (const path of IMAGE_PATHS) {
    let v: unknown = step.Arguments;
    for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[seg] : undefined;
    if (typeof v === 'string') return v;
  }
  return undefined;
}

/**
 * Routes a step to an executor: by step name, then by image URI, then by step type (the first
 * executor listing it), then `routes.default`. A route naming an unknown executor is a
 * `CONFIG_INVALID` error at creation.
 */
export function createExecutorRouter(executors: StepExecutor[], routes: ExecutorRoutes = {}): ExecutorRouter {
  const byId = new Map(executors.map((e) => [e.id, e]));
  const named = [...Object.values(routes.steps ?? {}), ...Object.values(routes.images ?? {}), ...(routes.default ? [routes.default] : [])];
  const unknown = named.filter((id) => !byId.has(id));
  if (unknown.length > 0) {
    throw new OrchestratorError(ErrorCode.ConfigInvalid, `Executor routes name unknown executor(s) ${[...new Set(unknown)].join(', ')}.`, {
      fix: `route to one of the registered executors: ${[...byId.keys()].join(', ') || '(none registered)'}.`,
    });
  }
  const route = (step: Step): StepExecutor | undefined => {
    const image = imageOf(step);
    const id = routes.steps?.[step.Name] ?? (image !== undefined ? routes.images?.[image] : undefined);
    if (id) return byId.get(id);
    return executors.find((e) => e.stepTypes.includes(step.Type)) ?? (routes.default ? byId.get(routes.default) : undefined);
  };
  // Without routes by step name or image, the step type decides: one lookup per type (a worker
  // receives a new step object with every job, so a cache by object would only grow the GC's work).
  if (!routes.steps && !routes.images) {
    const byType = new Map<string, StepExecutor | undefined>();
    return {
      executors,
      executorFor(step) {
        if (!byType.has(step.Type)) byType.set(step.Type, route(step));
        return byType.get(step.Type);
      },
    };
  }
  // Routes are fixed, and compiled steps are shared by every attempt: route each step once.
  const routed = new WeakMap<Step, StepExecutor | undefined>();
  return {
    executors,
    executorFor(step) {
      if (!routed.has(step)) routed.set(step, route(step));
      return routed.get(step);
    },
  };
}
