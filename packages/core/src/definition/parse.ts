import { DefinitionError, ErrorCode, type DefinitionIssue } from '../errors.js';
import { EXPRESSION_KEYS } from './expressions.js';
import { formatJsonPath } from './json-path.js';
import { DEFINITION_LIMITS, type DefinitionLimits } from './limits.js';
import { PipelineDefinitionSchema, type PipelineDefinition } from './pipeline.js';
import { zodIssuesToDefinitionIssues } from './zod-issues.js';

/** Options of `parsePipelineDefinition`. */
export interface ParseOptions {
  /** Override the documented limits (for tests and trusted generators). */
  limits?: Partial<DefinitionLimits>;
}

/**
 * Parses a definition (JSON text or an already-parsed value) against the format's schemas.
 * Throws one `DefinitionError` listing every schema problem; graph-level checks (names,
 * references, cycles) are `compilePipeline`'s job.
 */
export function parsePipelineDefinition(input: string | unknown, options: ParseOptions = {}): PipelineDefinition {
  const limits = { ...DEFINITION_LIMITS, ...options.limits };
  let value: unknown = input;
  if (typeof input === 'string') {
    if (input.length > limits.maxDefinitionChars) {
      throw new DefinitionError(
        [
          {
            code: 'DEFINITION_TOO_LARGE',
            path: '',
            message: `The definition has ${input.length} characters; SageMaker accepts at most ${limits.maxDefinitionChars}.`,
            fix: 'split the pipeline, or move large literal values (scripts, long lists) to S3 and reference them.',
          },
        ],
        { code: ErrorCode.DefinitionTooLarge },
      );
    }
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new DefinitionError(
        [
          {
            code: 'INVALID_JSON',
            path: '',
            message: `The definition is not valid JSON (${(err as Error).message}).`,
            fix: 'check the file with a JSON linter; definitions are JSON documents, not JavaScript.',
          },
        ],
        { cause: err },
      );
    }
  }
  const structural = checkStructure(value, limits);
  if (structural.length > 0) throw new DefinitionError(structural);
  const result = PipelineDefinitionSchema.safeParse(value);
  if (!result.success) throw new DefinitionError(zodIssuesToDefinitionIssues(result.error, value));
  return result.data;
}

/** Serialises a definition to the string the SageMaker API expects in `PipelineDefinition`. */
export function serializePipelineDefinition(definition: PipelineDefinition): string {
  return JSON.stringify(definition);
}

/**
 * Depth and size checks done iteratively before schema validation, so that hostile nesting
 * never reaches the recursive schemas (or a stack overflow).
 */
function checkStructure(root: unknown, limits: DefinitionLimits): DefinitionIssue[] {
  type Frame = { v: unknown; path: PropertyKey[]; depth: number; exprDepth: number; condDepth: number };
  const stack: Frame[] = [{ v: root, path: [], depth: 0, exprDepth: 0, condDepth: 0 }];
  const issues: DefinitionIssue[] = [];
  let steps = 0;
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (f.depth > limits.maxJsonDepth) {
      issues.push({
        code: 'NESTING_TOO_DEEP',
        path: formatJsonPath(f.path),
        message: `JSON is nested more than ${limits.maxJsonDepth} levels deep here.`,
        fix: 'flatten the value; deeply nested expressions can usually be one Std:Join with more Values.',
      });
      return issues;
    }
    if (f.exprDepth > limits.maxExpressionDepth) {
      issues.push({
        code: 'EXPRESSION_TOO_DEEP',
        path: formatJsonPath(f.path),
        message: `Expressions are nested more than ${limits.maxExpressionDepth} deep here.`,
        fix: 'flatten nested Std:Join expressions into one Std:Join with more Values.',
      });
      return issues;
    }
    if (f.condDepth > limits.maxConditionDepth) {
      issues.push({
        code: 'CONDITION_TOO_DEEP',
        path: formatJsonPath(f.path),
        message: `Condition steps are nested more than ${limits.maxConditionDepth} deep here.`,
        fix: 'combine nested conditions with Or/Not inside one Condition step.',
      });
      return issues;
    }
    const v = f.v;
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--)
        stack.push({ v: v[i], path: [...f.path, i], depth: f.depth + 1, exprDepth: f.exprDepth, condDepth: f.condDepth });
      continue;
    }
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj);
    const isExpr = keys.length === 1 && (EXPRESSION_KEYS as readonly string[]).includes(keys[0]!);
    const isStep = typeof obj['Type'] === 'string' && 'Arguments' in obj && typeof obj['Name'] === 'string';
    if (isStep) {
      steps++;
      if (steps > limits.maxSteps) {
        issues.push({
          code: 'TOO_MANY_STEPS',
          path: formatJsonPath(f.path),
          message: `The definition has more than ${limits.maxSteps} steps.`,
          fix: 'split the pipeline into several pipelines.',
        });
        return issues;
      }
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      stack.push({
        v: obj[k],
        path: [...f.path, k],
        depth: f.depth + 1,
        exprDepth: f.exprDepth + (isExpr ? 1 : 0),
        condDepth: f.condDepth + (isStep && obj['Type'] === 'Condition' && (k === 'Arguments') ? 1 : 0),
      });
    }
  }
  return issues;
}
