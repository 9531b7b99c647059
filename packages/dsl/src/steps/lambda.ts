import type { Operand } from '../variables.js';
import { stepWithOutputs, type OutputDeclarations, type OutputProperties } from './output-parameters.js';
import type { CacheableStepOptions, PipelineStep } from './step.js';

/** Arguments of a Lambda step. */
export interface LambdaArguments<O extends OutputDeclarations> {
  /** `FunctionArn` of the function to invoke. */
  functionArn: Operand<string>;
  /** The event passed to the function (values may be variables). */
  arguments?: Readonly<Record<string, unknown>>;
  /** Outputs the function returns, name → type. */
  outputParameters?: O;
}

/** A Lambda step: invokes a function with `arguments` as the event (reference §4.5). */
export function lambda<const O extends OutputDeclarations = Record<never, never>>(
  name: string,
  args: LambdaArguments<O>,
  options: CacheableStepOptions = {},
): PipelineStep<'Lambda', OutputProperties<O>> {
  return stepWithOutputs('Lambda', name, args, { FunctionArn: args.functionArn }, options);
}
