import type { DirectedGraph } from 'graphology';
import type { Parameter } from '../definition/parameters.js';
import type { PipelineDefinition } from '../definition/pipeline.js';
import type { Step } from '../definition/steps.js';

/** One reference found in a step, with where it stands. */
export type StepReference =
  | { kind: 'parameter'; name: string; path: string }
  | { kind: 'execution'; variable: string; path: string }
  | { kind: 'experiment'; field: string; path: string }
  /** `Get Steps.X.<propertyPath>`: `propertyPath` is what follows `Steps.X.`. */
  | { kind: 'step'; stepName: string; propertyPath: string; path: string }
  /** `Std:JsonGet` on `Steps.X.PropertyFiles.<file>`. */
  | { kind: 'propertyFile'; stepName: string; file: string; jsonPath: string; path: string };

/** A step of a compiled pipeline. */
export interface CompiledStep {
  readonly name: string;
  readonly step: Step;
  /** JSON path of the step in the definition, e.g. `Steps[3].Arguments.IfSteps[0]`. */
  readonly path: string;
  /** The condition step and branch that enable it, for branch members. */
  readonly branch?: { condition: string; branch: 'IfSteps' | 'ElseSteps' };
  /** Upstream steps: explicit `DependsOn`, data references and the enclosing condition. Deduplicated. */
  readonly upstream: readonly string[];
  /** Downstream steps (the reverse edges). */
  readonly downstream: readonly string[];
  /** Every reference in the step's `Arguments` and step-level fields. */
  readonly references: readonly StepReference[];
}

/** A definition compiled into a DAG. */
export interface CompiledPipeline {
  readonly definition: PipelineDefinition;
  /** Nodes are step names; an edge u → v means v waits for u. Built on first access (`upstream`/`downstream` hold the same edges). */
  readonly graph: DirectedGraph;
  readonly steps: ReadonlyMap<string, CompiledStep>;
  /** A topological order of every step (top level and branch members). */
  readonly order: readonly string[];
  /** Steps grouped by longest distance from a root (wave 0 has no upstream). */
  readonly waves: readonly (readonly string[])[];
  readonly parameters: ReadonlyMap<string, Parameter>;
}
