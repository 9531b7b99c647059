import type { Properties } from '../properties.js';
import type { Operand } from '../variables.js';
import { PipelineStep, type JobStepOptions } from './step.js';

/** `HadoopJarStep` of an EMR step. */
export interface HadoopJarStep {
  Jar: Operand<string>;
  Args?: readonly Operand<string>[];
  MainClass?: Operand<string>;
  Properties?: readonly { Key: Operand<string>; Value: Operand<string> }[];
}

/** Arguments of an EMR step: an existing cluster (`ClusterId`) or a new one (`ClusterConfig`). */
export type EMRArguments = { StepConfig: { HadoopJarStep: HadoopJarStep } } & (
  | { ClusterId: Operand<string>; ExecutionRoleArn?: Operand<string>; ClusterConfig?: never }
  | { ClusterConfig: Readonly<Record<string, unknown>>; ClusterId?: never; ExecutionRoleArn?: never }
);

/** The EMR `DescribeStep` → `Step` shape (plus `ClusterId`) that an EMR step's properties follow. */
export interface EMRStepDescription {
  ClusterId: string;
  Id: string;
  Name: string;
  ActionOnFailure: string;
  Config: { Jar: string; MainClass: string; Args: string[]; Properties: Record<string, string> };
  Status: {
    State: string;
    StateChangeReason: { Code: string; Message: string };
    FailureDetails: { Reason: string; Message: string; LogFile: string };
  };
}

/** An EMR step: runs a Hadoop jar step on an EMR cluster (reference §4.5). */
export function emr(name: string, args: EMRArguments, options: JobStepOptions = {}): PipelineStep<'EMR', Properties<EMRStepDescription>> {
  return new PipelineStep<'EMR', Properties<EMRStepDescription>>(name, 'EMR', { arguments: args, options });
}
