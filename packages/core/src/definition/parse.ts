import { DefinitionError, ErrorCode, type DefinitionIssue } from '../errors.js';
import { expressionKeyOf } from './expressions.js';
import { formatJsonPath } from './json-path.js';
import { DEFINITION_LIMITS, nestingTooDeepIssue, type DefinitionLimits } from './limits.js';
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

/** Running state of the structural walk: counters and the keys from the root to the current value. */
interface Walk {
  limits: DefinitionLimits;
  keys: PropertyKey[];
  steps: number;
  issue?: DefinitionIssue;
}

/**
 * Depth and size checks before schema validation, so that hostile nesting never reaches the
 * recursive schemas. The walk recurses, but never deeper than `maxJsonDepth` (it stops there),
 * and builds a path only for the issue it reports.
 */
function checkStructure(root: unknown, limits: DefinitionLimits): DefinitionIssue[] {
  const walk: Walk = { limits, keys: [], steps: 0 };
  visit(root, 0, 0, 0, walk);
  return walk.issue ? [walk.issue] : [];
}

/** Visits one value; returns false once an issue was found (the walk then unwinds). */
function visit(v: unknown, depth: number, exprDepth: number, condDepth: number, walk: Walk): boolean {
  if (v === null || typeof v !== 'object') return true;
  const exceeded = exceededLimit(depth, exprDepth, condDepth, walk);
  if (exceeded) {
    walk.issue = exceeded;
    return false;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!visitChild(v[i], i, depth + 1, exprDepth, condDepth, walk)) return false;
    return true;
  }
  const obj = v as Record<string, unknown>;
  const isExpr = expressionKeyOf(obj) !== undefined;
  const isStep = typeof obj['Type'] === 'string' && 'Arguments' in obj && typeof obj['Name'] === 'string';
  if (isStep && ++walk.steps > walk.limits.maxSteps) {
    walk.issue = {
      code: 'TOO_MANY_STEPS',
      path: formatJsonPath(walk.keys),
      message: `The definition has more than ${walk.limits.maxSteps} steps.`,
      fix: 'split the pipeline into several pipelines.',
    };
    return false;
  }
  const isCondition = isStep && obj['Type'] === 'Condition';
  for (const k in obj) {
    const cond = isCondition && k === 'Arguments' ? 1 : 0;
    if (!visitChild(obj[k], k, depth + 1, exprDepth + (isExpr ? 1 : 0), condDepth + cond, walk)) return false;
  }
  return true;
}

function visitChild(v: unknown, key: PropertyKey, depth: number, exprDepth: number, condDepth: number, walk: Walk): boolean {
  if (v === null || typeof v !== 'object') return true;
  walk.keys.push(key);
  const ok = visit(v, depth, exprDepth, condDepth, walk);
  if (ok) walk.keys.pop();
  return ok;
}

function exceededLimit(depth: number, exprDepth: number, condDepth: number, walk: Walk): DefinitionIssue | undefined {
  const { limits } = walk;
  if (depth > limits.maxJsonDepth) return nestingTooDeepIssue(formatJsonPath(walk.keys), limits.maxJsonDepth);
  if (exprDepth > limits.maxExpressionDepth) {
    return {
      code: 'EXPRESSION_TOO_DEEP',
      path: formatJsonPath(walk.keys),
      message: `Expressions are nested more than ${limits.maxExpressionDepth} deep here.`,
      fix: 'flatten nested Std:Join expressions into one Std:Join with more Values.',
    };
  }
  if (condDepth > limits.maxConditionDepth) {
    return {
      code: 'CONDITION_TOO_DEEP',
      path: formatJsonPath(walk.keys),
      message: `Condition steps are nested more than ${limits.maxConditionDepth} deep here.`,
      fix: 'combine nested conditions with Or/Not inside one Condition step.',
    };
  }
  return undefined;
}
