import type { Property } from '../properties.js';

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

/** The `OutputParameters` list of the step. @internal */
export function outputParameterList(outputs: OutputDeclarations): { OutputName: string; OutputType: OutputType }[] {
  return Object.entries(outputs).map(([OutputName, OutputType]) => ({ OutputName, OutputType }));
}
