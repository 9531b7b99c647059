import type { RetryExceptionType, StepType } from '@cairn/core';
import { createProperties } from '../properties.js';
import type { PropertyFile } from '../property-files.js';
import { RENDER_STEP, serializeValue, type RenderContext, type Renderable } from '../serialize.js';

/** A retry policy (reference §3.2): `MaxAttempts` or `ExpireAfterMin`, never both. */
export type RetryPolicy<E extends RetryExceptionType = RetryExceptionType> = {
  /** Exception types this policy applies to. */
  ExceptionType: readonly E[];
  /** Delay before the first retry, in seconds. @defaultValue 1 */
  IntervalSeconds?: number;
  /** Multiplier of the interval per attempt. @defaultValue 2 */
  BackoffRate?: number;
} & ({ MaxAttempts?: number; ExpireAfterMin?: never } | { ExpireAfterMin: number; MaxAttempts?: never });

/** Step caching (reference §3.1); `ExpireAfter` is an ISO-8601 duration such as `PT1H`. */
export interface CacheConfig {
  Enabled: boolean;
  ExpireAfter?: string;
}

/** Keys every step accepts. */
export interface StepOptions {
  /** `DisplayName` of the step. */
  displayName?: string;
  /** `Description` of the step. */
  description?: string;
  /** Steps (or step names) that must finish first, besides those the step references. */
  dependsOn?: readonly (PipelineStep | string)[];
}

/** Options of steps that can be cached. */
export interface CacheableStepOptions extends StepOptions {
  /** `CacheConfig` of the step. */
  cacheConfig?: CacheConfig;
}

/** Options of SageMaker job steps: caching and retry policies. */
export interface JobStepOptions extends CacheableStepOptions {
  /** `RetryPolicies` of the step. */
  retryPolicies?: readonly RetryPolicy[];
}

/** What a builder hands to `PipelineStep`: the arguments and the step-level keys beside them. @internal */
export interface StepBody {
  arguments: unknown;
  /** Type-specific keys beside `Arguments` (e.g. `FunctionArn`, `CheckType`). */
  fields?: Record<string, unknown>;
  options: StepOptions & { cacheConfig?: CacheConfig; retryPolicies?: readonly RetryPolicy[] };
  propertyFiles?: readonly PropertyFile[];
}

/** A step of a pipeline; `properties` are typed references to what it produces. */
export class PipelineStep<TType extends StepType = StepType, TProperties = unknown> implements Renderable {
  /** Typed references to the step's properties (reference §6). */
  readonly properties: TProperties;

  constructor(
    readonly name: string,
    readonly type: TType,
    private readonly body: StepBody,
  ) {
    this.properties = createProperties(this) as TProperties;
    for (const file of body.propertyFiles ?? []) file.attach(this);
  }

  /** Renders the step object (reference §3). @internal */
  [RENDER_STEP](ctx: RenderContext, path: string): Record<string, unknown> {
    const { displayName, description, dependsOn, cacheConfig, retryPolicies } = this.body.options;
    const dependsOnNames = (dependsOn ?? []).map((d) => {
      if (typeof d === 'string') return d;
      ctx.reference(d);
      return d.name;
    });
    return {
      Name: this.name,
      Type: this.type,
      Arguments: serializeValue(this.body.arguments, ctx, `${path}.Arguments`),
      ...(serializeValue(this.body.fields ?? {}, ctx, path) as Record<string, unknown>),
      ...(dependsOnNames.length > 0 ? { DependsOn: dependsOnNames } : {}),
      ...(displayName === undefined ? {} : { DisplayName: displayName }),
      ...(description === undefined ? {} : { Description: description }),
      ...(cacheConfig === undefined ? {} : { CacheConfig: { ...cacheConfig } }),
      ...(retryPolicies === undefined ? {} : { RetryPolicies: serializeValue(retryPolicies, ctx, `${path}.RetryPolicies`) }),
      ...(this.body.propertyFiles === undefined ? {} : { PropertyFiles: this.body.propertyFiles.map((f) => f.declaration()) }),
    };
  }
}
