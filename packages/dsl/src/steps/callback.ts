import type { Primitive } from '@cairn/core';
import type { Operand } from '../variables.js';
import { outputParameterList, type OutputDeclarations, type OutputProperties } from './output-parameters.js';
import { PipelineStep, type CacheableStepOptions } from './step.js';

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
  return new PipelineStep<'Callback', OutputProperties<O>>(name, 'Callback', {
    arguments: args.arguments ?? {},
    fields: { SqsQueueUrl: args.sqsQueueUrl, OutputParameters: outputParameterList(args.outputParameters ?? {}) },
    options,
  });
}
