import type { Expression, Primitive } from '@cairn/core';
import { SERIALIZE, detachedContext, serializeValue, type RenderContext, type Serializable } from './serialize.js';

declare const valueType: unique symbol;

/**
 * A value known only at run time (parameter, execution variable, step property, `join`, `jsonGet`).
 * `T` is the type of the value it yields; it renders to a `Get`, `Std:Join` or `Std:JsonGet` expression.
 */
export abstract class PipelineVariable<out T = unknown> implements Serializable {
  /** Phantom: the run-time value type (never set). */
  declare readonly [valueType]: T;

  /** Renders the expression, recording what it references. @internal */
  abstract [SERIALIZE](ctx: RenderContext): Expression;

  /** The expression this variable renders to (without recording references). */
  toJSON(): Expression {
    return this[SERIALIZE](detachedContext);
  }

  /** This value as a string: a single-value `Std:Join`, as the Python SDK's `to_string()` writes it. */
  asString(): PipelineVariable<string> {
    return new Join('', [this as PipelineVariable<Primitive>]);
  }
}

/** A literal or a pipeline variable of the same type: what any definition value may be. */
export type Operand<T> = T | PipelineVariable<T>;

/** `{"Std:Join": {"On": on, "Values": values}}`: the values rendered as strings and joined. */
export class Join extends PipelineVariable<string> {
  constructor(
    readonly on: string,
    readonly values: readonly Operand<Primitive>[],
  ) {
    super();
  }

  /** @internal */
  [SERIALIZE](ctx: RenderContext): Expression {
    return { 'Std:Join': { On: this.on, Values: serializeValue(this.values, ctx, 'Std:Join.Values') as Array<Primitive | Expression> } };
  }

  /** A join already is a string. */
  override asString(): PipelineVariable<string> {
    return this;
  }
}

/** Joins `values` with `on` at run time: `join('/', ['s3://bucket', execution.pipelineExecutionId])`. */
export function join(on: string, values: readonly Operand<Primitive>[]): Join {
  return new Join(on, values);
}

/** A value where SageMaker wants a string but a number or boolean is natural (hyperparameters, range bounds). */
export type Stringly = Primitive | PipelineVariable<Primitive>;

/** Renders a `Stringly` as SageMaker wants it: literals via `String()`, variables via `asString()`. */
export function toStringValue(value: Stringly): Operand<string> {
  if (value instanceof PipelineVariable) return value.asString();
  return String(value);
}
