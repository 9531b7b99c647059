import { z } from 'zod';
import { PrimitiveOrExpressionSchema, type Expression, type Primitive } from './expressions.js';
import { schemaRef } from './schema-ref.js';

/** Operand of a condition: a literal or any expression. */
export type ConditionOperand = Primitive | Expression;

/** The comparison condition types (reference §5.5); SDK class names such as `ConditionEquals` are not valid here. */
export const BINARY_CONDITION_TYPES = [
  'Equals',
  'GreaterThan',
  'GreaterThanOrEqualTo',
  'LessThan',
  'LessThanOrEqualTo',
] as const;
export type BinaryConditionType = (typeof BINARY_CONDITION_TYPES)[number];
/** Every condition `Type` string. */
export const CONDITION_TYPES = [...BINARY_CONDITION_TYPES, 'In', 'Not', 'Or'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

export interface BinaryCondition {
  Type: BinaryConditionType;
  LeftValue: ConditionOperand;
  RightValue: ConditionOperand;
}
export interface InCondition {
  Type: 'In';
  QueryValue: ConditionOperand;
  Values: ConditionOperand[];
}
export interface NotCondition {
  Type: 'Not';
  Condition: Condition;
}
export interface OrCondition {
  Type: 'Or';
  Conditions: Condition[];
}
/** A condition of a Condition step (a list of them is an AND). */
export type Condition = BinaryCondition | InCondition | NotCondition | OrCondition;

const BinaryConditionSchema = z.strictObject({
  Type: z.enum(BINARY_CONDITION_TYPES),
  LeftValue: PrimitiveOrExpressionSchema,
  RightValue: PrimitiveOrExpressionSchema,
});
const InConditionSchema = z.strictObject({
  Type: z.literal('In'),
  QueryValue: PrimitiveOrExpressionSchema,
  Values: z.array(PrimitiveOrExpressionSchema),
});
const NotConditionSchema = z.strictObject({
  Type: z.literal('Not'),
  Condition: schemaRef(() => ConditionSchema),
});
const OrConditionSchema = z.strictObject({
  Type: z.literal('Or'),
  Conditions: z.array(schemaRef(() => ConditionSchema)),
});

/** Schema of one condition; `Not` and `Or` nest arbitrarily. */
export const ConditionSchema: z.ZodType<Condition> = z.discriminatedUnion('Type', [
  BinaryConditionSchema,
  InConditionSchema,
  NotConditionSchema,
  OrConditionSchema,
]);
