import type { DefinitionIssue } from '../errors.js';
import { joinJsonPath } from '../definition/json-path.js';
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

type Frame = { value: unknown; path: string };

/** What scanning one value for expressions found. */
export interface ReferenceScan {
  references: StepReference[];
  issues: DefinitionIssue[];
}

/**
 * Collects every `Get` and `Std:JsonGet` reference below `value` (iteratively: hostile nesting
 * cannot overflow the stack). Only the syntax of each reference is checked here; whether the
 * named step, parameter or property exists is the compiler's business.
 */
export function scanReferences(value: unknown, path: string, scan: ReferenceScan): void {
  const stack: Frame[] = [{ value, path }];
  while (stack.length > 0) {
    const { value: v, path: at } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: `${at}[${i}]` });
      continue;
    }
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && typeof obj['Get'] === 'string') {
      classifyGet(obj['Get'], joinJsonPath(at, 'Get'), scan);
      continue;
    }
    const jsonGet = keys.length === 1 ? obj['Std:JsonGet'] : undefined;
    if (jsonGet !== null && typeof jsonGet === 'object' && !Array.isArray(jsonGet)) {
      if (scanPropertyFile(jsonGet as Record<string, unknown>, joinJsonPath(at, 'Std:JsonGet'), scan)) continue;
    }
    for (let i = keys.length - 1; i >= 0; i--) stack.push({ value: obj[keys[i]!], path: joinJsonPath(at, keys[i]!) });
  }
}

/** Handles the property-file form of `Std:JsonGet`; false when `jsonGet` is the S3-URI form. */
function scanPropertyFile(jsonGet: Record<string, unknown>, path: string, scan: ReferenceScan): boolean {
  const file = jsonGet['PropertyFile'] as { Get?: unknown } | undefined;
  if (file === undefined || typeof file?.Get !== 'string') return false;
  const getPath = joinJsonPath(joinJsonPath(path, 'PropertyFile'), 'Get');
  const match = PROPERTY_FILE_GET.exec(file.Get);
  if (!match) {
    scan.issues.push({
      code: 'MALFORMED_PROPERTY_FILE_REFERENCE',
      path: getPath,
      message: `"${file.Get}" does not name a property file.`,
      fix: 'write {"Get": "Steps.<ProcessingStep>.PropertyFiles.<PropertyFileName>"}.',
    });
    return true;
  }
  const jsonPath = typeof jsonGet['Path'] === 'string' ? jsonGet['Path'] : '';
  scan.references.push({ kind: 'propertyFile', stepName: match[1]!, file: match[2]!, jsonPath, path: getPath });
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
