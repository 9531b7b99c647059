import type { DefinitionIssue } from '../errors.js';

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

/** The issue for JSON nested deeper than `maxJsonDepth` at `path` (parse and compile both report it). */
export function nestingTooDeepIssue(path: string, maxJsonDepth: number = DEFINITION_LIMITS.maxJsonDepth): DefinitionIssue {
  return {
    code: 'NESTING_TOO_DEEP',
    path,
    message: `JSON is nested more than ${maxJsonDepth} levels deep here.`,
    fix: 'flatten the value; deeply nested expressions can usually be one Std:Join with more Values.',
  };
}
