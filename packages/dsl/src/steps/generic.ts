import type { StepType } from '@cairn/core';
import type { UntypedProperties } from '../properties.js';
import { PipelineStep, type JobStepOptions } from './step.js';

/** The newer step types that Cairn accepts and round-trips without typed arguments. */
export type GenericStepType = Exclude<
  StepType,
  | 'Processing'
  | 'Training'
  | 'Tuning'
  | 'AutoML'
  | 'Model'
  | 'RegisterModel'
  | 'Transform'
  | 'Condition'
  | 'Callback'
  | 'Lambda'
  | 'QualityCheck'
  | 'ClarifyCheck'
  | 'EMR'
  | 'Fail'
>;

/** A step of a newer type (`EndpointConfig`, `Endpoint`, `Lineage`, …) whose arguments pass through as given. */
export function genericStep<TType extends GenericStepType>(
  type: TType,
  name: string,
  args: Readonly<Record<string, unknown>>,
  options: JobStepOptions = {},
): PipelineStep<TType, UntypedProperties> {
  return new PipelineStep<TType, UntypedProperties>(name, type, { arguments: args, options });
}
