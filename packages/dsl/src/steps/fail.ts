import type { Operand } from '../variables.js';
import { PipelineStep, type StepOptions } from './step.js';

/** A Fail step: ends the execution as Failed with `errorMessage`; it has no properties. */
export function fail(
  name: string,
  args: { errorMessage?: Operand<string> } = {},
  options: StepOptions = {},
): PipelineStep<'Fail', Record<never, never>> {
  return new PipelineStep<'Fail', Record<never, never>>(name, 'Fail', {
    arguments: { ErrorMessage: args.errorMessage ?? '' },
    options,
  });
}
