import type { JsonObject, JsonValue } from '@cairn/core';

/**
 * Properties of QualityCheck and ClarifyCheck steps (reference §4.1): the baselines the check job
 * calculated and the ones used for drift checks. Model Monitor's analyzer writes
 * `statistics.json` and `constraints.json`, Clarify writes `analysis.json`, into the job's first
 * output; drift checks use the supplied baseline unless `RegisterNewBaseline` is set *(unverified
 * beyond the SDK's documentation)*.
 */

/** The step-level check keys kept in the handle between start and poll. */
export const CHECK_FIELD_KEYS = [
  'CheckType',
  'ModelPackageGroupName',
  'SkipCheck',
  'RegisterNewBaseline',
  'SuppliedBaselineStatistics',
  'SuppliedBaselineConstraints',
] as const;

/** The check keys of a step's resolved step-level fields. */
export function pickCheckFields(fields: JsonObject): JsonObject {
  const picked: JsonObject = {};
  for (const key of CHECK_FIELD_KEYS) {
    const value = fields[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}

/** Check properties and the `Metadata` entry of a finished check job. */
export function checkResult(
  type: 'QualityCheck' | 'ClarifyCheck',
  describe: JsonObject,
  fields: JsonObject,
  arn: string | undefined,
): { properties: JsonObject; metadata: JsonObject } {
  const output = firstOutputUri(describe);
  const calculated: JsonObject =
    type === 'QualityCheck'
      ? { CalculatedBaselineStatistics: `${output}/statistics.json`, CalculatedBaselineConstraints: `${output}/constraints.json` }
      : { CalculatedBaselineConstraints: `${output}/analysis.json` };
  const useNew = fields['RegisterNewBaseline'] === true;
  const used = (kind: 'Statistics' | 'Constraints'): JsonValue | undefined =>
    (!useNew ? fields[`SuppliedBaseline${kind}`] : undefined) ?? calculated[`CalculatedBaseline${kind}`];
  const properties: JsonObject = { ...calculated };
  for (const kind of ['Statistics', 'Constraints'] as const) {
    const value = used(kind);
    if (value !== undefined) properties[`BaselineUsedForDriftCheck${kind}`] = value;
  }
  const { SuppliedBaselineStatistics: _s, SuppliedBaselineConstraints: _c, ...flags } = fields;
  return { properties, metadata: { [type]: { ...flags, ...properties, ...(arn ? { CheckJobArn: arn } : {}) } } };
}

function firstOutputUri(describe: JsonObject): string {
  const config = describe['ProcessingOutputConfig'] as { Outputs?: { S3Output?: { S3Uri?: string } }[] } | undefined;
  return (config?.Outputs?.[0]?.S3Output?.S3Uri ?? '').replace(/\/$/, '');
}
