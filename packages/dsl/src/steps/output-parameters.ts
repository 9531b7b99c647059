import type { Property } from '../properties.js';
import { PipelineStep, type CacheableStepOptions } from './step.js';

/** `OutputType` of a Callback or Lambda output parameter. */
export type OutputType = 'String' | 'Integer' | 'Float' | 'Boolean';

/** Declared outputs: output name → `OutputType`. */
export type OutputDeclarations = Readonly<Record<string, OutputType>>;

type ValueOf<T extends OutputType> = T extends 'String' ? string : T extends 'Boolean' ? boolean : number;

/** Properties of Callback and Lambda steps: `OutputParameters('<name>')`, typed per declaration. */
export interface OutputProperties<O extends OutputDeclarations> {
  /** The value the callback or function returned for a declared output. */
  readonly OutputParameters: <K extends keyof O & string>(name: K) => Property<ValueOf<O[K]>>;
}

function outputParameterList(outputs: OutputDeclarations): { OutputName: string; OutputType: OutputType }[] {
  return Object.entries(outputs).map(([OutputName, OutputType]) => ({ OutputName, OutputType }));
}

/** Builds a Callback or Lambda step: free-form `Arguments`, typed outputs, keys beside them. @internal */
export function stepWithOutputs<TType extends 'Callback' | 'Lambda', O extends OutputDeclarations>(
  type: TType,
  name: string,
  args: { arguments?: Readonly<Record<string, unknown>>; outputParameters?: O },
  fields: Record<string, unknown>,
  options: CacheableStepOptions,
): PipelineStep<TType, OutputProperties<O>> {
  return new PipelineStep<TType, OutputProperties<O>>(name, type, {
    arguments: args.arguments ?? {},
    fields: { ...fields, OutputParameters: outputParameterList(args.outputParameters ?? {}) },
    options,
  });
}
