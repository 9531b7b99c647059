import {
  DEFINITION_VERSION,
  DefinitionError,
  serializePipelineDefinition,
  validatePipelineDefinition,
  type CompiledPipeline,
  type DefinitionIssue,
  type PipelineDefinition,
} from '@cairn/core';
import { z } from 'zod';
import { execution } from './execution.js';
import type { Parameter } from './parameters.js';
import { RENDER_STEP, serializeValue, type ParameterLike, type RenderContext, type Renderable } from './serialize.js';
import type { PipelineStep } from './steps/step.js';
import type { Operand } from './variables.js';

/** Experiment and trial names of each execution (`PipelineExperimentConfig`). */
export interface ExperimentConfig {
  experimentName: Operand<string>;
  trialName: Operand<string>;
}

/** Options of `pipeline`. */
export interface PipelineOptions {
  /** Pipeline name: letters, digits and hyphens, starting with a letter or digit (≤ 256). */
  name: string;
  /** Parameters to declare; parameters the steps use are declared too, after these. */
  parameters?: readonly Parameter<string | number | boolean>[];
  /** Top-level steps; steps they reference that are not placed anywhere are added after them (as the SDK does). */
  steps: readonly PipelineStep[];
  /** `PipelineExperimentConfig`; `null` disables it. @defaultValue the SDK's: pipeline name and execution id */
  experimentConfig?: ExperimentConfig | null;
  /** `Metadata`: opaque string map. @defaultValue {} */
  metadata?: Readonly<Record<string, string>>;
}

/** A pipeline built with the DSL. */
export interface Pipeline {
  /** The pipeline name. */
  readonly name: string;
  /** The definition object, checked by the schemas and the compiler of `@cairn/core`. */
  definition(): PipelineDefinition;
  /** The definition as the string SageMaker's `PipelineDefinition` field expects. */
  toJSON(): string;
  /** The definition compiled into a DAG by `@cairn/core` (steps, edges, order). */
  compile(): CompiledPipeline;
}

const PipelineNameSchema = z
  .string()
  .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$/, 'Pipeline names use letters, digits and hyphens (no underscores), 1–256 characters.');

const SDK_EXPERIMENT_CONFIG: ExperimentConfig = {
  experimentName: execution.pipelineName,
  trialName: execution.pipelineExecutionId,
};

/** Renders steps and collects what they reference; gathers problems instead of stopping at the first. */
class DefinitionBuilder implements RenderContext {
  readonly referenced = new Set<Renderable>();
  readonly placed = new Map<string, { step: Renderable; path: string }>();
  readonly parameters = new Map<string, { parameter: ParameterLike; declaration: string }>();
  readonly issues: DefinitionIssue[] = [];

  reference(step: Renderable): void {
    this.referenced.add(step);
  }

  parameter(parameter: ParameterLike): void {
    const declaration = JSON.stringify(parameter.declaration());
    const known = this.parameters.get(parameter.name);
    if (known === undefined) this.parameters.set(parameter.name, { parameter, declaration });
    else if (known.declaration !== declaration) {
      this.issues.push({
        code: 'DUPLICATE_PARAMETER_NAME',
        path: 'Parameters',
        message: `Two different parameters are named "${parameter.name}" (${known.declaration} and ${declaration}).`,
        fix: 'create each parameter once and reuse the object, or give them different names.',
      });
    }
  }

  place(step: Renderable, path: string): unknown {
    const known = this.placed.get(step.name);
    if (known !== undefined) {
      this.issues.push({
        code: known.step === step ? 'STEP_PLACED_TWICE' : 'DUPLICATE_STEP_NAME',
        path,
        message:
          known.step === step
            ? `Step "${step.name}" is placed at ${known.path} and again here.`
            : `Another step named "${step.name}" is already placed at ${known.path}.`,
        fix:
          known.step === step
            ? 'list each step once: at the top level or in one branch of one condition.'
            : 'give every step a unique name (names are global across condition branches).',
      });
    }
    this.placed.set(step.name, { step, path });
    return step[RENDER_STEP](this, path);
  }

  /** Referenced steps that no list places. */
  unplaced(): Renderable[] {
    return [...this.referenced].filter((step) => this.placed.get(step.name)?.step !== step);
  }
}

function renderSteps(builder: DefinitionBuilder, steps: readonly PipelineStep[]): unknown[] {
  const rendered = steps.map((step, i) => builder.place(step, `Steps[${i}]`));
  const added = new Set<Renderable>();
  for (let pending = builder.unplaced(); pending.length > 0; pending = builder.unplaced().filter((s) => !added.has(s))) {
    for (const step of pending) {
      added.add(step);
      rendered.push(builder.place(step, `Steps[${rendered.length}]`));
    }
  }
  return rendered;
}

function render(options: PipelineOptions): unknown {
  const builder = new DefinitionBuilder();
  for (const p of options.parameters ?? []) builder.parameter(p);
  const steps = renderSteps(builder, options.steps);
  const experimentConfig = options.experimentConfig === undefined ? SDK_EXPERIMENT_CONFIG : options.experimentConfig;
  const definition = {
    Version: DEFINITION_VERSION,
    Metadata: { ...options.metadata },
    Parameters: [...builder.parameters.values()].map(({ parameter }) => parameter.declaration()),
    PipelineExperimentConfig:
      experimentConfig === null
        ? null
        : serializeValue(
            { ExperimentName: experimentConfig.experimentName, TrialName: experimentConfig.trialName },
            builder,
            'PipelineExperimentConfig',
          ),
    Steps: steps,
  };
  if (builder.issues.length > 0) throw new DefinitionError(builder.issues);
  return definition;
}

/**
 * Collects a pipeline's steps (with those reachable only through references or condition
 * branches) and parameters into a definition. Throws `DefinitionError` for an invalid name.
 */
export function pipeline(options: PipelineOptions): Pipeline {
  const name = PipelineNameSchema.safeParse(options.name);
  if (!name.success) {
    throw new DefinitionError([
      {
        code: 'INVALID_PIPELINE_NAME',
        path: 'name',
        message: `Pipeline name "${options.name}" is not valid: ${name.error.issues[0]?.message ?? 'bad format'}`,
        fix: 'use letters, digits and hyphens, e.g. "diamonds-price".',
      },
    ]);
  }
  // The rendered object (in the author's key order) is returned once the schemas and the compiler accept it.
  const definition = (): PipelineDefinition => {
    const rendered = render(options);
    validatePipelineDefinition(rendered);
    return rendered as PipelineDefinition;
  };
  return {
    name: options.name,
    definition,
    toJSON: () => serializePipelineDefinition(definition()),
    compile: () => validatePipelineDefinition(render(options)).compiled,
  };
}
