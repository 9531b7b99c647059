/**
 * Limits on untrusted definitions. Hostile input gets a clear error, never a crash or a hang.
 * Documented in docs/ARCHITECTURE.md ("Limits").
 */
export const DEFINITION_LIMITS = {
  /** SageMaker's own limit on `PipelineDefinition`, in UTF-16 characters. */
  maxDefinitionChars: 1_048_576,
  /** Steps in one definition, counting steps nested in condition branches. */
  maxSteps: 20_000,
  /** JSON nesting depth of the whole document (objects and arrays). */
  maxJsonDepth: 128,
  /** Nesting depth of expressions inside expressions (`Std:Join` in `Std:Join` …). */
  maxExpressionDepth: 32,
  /** Nesting depth of condition steps inside condition branches. */
  maxConditionDepth: 16,
} as const;
export type DefinitionLimits = { -readonly [K in keyof typeof DEFINITION_LIMITS]: number };
