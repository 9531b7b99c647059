import { PipelineVariable, toStringValue, type Stringly } from './variables.js';

/** Fields where SageMaker wants strings but numbers are natural; they also take numbers and numeric variables. */
const STRINGLY_FIELDS = ['HyperParameters', 'StaticHyperParameters', 'MinValue', 'MaxValue'] as const;
type StringlyField = (typeof STRINGLY_FIELDS)[number];

type StringlyOf<T> = T extends string ? Stringly : T extends Record<string, string> ? Record<string, Stringly> : Arg<T>;

/**
 * A Create* request shape in which any field may hold a pipeline variable of a compatible type,
 * so a step's arguments get completion for every SageMaker field.
 */
export type Arg<T> = T extends string
  ? T | PipelineVariable<string>
  : T extends number
    ? T | PipelineVariable<number>
    : T extends boolean
      ? T | PipelineVariable<boolean>
      : T extends Date | Uint8Array
        ? T
        : T extends readonly (infer U)[]
          ? readonly Arg<U>[]
          : T extends object
            ? { [K in keyof T]: K extends StringlyField ? StringlyOf<T[K]> : Arg<T[K]> }
            : T;

/** A Create* request minus the fields the pipeline sets, with expressions allowed anywhere. */
export type JobArguments<TRequest, TOmit extends keyof TRequest> = Arg<Omit<TRequest, TOmit>>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !(value instanceof PipelineVariable) && !Array.isArray(value);
}

function coerce(field: string, value: unknown): unknown {
  if (!(STRINGLY_FIELDS as readonly string[]).includes(field) || value === undefined) return coerceStringFields(value);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toStringValue(v as Stringly)]));
  return toStringValue(value as Stringly);
}

/**
 * Turns numbers and non-string variables in hyperparameters and range bounds into the strings
 * SageMaker expects (variables become a single-value `Std:Join`, like the Python SDK). @internal
 */
export function coerceStringFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(coerceStringFields);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, coerce(k, v)]));
}
