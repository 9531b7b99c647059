import type { Property } from '../properties.js';
import type { Operand } from '../variables.js';
import type { ProcessingArguments } from './jobs.js';
import { PipelineStep, type JobStepOptions } from './step.js';

/** Step-level keys shared by QualityCheck and ClarifyCheck steps. */
interface CheckArguments<C extends string> {
  /** `CheckType`. */
  checkType: C;
  /** The processing job request of the monitor or Clarify container. */
  arguments: ProcessingArguments;
  /** Group whose latest approved baselines are checked against. */
  modelPackageGroupName?: Operand<string>;
  /** Skip the check and only compute baselines. */
  skipCheck?: Operand<boolean>;
  /** Fail the step on a violation. @defaultValue true (SDK) */
  failOnViolation?: Operand<boolean>;
  /** Use the calculated baselines from now on. */
  registerNewBaseline?: Operand<boolean>;
  /** S3 URI of the constraints to check against. */
  suppliedBaselineConstraints?: Operand<string>;
}

/** Arguments of a QualityCheck step. */
export interface QualityCheckArguments extends CheckArguments<'DATA_QUALITY' | 'MODEL_QUALITY'> {
  /** S3 URI of the statistics to check against. */
  suppliedBaselineStatistics?: Operand<string>;
}

/** Arguments of a ClarifyCheck step. */
export interface ClarifyCheckArguments extends CheckArguments<'DATA_BIAS' | 'MODEL_BIAS' | 'MODEL_EXPLAINABILITY'> {
  /** Model for shadow inference (MODEL_BIAS, MODEL_EXPLAINABILITY). */
  modelName?: Operand<string>;
}

/** Properties of a QualityCheck step (S3 URIs). */
export interface QualityCheckProperties {
  readonly CalculatedBaselineStatistics: Property<string>;
  readonly CalculatedBaselineConstraints: Property<string>;
  readonly BaselineUsedForDriftCheckStatistics: Property<string>;
  readonly BaselineUsedForDriftCheckConstraints: Property<string>;
}

/** Properties of a ClarifyCheck step (S3 URIs). */
export type ClarifyCheckProperties = Pick<QualityCheckProperties, 'CalculatedBaselineConstraints' | 'BaselineUsedForDriftCheckConstraints'>;

function checkStep<TType extends 'QualityCheck' | 'ClarifyCheck', TProperties>(
  type: TType,
  name: string,
  args: CheckArguments<string> & Pick<QualityCheckArguments, 'suppliedBaselineStatistics'> & Pick<ClarifyCheckArguments, 'modelName'>,
  options: JobStepOptions,
): PipelineStep<TType, TProperties> {
  const fields = {
    CheckType: args.checkType,
    ModelPackageGroupName: args.modelPackageGroupName,
    SkipCheck: args.skipCheck,
    FailOnViolation: args.failOnViolation,
    RegisterNewBaseline: args.registerNewBaseline,
    SuppliedBaselineStatistics: args.suppliedBaselineStatistics,
    SuppliedBaselineConstraints: args.suppliedBaselineConstraints,
    ModelName: args.modelName,
  };
  return new PipelineStep<TType, TProperties>(name, type, { arguments: args.arguments, fields, options });
}

/** A QualityCheck step: a Model Monitor baseline or drift check (reference §4.3). */
export function qualityCheck(
  name: string,
  args: QualityCheckArguments,
  options: JobStepOptions = {},
): PipelineStep<'QualityCheck', QualityCheckProperties> {
  return checkStep('QualityCheck', name, args, options);
}

/** A ClarifyCheck step: a bias or explainability check (reference §4.3). */
export function clarifyCheck(
  name: string,
  args: ClarifyCheckArguments,
  options: JobStepOptions = {},
): PipelineStep<'ClarifyCheck', ClarifyCheckProperties> {
  return checkStep('ClarifyCheck', name, args, options);
}
