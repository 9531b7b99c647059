import type { Primitive } from '@cairn/core';
import type { Operand } from '../variables.js';
import { stepWithOutputs, type OutputDeclarations, type OutputProperties } from './output-parameters.js';
import type { CacheableStepOptions, PipelineStep } from './step.js';

/** Arguments of a Callback step. */
export interface CallbackArguments<O extends OutputDeclarations> {
  /** `SqsQueueUrl`: where the step sends its token and arguments. */
  sqsQueueUrl: Operand<string>;
  /** The message body: flat primitives or variables. */
  arguments?: Readonly<Record<string, Operand<Primitive>>>;
  /** Outputs the callback returns, name → type. */
  outputParameters?: O;
}

/** A Callback step: waits until its token is redeemed (reference §4.5). */
export function callback<const O extends OutputDeclarations = Record<never, never>>(
  name: string,
  args: CallbackArguments<O>,
  options: CacheableStepOptions = {},
): PipelineStep<'Callback', OutputProperties<O>> {
  return stepWithOutputs('Callback', name, args, { SqsQueueUrl: args.sqsQueueUrl }, options);
}
