import type { Expression, ParameterType } from '@cairn/core';
import { SERIALIZE, type ParameterLike, type RenderContext } from './serialize.js';
import { PipelineVariable } from './variables.js';

/** A pipeline parameter: `{"Get": "Parameters.<name>"}`, declared in the definition's `Parameters`. */
export class Parameter<T extends string | number | boolean> extends PipelineVariable<T> implements ParameterLike {
  constructor(
    readonly name: string,
    readonly parameterType: ParameterType,
    readonly defaultValue: T | undefined,
    readonly enumValues: readonly string[] | undefined,
  ) {
    super();
  }

  /** @internal */
  [SERIALIZE](ctx: RenderContext): Expression {
    ctx.parameter(this);
    return { Get: `Parameters.${this.name}` };
  }

  /** The parameter object of the definition (reference §2.1). */
  declaration(): Record<string, unknown> {
    return {
      Name: this.name,
      Type: this.parameterType,
      ...(this.defaultValue === undefined ? {} : { DefaultValue: this.defaultValue }),
      ...(this.enumValues === undefined ? {} : { EnumValues: [...this.enumValues] }),
    };
  }

  /** A String parameter is a string already; others render as a single-value `Std:Join`. */
  override asString(): PipelineVariable<string> {
    return this.parameterType === 'String' ? (this as PipelineVariable<string>) : super.asString();
  }
}

/** Options of a String parameter. */
export interface StringParameterOptions<E extends string> {
  /** The only values the parameter accepts. */
  enumValues?: readonly E[];
}

/** Typed parameter constructors: `parameter.integer('Epochs', 5)` is a `Parameter<number>`. */
export const parameter = {
  /** A String parameter, optionally limited to `enumValues`. */
  string<E extends string = string>(name: string, defaultValue?: NoInfer<E>, options: StringParameterOptions<E> = {}): Parameter<string> {
    return new Parameter<string>(name, 'String', defaultValue, options.enumValues);
  },
  /** An Integer parameter. */
  integer(name: string, defaultValue?: number): Parameter<number> {
    return new Parameter<number>(name, 'Integer', defaultValue, undefined);
  },
  /** A Float parameter. */
  float(name: string, defaultValue?: number): Parameter<number> {
    return new Parameter<number>(name, 'Float', defaultValue, undefined);
  },
  /** A Boolean parameter. */
  boolean(name: string, defaultValue?: boolean): Parameter<boolean> {
    return new Parameter<boolean>(name, 'Boolean', defaultValue, undefined);
  },
};
