import type { DefinitionIssue } from '../errors.js';
import type { Parameter } from '../definition/parameters.js';

const DEFAULT_MATCHES: Record<NonNullable<Parameter['Type']>, (v: unknown) => boolean> = {
  String: (v) => typeof v === 'string',
  Integer: (v) => Number.isInteger(v),
  Float: (v) => typeof v === 'number',
  Boolean: (v) => typeof v === 'boolean',
};

/** Checks parameter declarations (unique names, typed defaults, `EnumValues`) and indexes them by name. */
export function checkParameters(parameters: readonly Parameter[], issues: DefinitionIssue[]): Map<string, Parameter> {
  const byName = new Map<string, Parameter>();
  parameters.forEach((p, i) => {
    const path = `Parameters[${i}]`;
    if (byName.has(p.Name)) {
      issues.push({
        code: 'DUPLICATE_PARAMETER_NAME',
        path: `${path}.Name`,
        message: `Parameter "${p.Name}" is declared twice.`,
        fix: 'remove one declaration or rename it.',
      });
      return;
    }
    byName.set(p.Name, p);
    const type = p.Type ?? 'String';
    if (p.DefaultValue !== undefined && !DEFAULT_MATCHES[type](p.DefaultValue)) {
      issues.push({
        code: 'PARAMETER_DEFAULT_TYPE',
        path: `${path}.DefaultValue`,
        message: `Parameter "${p.Name}" is ${type === 'Integer' ? 'an' : 'a'} ${type} but its DefaultValue is ${JSON.stringify(p.DefaultValue)}.`,
        fix: `give a ${type} default${type === 'String' ? ' (quote it)' : ''}, or change Type.`,
      });
    }
    if (p.EnumValues !== undefined && type !== 'String') {
      issues.push({
        code: 'PARAMETER_ENUM_NOT_STRING',
        path: `${path}.EnumValues`,
        message: `Parameter "${p.Name}" is ${type} but has EnumValues; only String parameters take EnumValues.`,
        fix: 'remove EnumValues or make the parameter a String.',
      });
    } else if (p.EnumValues !== undefined && p.DefaultValue !== undefined && !p.EnumValues.includes(p.DefaultValue as string)) {
      issues.push({
        code: 'PARAMETER_DEFAULT_NOT_IN_ENUM',
        path: `${path}.DefaultValue`,
        message: `Parameter "${p.Name}" defaults to ${JSON.stringify(p.DefaultValue)}, which is not one of its EnumValues (${p.EnumValues.join(', ')}).`,
        fix: 'use one of the EnumValues as default, or add the default to EnumValues.',
      });
    }
  });
  return byName;
}
