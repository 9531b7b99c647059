import type { PipelineCondition } from '../conditions.js';
import type { Property } from '../properties.js';
import { PipelineStep, type StepOptions } from './step.js';

/** Arguments of a Condition step. */
export interface ConditionArguments {
  /** Conditions, combined with AND. */
  conditions: readonly PipelineCondition[];
  /** Steps run when every condition holds. */
  ifSteps?: readonly PipelineStep[];
  /** Steps run otherwise. */
  elseSteps?: readonly PipelineStep[];
}

/** Properties of a Condition step: only `Outcome`. */
export interface ConditionProperties {
  /** Whether the conditions held. */
  readonly Outcome: Property<boolean>;
}

/** A Condition step: branches to `ifSteps` or `elseSteps` (reference §4.4). */
export function condition(
  name: string,
  args: ConditionArguments,
  options: StepOptions = {},
): PipelineStep<'Condition', ConditionProperties> {
  return new PipelineStep<'Condition', ConditionProperties>(name, 'Condition', {
    arguments: { Conditions: args.conditions, IfSteps: args.ifSteps ?? [], ElseSteps: args.elseSteps ?? [] },
    options,
  });
}
