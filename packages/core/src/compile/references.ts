import type { DefinitionIssue } from '../errors.js';
import { formatJsonPath, joinJsonPath } from '../definition/json-path.js';
import { DEFINITION_LIMITS } from '../definition/limits.js';
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
  const keys: PropertyKey[] = [];
  const pathHere = () => formatJsonPath(keys, base);
  const visit = (v: unknown): boolean => {
    if (v === null || typeof v !== 'object') return true;
    if (keys.length > DEFINITION_LIMITS.maxJsonDepth) {
      scan.issues.push({
        code: 'NESTING_TOO_DEEP',
        path: pathHere(),
        message: `JSON is nested more than ${DEFINITION_LIMITS.maxJsonDepth} levels deep here.`,
        fix: 'flatten the value; deeply nested expressions can usually be one Std:Join with more Values.',
      });
      return false;
    }
    if (Array.isArray(v)) return v.every((item, i) => visitChild(item, i));
    const obj = v as Record<string, unknown>;
    const own = Object.keys(obj);
    if (own.length === 1) {
      if (typeof obj['Get'] === 'string') {
        classifyGet(obj['Get'], joinJsonPath(pathHere(), 'Get'), scan);
        return true;
      }
      const jsonGet = obj['Std:JsonGet'];
      if (isRecord(jsonGet) && scanPropertyFile(jsonGet, `${joinJsonPath(pathHere(), 'Std:JsonGet')}.PropertyFile.Get`, scan)) return true;
    }
    return own.every((k) => visitChild(obj[k], k));
  };
  const visitChild = (v: unknown, key: PropertyKey): boolean => {
    if (v === null || typeof v !== 'object') return true;
    keys.push(key);
    const ok = visit(v);
    keys.pop();
    return ok;
  };
  visit(value);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Handles the property-file form of `Std:JsonGet`; false when `jsonGet` is the S3-URI form. */
function scanPropertyFile(jsonGet: Record<string, unknown>, path: string, scan: ReferenceScan): boolean {
  const file = jsonGet['PropertyFile'];
  if (!isRecord(file) || typeof file['Get'] !== 'string') return false;
  const get = file['Get'];
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
  } else if (head === 'Steps' && STEP_GET.test(get)) {
    const [, stepName, propertyPath] = STEP_GET.exec(get)!;
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
