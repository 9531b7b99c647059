import type { Expression } from '@cairn/core';
import { SERIALIZE } from './serialize.js';
import { PipelineVariable } from './variables.js';

/** A `Get` of a fixed name outside the steps: execution variables and experiment names. */
export class BuiltinVariable extends PipelineVariable<string> {
  constructor(readonly reference: string) {
    super();
  }

  /** @internal */
  [SERIALIZE](): Expression {
    return { Get: this.reference };
  }

  /** Already a string. */
  override asString(): PipelineVariable<string> {
    return this;
  }
}

const variable = (name: string): BuiltinVariable => new BuiltinVariable(`Execution.${name}`);

/** Execution variables (reference §5.4): `{"Get": "Execution.<Var>"}`. */
export const execution = {
  /** The execution id (12 lowercase alphanumerics). */
  pipelineExecutionId: variable('PipelineExecutionId'),
  /** The execution ARN. */
  pipelineExecutionArn: variable('PipelineExecutionArn'),
  /** The pipeline name. */
  pipelineName: variable('PipelineName'),
  /** The pipeline ARN. */
  pipelineArn: variable('PipelineArn'),
  /** When the execution started. */
  startDateTime: variable('StartDateTime'),
  /** When the expression is evaluated. */
  currentDateTime: variable('CurrentDateTime'),
  /** The training job name of the current Training step. */
  trainingJobName: variable('TrainingJobName'),
  /** The processing job name of the current Processing step. */
  processingJobName: variable('ProcessingJobName'),
} as const;

/** The resolved experiment and trial names: `{"Get": "PipelineExperimentConfig.<Field>"}`. */
export const pipelineExperimentConfig = {
  /** The experiment name. */
  experimentName: new BuiltinVariable('PipelineExperimentConfig.ExperimentName'),
  /** The trial name. */
  trialName: new BuiltinVariable('PipelineExperimentConfig.TrialName'),
} as const;
