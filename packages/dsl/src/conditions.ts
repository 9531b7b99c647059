import type { BinaryConditionType, Primitive } from '@cairn/core';
import type { Operand } from './variables.js';

/** A condition of a Condition step, holding DSL values; rendered to the format's condition JSON. */
export type PipelineCondition =
  | { readonly Type: BinaryConditionType; readonly LeftValue: Operand<Primitive>; readonly RightValue: Operand<Primitive> }
  | { readonly Type: 'In'; readonly QueryValue: Operand<Primitive>; readonly Values: readonly Operand<Primitive>[] }
  | { readonly Type: 'Not'; readonly Condition: PipelineCondition }
  | { readonly Type: 'Or'; readonly Conditions: readonly PipelineCondition[] };

/** An ordering comparison: numbers with numbers, strings with strings. */
export interface Comparison {
  (left: Operand<number>, right: Operand<number>): PipelineCondition;
  (left: Operand<string>, right: Operand<string>): PipelineCondition;
}

/** An equality test: both operands of the same type. */
export interface Equality extends Comparison {
  (left: Operand<boolean>, right: Operand<boolean>): PipelineCondition;
}

const binary =
  (type: BinaryConditionType) =>
  (left: Operand<Primitive>, right: Operand<Primitive>): PipelineCondition => ({ Type: type, LeftValue: left, RightValue: right });

/** `Equals`: true when both values are equal. */
export const equals: Equality = binary('Equals');
/** `GreaterThan`. */
export const greaterThan: Comparison = binary('GreaterThan');
/** `GreaterThanOrEqualTo`. */
export const greaterThanOrEqualTo: Comparison = binary('GreaterThanOrEqualTo');
/** `LessThan`. */
export const lessThan: Comparison = binary('LessThan');
/** `LessThanOrEqualTo`. */
export const lessThanOrEqualTo: Comparison = binary('LessThanOrEqualTo');

/** Membership test (`In` with `QueryValue`/`Values`); all operands of one type. */
export interface Membership {
  (query: Operand<number>, values: readonly Operand<number>[]): PipelineCondition;
  (query: Operand<string>, values: readonly Operand<string>[]): PipelineCondition;
  (query: Operand<boolean>, values: readonly Operand<boolean>[]): PipelineCondition;
}

/** `In`: true when the query value equals one of `values`. */
export const isIn: Membership = (query: Operand<Primitive>, values: readonly Operand<Primitive>[]): PipelineCondition => ({
  Type: 'In',
  QueryValue: query,
  Values: values,
});

/** `Not`: negates a condition. */
export function not(condition: PipelineCondition): PipelineCondition {
  return { Type: 'Not', Condition: condition };
}

/** `Or`: true when any of the conditions is. */
export function or(...conditions: PipelineCondition[]): PipelineCondition {
  return { Type: 'Or', Conditions: conditions };
}
