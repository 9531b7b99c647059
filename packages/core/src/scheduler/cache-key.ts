import { createHash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import type { StepType } from '../definition/steps.js';
import type { JsonObject, JsonValue } from '../json.js';

/**
 * Cache-key attributes per step type (reference §8.5). A nested list keeps only the named fields
 * of that attribute. Changing anything else (instance type, role, output path, tags) keeps the key.
 */
const CACHE_KEY_ATTRIBUTES: Partial<Record<StepType, Readonly<Record<string, readonly string[] | true>>>> = {
  Processing: { AppSpecification: true, Environment: true, ProcessingInputs: true },
  Training: {
    AlgorithmSpecification: true,
    CheckpointConfig: true,
    DebugHookConfig: true,
    DebugRuleConfigurations: true,
    Environment: true,
    HyperParameters: true,
    InputDataConfig: true,
  },
  Tuning: {
    HyperParameterTuningJobConfig: true,
    TrainingJobDefinition: ['AlgorithmSpecification', 'HyperParameterRanges', 'InputDataConfig', 'StaticHyperParameters', 'TuningObjective'],
    TrainingJobDefinitions: true,
  },
  AutoML: {
    AutoMLJobConfig: ['CompletionCriteria', 'CandidateGenerationConfig', 'DataSplitConfig', 'Mode'],
    AutoMLJobObjective: true,
    InputDataConfig: true,
    ProblemType: true,
  },
  Transform: { DataProcessing: true, Environment: true, ModelName: true, TransformInput: true },
  ClarifyCheck: {
    ClarifyCheckConfig: true,
    CheckJobConfig: true,
    SkipCheck: true,
    RegisterNewBaseline: true,
    ModelPackageGroupName: true,
    SuppliedBaselineConstraints: true,
  },
  QualityCheck: {
    QualityCheckConfig: true,
    CheckJobConfig: true,
    SkipCheck: true,
    RegisterNewBaseline: true,
    ModelPackageGroupName: true,
    SuppliedBaselineConstraints: true,
    SuppliedBaselineStatistics: true,
  },
  EMR: { ClusterId: true, StepConfig: true },
};

/**
 * The cache key of a step attempt: SHA-256 (hex) of the canonical JSON of the step type and the
 * cache-key attributes of its resolved arguments and step-level fields. Types the reference does
 * not list (Callback, Lambda, …) key on all of their resolved arguments and fields.
 */
export function cacheKey(stepType: StepType, args: JsonObject, stepFields: JsonObject = {}): string {
  const all: JsonObject = { ...args, ...stepFields };
  const table = CACHE_KEY_ATTRIBUTES[stepType];
  const picked: JsonObject = {};
  if (!table) Object.assign(picked, all);
  else {
    for (const [attr, fields] of Object.entries(table)) {
      const v = all[attr];
      if (v !== undefined) picked[attr] = fields === true ? v : pick(v, fields);
    }
  }
  return createHash('sha256').update(stringify({ type: stepType, key: picked }) ?? '').digest('hex');
}

function pick(value: JsonValue, fields: readonly string[]): JsonValue {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: JsonObject = {};
  for (const f of fields) if (value[f] !== undefined) out[f] = value[f]!;
  return out;
}

const DURATION =
  /^p?(?:(\d+(?:\.\d+)?)y)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)w)?(?:(\d+(?:\.\d+)?)d)?(?:t(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?)?$/i;
const UNIT_MS = [365 * 86_400_000, 30 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000];

/**
 * Parses a `CacheConfig.ExpireAfter` ISO-8601 duration leniently (reference §3.1): case-insensitive,
 * optional leading `P`, Y/M/W/D before `T`, H/M/S after it (`PT1H`, `P30D`, `p30d`, `T12H`, `30d`,
 * `30dT5h`). Years count 365 days, months 30. Returns milliseconds, or `undefined` when unparsable.
 */
export function parseExpireAfter(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m || !m.slice(1).some((g) => g !== undefined)) return undefined;
  return m.slice(1).reduce((ms, g, i) => ms + (g === undefined ? 0 : Number(g) * UNIT_MS[i]!), 0);
}
