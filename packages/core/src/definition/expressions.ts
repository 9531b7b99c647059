import { z } from 'zod';
import { schemaRef } from './schema-ref.js';

/** A literal that may stand where an expression may (reference §5). */
export type Primitive = string | number | boolean;

/** `{"Get": "Parameters.X" | "Execution.X" | "Steps.X.path" | "PipelineExperimentConfig.X"}` */
export interface GetExpression {
  Get: string;
}
/** `{"Std:Join": {"On": sep, "Values": [...]}}`: always renders to a string. */
export interface JoinExpression {
  'Std:Join': { On: string; Values: Array<Primitive | Expression> };
}
/** `Std:JsonGet`, property-file form: reads `Path` from a Processing step's property file. */
export interface JsonGetPropertyFile {
  PropertyFile: GetExpression;
  Path: string;
}
/** `Std:JsonGet`, S3-URI form: reads `Path` from the JSON object at `S3Uri`. */
export interface JsonGetS3Uri {
  S3Uri: JoinExpression | GetExpression | string;
  Path: string;
}
/** `{"Std:JsonGet": …}` in either form. */
export interface JsonGetExpression {
  'Std:JsonGet': JsonGetPropertyFile | JsonGetS3Uri;
}
/** Any expression of the definition format. */
export type Expression = GetExpression | JoinExpression | JsonGetExpression;

/** The keys that make a one-key object an expression. */
export const EXPRESSION_KEYS = ['Get', 'Std:Join', 'Std:JsonGet'] as const;
export type ExpressionKey = (typeof EXPRESSION_KEYS)[number];

/** True when `value` is shaped like an expression object (exactly one expression key). */
export function isExpression(value: unknown): value is Expression {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && expressionKeyOf(value) !== undefined;
}

/**
 * The key of a one-key expression object (`undefined` for any other object). Allocates nothing:
 * the walks over whole definitions call it for every object.
 */
export function expressionKeyOf(obj: object): ExpressionKey | undefined {
  let only: string | undefined;
  for (const k in obj) {
    if (only !== undefined) return undefined;
    only = k;
  }
  return only === 'Get' || only === 'Std:Join' || only === 'Std:JsonGet' ? only : undefined;
}

export const GetExpressionSchema = z.strictObject({
  Get: z.string().min(1, 'A Get expression needs a non-empty reference such as "Parameters.Name".'),
});

/** Every place a value may be an expression refers to one compiled expression schema (see `schemaRef`). */
const ExpressionRef = schemaRef<Expression>(() => ExpressionSchema);

export const PrimitiveSchema = z.union([z.string(), z.number(), z.boolean()]);
export const PrimitiveOrExpressionSchema: z.ZodType<Primitive | Expression> = z.union([PrimitiveSchema, ExpressionRef]);

export const JoinExpressionSchema: z.ZodType<JoinExpression> = z.strictObject({
  'Std:Join': z.strictObject({
    On: z.string(),
    Values: z.array(PrimitiveOrExpressionSchema),
  }),
});

export const JsonGetExpressionSchema: z.ZodType<JsonGetExpression> = z.strictObject({
  'Std:JsonGet': z.union([
    z.strictObject({ PropertyFile: GetExpressionSchema, Path: z.string().min(1) }),
    z.strictObject({
      S3Uri: z.union([z.string(), GetExpressionSchema, JoinExpressionSchema]),
      Path: z.string().min(1),
    }),
  ]),
});

export const ExpressionSchema: z.ZodType<Expression> = z.union([
  GetExpressionSchema,
  JoinExpressionSchema,
  JsonGetExpressionSchema,
]);

/** A string, or an expression that yields one at run time. */
export const StringValue = z.union([z.string(), ExpressionRef]);
/** A number, or an expression that yields one at run time. */
export const NumberValue = z.union([z.number(), ExpressionRef]);
/** A boolean, or an expression that yields one at run time. */
export const BooleanValue = z.union([z.boolean(), ExpressionRef]);

/** Value types once expressions are allowed in place of a literal. */
export type Valued<T> = T | Expression;
