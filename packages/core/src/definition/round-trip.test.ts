import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONDITION_TYPES } from './conditions.js';
import { parsePipelineDefinition, serializePipelineDefinition } from './parse.js';
import { STEP_TYPES } from './steps.js';

const dir = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({ file, text: readFileSync(`${dir}${file}`, 'utf8') }));

describe('parse → serialize round trip', () => {
  it.each(fixtures)('is lossless for $file', ({ text }) => {
    const parsed = parsePipelineDefinition(text);
    expect(JSON.parse(serializePipelineDefinition(parsed))).toStrictEqual(JSON.parse(text));
  });

  it('is lossless for an object input too (no keys added, none dropped)', () => {
    const value = JSON.parse(fixtures[0]!.text) as unknown;
    expect(parsePipelineDefinition(structuredClone(value))).toStrictEqual(value);
  });

  // The fixtures are the evidence for "every step type and expression form": keep them honest.
  const all = fixtures.map((f) => f.text).join('\n');
  it.each(STEP_TYPES)('the fixtures contain a %s step', (type) => {
    expect(all).toContain(`"Type": "${type}"`);
  });
  it.each([...CONDITION_TYPES])('the fixtures contain a %s condition', (type) => {
    expect(all).toContain(`"Type": "${type}"`);
  });
  it.each([
    ['a parameter Get', '{"Get": "Parameters.'],
    ['an execution variable', '{"Get": "Execution.'],
    ['a step property', '{"Get": "Steps.'],
    ['a list item selected by name', "Outputs['train']"],
    ['a single-value Std:Join (SDK numeric wrapping)', '{"Std:Join": {"On": "", "Values": [{"Get": "Parameters.'],
    ['Std:JsonGet on a property file', '{"Std:JsonGet": {"PropertyFile":'],
    ['Std:JsonGet on an S3 URI', '{"Std:JsonGet": {"S3Uri":'],
    ['Not(Not(Or(...)))', '{"Type": "Not", "Condition": {"Type": "Not", "Condition": {"Type": "Or"'],
    ['PipelineExperimentConfig: null', '"PipelineExperimentConfig": null'],
    ['MlflowConfig', '"MlflowConfig": {'],
    ['a parameter without Type', '{"Name": "BaselineData"}'],
    ['a false default', '"DefaultValue": false'],
    ['a 0 default', '"DefaultValue": 0'],
    ['"Bias": {} in ModelMetrics', '"Bias": {}'],
    ['ExpireAfterMin', '"ExpireAfterMin": '],
    ['a nested condition step', '"IfSteps": [{"Name": "InnerGate", "Type": "Condition"'],
  ])('the fixtures contain %s', (_what, snippet) => {
    expect(all).toContain(snippet);
  });
});
