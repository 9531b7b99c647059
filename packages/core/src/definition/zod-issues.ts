import type { z } from 'zod';
import type { DefinitionIssue } from '../errors.js';
import { closestMatch, suggestFix } from '../internal/suggest.js';
import { CONDITION_TYPES } from './conditions.js';
import { ExpressionSchema, isExpression } from './expressions.js';
import { formatJsonPath } from './json-path.js';
import { STEP_KEYS_BY_TYPE, STEP_TYPES } from './steps.js';

type ZodIssue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

const TOP_LEVEL_KEYS = ['Version', 'Metadata', 'Parameters', 'PipelineExperimentConfig', 'MlflowConfig', 'Steps'];
/** Keys of the format's other strict objects: what a misspelt key most likely meant. */
const OTHER_KEYS = [
  'Name', 'Type', 'DefaultValue', 'EnumValues', 'Description', 'ExceptionType', 'IntervalSeconds', 'BackoffRate',
  'MaxAttempts', 'ExpireAfterMin', 'Enabled', 'ExpireAfter', 'PropertyFileName', 'OutputName', 'FilePath',
  'OutputType', 'Conditions', 'IfSteps', 'ElseSteps', 'Condition', 'LeftValue', 'RightValue', 'QueryValue', 'Values',
  'ErrorMessage', 'On', 'PropertyFile', 'Path', 'S3Uri', 'Get', 'Std:Join', 'Std:JsonGet',
];
const GENERIC_FIX = 'correct the value to match the 2020-12-01 definition format (reference §2–5).';

/**
 * Turns zod issues into definition issues: a stable code, the JSON path of the offending value
 * (`Steps[2].Arguments.InputDataConfig[0].ChannelName`), a message and a fix.
 */
export function zodIssuesToDefinitionIssues(error: z.ZodError, root: unknown): DefinitionIssue[] {
  const out = new Map<string, DefinitionIssue>();
  for (const issue of error.issues) {
    for (const found of toDefinitionIssues(issue, root)) out.set(`${found.code}|${found.path}|${found.message}`, found);
  }
  return [...out.values()];
}

function toDefinitionIssues(issue: ZodIssue, root: unknown): DefinitionIssue[] {
  const path = formatJsonPath(issue.path);
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => unknownKey(root, issue.path, key));
  const value = valueAt(root, issue.path);
  if (issue.code === 'invalid_union' && issue.discriminator === 'Type') return [badType(issue, root)];
  if (value === undefined && isObject(valueAt(root, issue.path.slice(0, -1)))) return [missingField(issue.path, root)];
  if (issue.code === 'invalid_union' && isExpression(value)) return expressionIssues(value, issue.path, root);
  if (issue.code === 'invalid_union') {
    const expected = [...expectedTypes(issue)].join(' or ');
    return [{ code: 'INVALID_VALUE', path, message: `Expected ${expected} here, got ${describeValue(value)}.`, fix: GENERIC_FIX }];
  }
  if (issue.code === 'invalid_value') {
    const allowed = issue.values.map((v) => JSON.stringify(v));
    const fix = typeof value === 'string' ? suggestFix(value, issue.values.map(String), `Use ${allowed.join(' or ')}.`) : `use ${allowed.join(' or ')}.`;
    return [{ code: 'INVALID_VALUE', path, message: `${JSON.stringify(value)} is not allowed here${stepContext(root, issue.path)}.`, fix }];
  }
  return [{ code: 'INVALID_VALUE', path, message: `${issue.message.replace(/\.$/, '')}${stepContext(root, issue.path)}.`, fix: GENERIC_FIX }];
}

/** An object that looks like an expression but is malformed: report what its own schema says. */
function expressionIssues(value: unknown, path: Path, root: unknown): DefinitionIssue[] {
  const result = ExpressionSchema.safeParse(value);
  const inner = result.error?.issues.flatMap((i) => (i.code === 'invalid_union' ? i.errors.flat() : [i])) ?? [];
  const key = Object.keys(value as object)[0]!;
  const relevant = inner.filter((i) => i.path[0] === key && i.code !== 'unrecognized_keys');
  if (relevant.length === 0) {
    return [{ code: 'INVALID_EXPRESSION', path: formatJsonPath(path), message: `Malformed ${key} expression.`, fix: 'see reference §5 for the expression forms.' }];
  }
  return relevant.flatMap((i) =>
    toDefinitionIssues({ ...i, path: [...path, ...i.path] } as ZodIssue, root).map((d) => ({ ...d, code: d.code === 'INVALID_VALUE' ? 'INVALID_EXPRESSION' : d.code })),
  );
}

function badType(issue: Extract<ZodIssue, { code: 'invalid_union' }>, root: unknown): DefinitionIssue {
  // zod 4 already puts the discriminator key last in the path.
  const typePath = issue.path.at(-1) === 'Type' ? issue.path : [...issue.path, 'Type'];
  const value = valueAt(root, typePath);
  const path = formatJsonPath(typePath);
  const isCondition = ((issue as { options?: unknown[] }).options ?? []).includes('Equals');
  if (value === undefined) {
    return { code: isCondition ? 'MISSING_CONDITION_TYPE' : 'MISSING_STEP_TYPE', path, message: `"Type" is missing${stepContext(root, typePath)}.`, fix: `add "Type": one of ${(isCondition ? CONDITION_TYPES : STEP_TYPES).join(', ')}.` };
  }
  const text = String(value);
  if (!isCondition) {
    return { code: 'UNKNOWN_STEP_TYPE', path, message: `Unknown step type ${JSON.stringify(value)}.`, fix: suggestFix(text, STEP_TYPES, `Use one of ${STEP_TYPES.join(', ')}.`) };
  }
  const stripped = text.replace(/^Condition/, '');
  if (stripped !== text && (CONDITION_TYPES as readonly string[]).includes(stripped)) {
    return { code: 'CONDITION_TYPE_IS_SDK_CLASS', path, message: `Condition type "${text}" is the Python SDK class name, not the JSON type.`, fix: `write "${stripped}".` };
  }
  return { code: 'UNKNOWN_CONDITION_TYPE', path, message: `Unknown condition type ${JSON.stringify(value)}.`, fix: suggestFix(text, CONDITION_TYPES, `Use one of ${CONDITION_TYPES.join(', ')}.`) };
}

function unknownKey(root: unknown, parentPath: Path, key: string): DefinitionIssue {
  const parent = valueAt(root, parentPath) as Record<string, unknown>;
  const stepKeys = parentPath.length > 0 && typeof parent['Name'] === 'string' ? STEP_KEYS_BY_TYPE[String(parent['Type'])] : undefined;
  const candidates = parentPath.length === 0 ? TOP_LEVEL_KEYS : (stepKeys ?? OTHER_KEYS);
  const match = closestMatch(key, candidates);
  const where = parentPath.length === 0 ? 'at the top level' : stepKeys ? `in step "${String(parent['Name'])}"` : `in ${formatJsonPath(parentPath)}`;
  return {
    code: 'UNKNOWN_KEY',
    path: formatJsonPath([...parentPath, key]),
    message: `Unknown key "${key}" ${where}.`,
    fix: match ? `did you mean "${match}"? Rename the key.` : 'remove the key; the 2020-12-01 format has no such key here.',
  };
}

function missingField(path: Path, root: unknown): DefinitionIssue {
  const field = String(path.at(-1));
  const parent = formatJsonPath(path.slice(0, -1)) || 'the definition';
  return {
    code: 'MISSING_FIELD',
    path: formatJsonPath(path),
    message: `Required field "${field}" is missing from ${parent}${stepContext(root, path)}.`,
    fix: `add "${field}"; SageMaker requires it.`,
  };
}

/** `(step "Train", Training)` for the innermost step around `path`, to orient the reader. */
function stepContext(root: unknown, path: Path): string {
  let v: unknown = root;
  let found = '';
  for (const seg of path) {
    if (!isObject(v) && !Array.isArray(v)) break;
    v = (v as Record<PropertyKey, unknown>)[seg as string];
    if (isObject(v) && typeof v['Name'] === 'string' && typeof v['Type'] === 'string' && 'Arguments' in v) {
      found = ` (step "${v['Name']}", ${v['Type']})`;
    }
  }
  return found;
}

/** Leaf types the branches of a union expected, e.g. "a string or an expression". */
function expectedTypes(issue: ZodIssue): Set<string> {
  const out = new Set<string>();
  const stack: ZodIssue[] = [issue];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (i.code === 'invalid_union') stack.push(...i.errors.flat().filter((e) => e.path.length === 0));
    else if (i.code === 'invalid_type') out.add(i.expected === 'object' ? 'an expression' : `a ${i.expected}`);
  }
  return out.size > 0 ? out : new Set(['another value']);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function valueAt(root: unknown, path: Path): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg as string];
  }
  return v;
}
