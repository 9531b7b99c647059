import type { Parameter, ParameterValue } from '../definition/parameters.js';
import { ErrorCode, OrchestratorError } from '../errors.js';
import { closestMatch } from '../internal/suggest.js';

/**
 * Converts start-time parameter overrides (strings, as `StartPipelineExecution` sends them) and
 * declared defaults to typed values. Throws one `PARAMETER_INVALID` error listing every problem:
 * unknown names, missing required values, unparsable values and `EnumValues` violations.
 */
export function resolveParameters(declared: readonly Parameter[], overrides: Readonly<Record<string, string>> = {}): Record<string, ParameterValue> {
  const problems: string[] = [];
  const out: Record<string, ParameterValue> = {};
  const names = declared.map((p) => p.Name);
  for (const name of Object.keys(overrides)) {
    if (!names.includes(name)) {
      const near = closestMatch(name, names);
      problems.push(`"${name}" is not a parameter of this pipeline${near ? ` (did you mean "${near}"?)` : ''}`);
    }
  }
  for (const p of declared) {
    const given = Object.hasOwn(overrides, p.Name) ? overrides[p.Name] : undefined;
    const raw = given ?? p.DefaultValue;
    if (raw === undefined) {
      problems.push(`"${p.Name}" has no default value and none was given`);
      continue;
    }
    const parsed = convertParameter(p, raw);
    if (typeof parsed === 'object') problems.push(parsed.problem);
    else out[p.Name] = parsed;
  }
  if (problems.length > 0) {
    throw new OrchestratorError(ErrorCode.ParameterInvalid, `The parameters are not valid:\n  - ${problems.join('\n  - ')}`, {
      fix: 'pass each declared parameter as Name=Value with a value of its declared type, or give it a DefaultValue.',
      details: { problems },
    });
  }
  return out;
}

function convertParameter(p: Parameter, raw: ParameterValue): ParameterValue | { problem: string } {
  const type = p.Type ?? 'String';
  const text = String(raw);
  const value = parseTypedValue(text, type);
  if (value === undefined) return { problem: `"${p.Name}" is a ${type} parameter; ${JSON.stringify(text)} is not a ${type}` };
  if (p.EnumValues && !p.EnumValues.includes(text)) {
    return { problem: `"${p.Name}" must be one of ${p.EnumValues.map((v) => JSON.stringify(v)).join(', ')}; got ${JSON.stringify(text)}` };
  }
  return value;
}

/**
 * Parses a string as the service does for typed parameters and callback outputs: `Boolean`
 * `true`/`false` in any case, `Integer` digits, `Float` any finite number, anything else as is.
 * `undefined` when the text is not of the type.
 */
export function parseTypedValue(text: string, type: string): ParameterValue | undefined {
  switch (type) {
    case 'Boolean':
      return /^true$/i.test(text) ? true : /^false$/i.test(text) ? false : undefined;
    case 'Integer':
      return /^[+-]?\d+$/.test(text.trim()) ? Number(text) : undefined;
    case 'Float': {
      const n = text.trim() === '' ? NaN : Number(text);
      return Number.isFinite(n) ? n : undefined;
    }
    default:
      return text;
  }
}
