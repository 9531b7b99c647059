import type { DefinitionIssue } from '../errors.js';
import { expressionKeyOf } from '../definition/expressions.js';
import { formatJsonPath } from '../definition/json-path.js';
import { DEFINITION_LIMITS, nestingTooDeepIssue } from '../definition/limits.js';
import { suggestFix } from '../internal/suggest.js';
import type { StepReference } from './types.js';

/** Execution variables a definition may `Get` (reference §5.4). */
export const EXECUTION_VARIABLES = [
  'PipelineExecutionId',
  'PipelineExecutionArn',
  'PipelineName',
  'PipelineArn',
  'StartDateTime',
  'CurrentDateTime',
  'TrainingJobName',
  'ProcessingJobName',
] as const;

const EXPERIMENT_FIELDS = ['ExperimentName', 'TrialName'];
const STEP_GET = /^Steps\.([A-Za-z0-9\-_]{1,64})\.(.+)$/;
const PROPERTY_FILE_GET = /^Steps\.([A-Za-z0-9\-_]{1,64})\.PropertyFiles\.([^.[\]]+)$/;

/** What scanning one value for expressions found. */
export interface ReferenceScan {
  references: StepReference[];
  issues: DefinitionIssue[];
}

/**
 * Collects every `Get` and `Std:JsonGet` reference below `value`, whose JSON path is `base`.
 * Only the syntax of each reference is checked here; whether the named step, parameter or
 * property exists is the compiler's business. The walk recurses but stops (with an issue) below
 * `DEFINITION_LIMITS.maxJsonDepth`, so hostile nesting cannot overflow the stack.
 */
export function scanReferences(value: unknown, base: string, scan: ReferenceScan): void {
  visit(value, { base, keys: [], scan });
}

/** State of one scan: the keys from the scanned value down to the current one. */
interface ScanWalk {
  base: string;
  keys: PropertyKey[];
  scan: ReferenceScan;
}

// Plain functions rather than closures: this runs for every container of every step.
function visit(v: unknown, walk: ScanWalk): boolean {
  if (v === null || typeof v !== 'object') return true;
  if (walk.keys.length > DEFINITION_LIMITS.maxJsonDepth) {
    walk.scan.issues.push(nestingTooDeepIssue(formatJsonPath(walk.keys, walk.base)));
    return false;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!visitChild(v[i], i, walk)) return false;
    return true;
  }
  const obj = v as Record<string, unknown>;
  // Compare the key, not obj['Get']: a missed lookup on every object is what makes walks slow.
  const only = expressionKeyOf(obj);
  if (only !== undefined) {
    const problem = malformedExpression(obj, only);
    if (problem) {
      walk.scan.issues.push({ code: 'INVALID_EXPRESSION', path: keyPath(walk, only), ...problem });
      return true;
    }
    if (only === 'Get') {
      classifyGet(obj['Get'] as string, keyPath(walk, 'Get'), walk.scan);
      return true;
    }
    if (only === 'Std:JsonGet' && scanPropertyFile(obj[only] as Record<string, unknown>, walk)) return true;
  }
  for (const k in obj) if (!visitChild(obj[k], k, walk)) return false;
  return true;
}

/** The JSON path of `key` in the current value. */
function keyPath(walk: ScanWalk, key: string): string {
  walk.keys.push(key);
  const path = formatJsonPath(walk.keys, walk.base);
  walk.keys.pop();
  return path;
}

function visitChild(v: unknown, key: PropertyKey, walk: ScanWalk): boolean {
  if (v === null || typeof v !== 'object') return true;
  walk.keys.push(key);
  const ok = visit(v, walk);
  walk.keys.pop();
  return ok;
}

/**
 * Free-form `Arguments` (Lambda, Callback, the open parts of job requests) are not checked by
 * the schemas, so an expression there is checked here, one level deep (its children are walked).
 */
function malformedExpression(obj: Record<string, unknown>, key: string): { message: string; fix: string } | undefined {
  const body = obj[key];
  if (key === 'Get' && typeof body !== 'string') {
    return { message: 'A Get expression holds a reference string.', fix: 'write {"Get": "Parameters.<Name>"} or {"Get": "Steps.<Step>.<path>"}.' };
  }
  if (key === 'Std:Join' && !(isRecord(body) && typeof body['On'] === 'string' && Array.isArray(body['Values']))) {
    return { message: 'A Std:Join holds {"On": <separator string>, "Values": [...]}.', fix: 'write {"Std:Join": {"On": "/", "Values": ["a", {"Get": "…"}]}}.' };
  }
  const isJsonGet = isRecord(body) && typeof body['Path'] === 'string' && ('PropertyFile' in body || 'S3Uri' in body);
  if (key === 'Std:JsonGet' && !isJsonGet) {
    return { message: 'A Std:JsonGet holds {"PropertyFile": {"Get": …}, "Path": …} or {"S3Uri": …, "Path": …}.', fix: 'see reference §5.3 for both forms.' };
  }
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Handles the property-file form of `Std:JsonGet`; false when `jsonGet` is the S3-URI form. */
function scanPropertyFile(jsonGet: Record<string, unknown>, walk: ScanWalk): boolean {
  const file = jsonGet['PropertyFile'];
  if (!isRecord(file) || typeof file['Get'] !== 'string') return false;
  const get = file['Get'];
  const { scan } = walk;
  const path = `${keyPath(walk, 'Std:JsonGet')}.PropertyFile.Get`;
  const match = PROPERTY_FILE_GET.exec(get);
  if (!match) {
    scan.issues.push({
      code: 'MALFORMED_PROPERTY_FILE_REFERENCE',
      path,
      message: `"${get}" does not name a property file.`,
      fix: 'write {"Get": "Steps.<ProcessingStep>.PropertyFiles.<PropertyFileName>"}.',
    });
    return true;
  }
  const jsonPath = typeof jsonGet['Path'] === 'string' ? jsonGet['Path'] : '';
  scan.references.push({ kind: 'propertyFile', stepName: match[1]!, file: match[2]!, jsonPath, path });
  return true;
}

function classifyGet(get: string, path: string, scan: ReferenceScan): void {
  const stepGet = STEP_GET.exec(get);
  const dot = get.indexOf('.');
  const head = dot < 0 ? get : get.slice(0, dot);
  const rest = dot < 0 ? '' : get.slice(dot + 1);
  if (head === 'Parameters' && rest) {
    scan.references.push({ kind: 'parameter', name: rest, path });
  } else if (head === 'Execution' && rest) {
    if ((EXECUTION_VARIABLES as readonly string[]).includes(rest)) {
      scan.references.push({ kind: 'execution', variable: rest, path });
    } else {
      scan.issues.push(unknownName(path, `execution variable "${rest}"`, rest, EXECUTION_VARIABLES, 'UNKNOWN_EXECUTION_VARIABLE'));
    }
  } else if (head === 'PipelineExperimentConfig' && rest) {
    if (EXPERIMENT_FIELDS.includes(rest)) scan.references.push({ kind: 'experiment', field: rest, path });
    else scan.issues.push(unknownName(path, `PipelineExperimentConfig field "${rest}"`, rest, EXPERIMENT_FIELDS, 'MALFORMED_GET'));
  } else if (stepGet) {
    const [, stepName, propertyPath] = stepGet;
    if (propertyPath!.startsWith('PropertyFiles.') || propertyPath === 'PropertyFiles') {
      scan.issues.push({
        code: 'PROPERTY_FILE_OUTSIDE_JSONGET',
        path,
        message: `"${get}" reads a property file directly; property files can only be read through Std:JsonGet.`,
        fix: `write {"Std:JsonGet": {"PropertyFile": {"Get": "${get}"}, "Path": "<json path>"}}.`,
      });
    } else {
      scan.references.push({ kind: 'step', stepName: stepName!, propertyPath: propertyPath!, path });
    }
  } else {
    scan.issues.push({
      code: 'MALFORMED_GET',
      path,
      message: `"${get}" is not a reference the format knows.`,
      fix: 'write "Parameters.<Name>", "Execution.<Variable>", "Steps.<StepName>.<property path>" or "PipelineExperimentConfig.ExperimentName|TrialName".',
    });
  }
}

function unknownName(path: string, what: string, name: string, known: readonly string[], code: string): DefinitionIssue {
  return {
    code,
    path,
    message: `Unknown ${what}.`,
    fix: suggestFix(name, known, `Use one of ${known.join(', ')}.`),
  };
}
