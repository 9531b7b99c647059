import { DirectedGraph } from 'graphology';
import { DefinitionError, type DefinitionIssue } from '../errors.js';
import { joinJsonPath } from '../definition/json-path.js';
import { DEFINITION_LIMITS } from '../definition/limits.js';
import type { Parameter } from '../definition/parameters.js';
import type { PipelineDefinition } from '../definition/pipeline.js';
import type { Step } from '../definition/steps.js';
import { suggestFix } from '../internal/suggest.js';
import { findCycles } from './cycles.js';
import { checkParameters } from './parameters.js';
import { checkPropertyPath, type PropertyPathProblem } from './properties.js';
import { scanReferences, type ReferenceScan } from './references.js';
import type { CompiledPipeline, CompiledStep, StepReference } from './types.js';

/** Options of `compilePipeline`. */
export interface CompileOptions {
  /** Most steps accepted, counting branch members. @defaultValue DEFINITION_LIMITS.maxSteps (20,000) */
  maxSteps?: number;
}

type Branch = NonNullable<CompiledStep['branch']>;

/** A step while compiling: where it is, its branch, the references found in it and its edges. */
interface StepEntry {
  name: string;
  step: Step;
  path: string;
  branch: Branch | undefined;
  references: StepReference[];
  /** Position in definition order. */
  index: number;
  /** Steps this one waits for, deduplicated, in the order they were found. */
  upstream: StepEntry[];
  downstream: StepEntry[];
  /** The step that last added an edge from this one (edges are added one downstream step at a time). */
  linkedTo?: StepEntry;
}

/** What linking one step needs: the whole pipeline's index and the issue list. */
interface LinkContext {
  entries: ReadonlyMap<string, StepEntry>;
  parameters: ReadonlyMap<string, Parameter>;
  issues: DefinitionIssue[];
  /** Property-path checks by `Type|path`: large pipelines repeat the same few paths. */
  propertyProblems: Map<string, PropertyPathProblem | undefined>;
}

/** Step-level keys that never hold expressions (everything else beside `Arguments` may). */
const STRUCTURAL_KEYS = new Set([
  'Name', 'Type', 'Arguments', 'DependsOn', 'DisplayName', 'Description', 'CacheConfig', 'RetryPolicies',
  'PropertyFiles', 'OutputParameters',
]);

/**
 * Checks a parsed definition as a whole and turns it into a DAG. Every problem (duplicate or
 * unknown names, bad references and property paths, cycles, parameter defaults …) is collected
 * and thrown as one `DefinitionError`.
 */
export function compilePipeline(definition: PipelineDefinition, options: CompileOptions = {}): CompiledPipeline {
  const issues: DefinitionIssue[] = [];
  const parameters = checkParameters(definition.Parameters ?? [], issues);
  const entries = collectSteps(definition.Steps, issues, options.maxSteps ?? DEFINITION_LIMITS.maxSteps);
  const context: LinkContext = { entries, parameters, issues, propertyProblems: new Map() };
  for (const entry of entries.values()) linkStep(entry, context);
  checkPipelineLevelReferences(definition, parameters, issues);
  const list = [...entries.values()];
  const waves = topologicalWaves(list);
  if (waves === undefined) issues.push(...findCycles(buildGraph(list), (name) => entries.get(name)!.path));
  if (issues.length > 0) throw new DefinitionError(issues);

  const steps = new Map<string, CompiledStep>();
  for (const entry of list) steps.set(entry.name, compiledStep(entry));
  let graph: DirectedGraph | undefined;
  return {
    definition,
    get graph() {
      return (graph ??= buildGraph(list));
    },
    steps,
    order: waves!.flat(),
    waves: waves!,
    parameters,
  };
}

function compiledStep(entry: StepEntry): CompiledStep {
  const { name, step, path, branch, references } = entry;
  const upstream = entry.upstream.map((e) => e.name);
  const downstream = entry.downstream.map((e) => e.name);
  // Two literals rather than a conditional spread: this runs for every step.
  return branch
    ? { name, step, path, branch, upstream, downstream, references }
    : { name, step, path, upstream, downstream, references };
}

/** The graphology DAG of the linked steps (nodes carry their `type`). */
function buildGraph(entries: readonly StepEntry[]): DirectedGraph {
  const graph = new DirectedGraph({ allowSelfLoops: true });
  for (const entry of entries) graph.addNode(entry.name, { type: entry.step.Type });
  for (const entry of entries) for (const up of entry.upstream) graph.addDirectedEdge(up.name, entry.name);
  return graph;
}

/**
 * Kahn's algorithm in one O(V+E) pass over the edges found while linking: steps grouped by
 * longest distance from a root, in the order graphology-dag's `topologicalGenerations` gives;
 * `undefined` when a cycle leaves steps unplaced.
 */
function topologicalWaves(entries: readonly StepEntry[]): string[][] | undefined {
  const waiting = entries.map((e) => e.upstream.length);
  const wave = new Array<number>(entries.length);
  const queue = entries.filter((e) => e.upstream.length === 0);
  queue.forEach((e) => (wave[e.index] = 0));
  const waves: string[][] = [];
  for (let head = 0; head < queue.length; head++) {
    const entry = queue[head]!;
    const w = wave[entry.index]!;
    (waves[w] ??= []).push(entry.name);
    for (const down of entry.downstream) {
      if (--waiting[down.index]! === 0) {
        wave[down.index] = w + 1;
        queue.push(down);
      }
    }
  }
  return queue.length === entries.length ? waves : undefined;
}

/**
 * Walks top-level steps and condition branches (iteratively, in definition order) and indexes
 * them by name; duplicate names anywhere are issues that name both places.
 */
function collectSteps(top: readonly Step[], issues: DefinitionIssue[], maxSteps: number): Map<string, StepEntry> {
  const entries = new Map<string, StepEntry>();
  const stack: Array<{ step: Step; path: string; branch: Branch | undefined }> = [];
  const pushAll = (steps: readonly Step[] | undefined, base: string, branch?: Branch) => {
    for (let i = (steps?.length ?? 0) - 1; i >= 0; i--) stack.push({ step: steps![i]!, path: `${base}[${i}]`, branch });
  };
  pushAll(top, 'Steps');
  let count = 0;
  while (stack.length > 0) {
    const { step, path, branch } = stack.pop()!;
    if (++count > maxSteps) {
      throw new DefinitionError([
        {
          code: 'TOO_MANY_STEPS',
          path,
          message: `The definition has more than ${maxSteps} steps (counting condition branches).`,
          fix: 'split the pipeline into several pipelines.',
        },
      ]);
    }
    if (step.Type === 'Condition') {
      const condition = step.Name;
      pushAll(step.Arguments.ElseSteps, `${path}.Arguments.ElseSteps`, { condition, branch: 'ElseSteps' });
      pushAll(step.Arguments.IfSteps, `${path}.Arguments.IfSteps`, { condition, branch: 'IfSteps' });
    }
    const first = entries.get(step.Name);
    if (first) {
      issues.push(duplicateStep(step.Name, first, path, branch));
      continue;
    }
    entries.set(step.Name, {
      name: step.Name,
      step,
      path,
      branch,
      references: [],
      index: entries.size,
      upstream: [],
      downstream: [],
    });
  }
  return entries;
}

function duplicateStep(name: string, first: StepEntry, path: string, branch: Branch | undefined): DefinitionIssue {
  if (branch && first.branch?.condition === branch.condition && first.branch.branch !== branch.branch) {
    return {
      code: 'STEP_IN_BOTH_BRANCHES',
      path: `${path}.Name`,
      message: `Step "${name}" is in both IfSteps and ElseSteps of condition "${branch.condition}" (${first.path} and ${path}).`,
      fix: 'keep the step in one branch; a step that must run either way belongs after the condition, with DependsOn.',
    };
  }
  return {
    code: 'DUPLICATE_STEP_NAME',
    path: `${path}.Name`,
    message: `Step name "${name}" is used twice: at ${first.path} and at ${path}. Names are unique across the whole pipeline, condition branches included.`,
    fix: `rename one of them (e.g. "${name}-2") and update the references to it.`,
  };
}

/** Adds the edge `from` → `to` once (`to`'s edges are all added before the next step's). */
function addEdge(from: StepEntry, to: StepEntry): void {
  if (from.linkedTo === to) return;
  from.linkedTo = to;
  to.upstream.push(from);
  from.downstream.push(to);
}

/** Finds the step's references and dependencies, checks them, and adds its incoming edges. */
function linkStep(entry: StepEntry, context: LinkContext): void {
  const { step, path, name } = entry;
  const { entries, parameters, issues } = context;
  const scan: ReferenceScan = { references: entry.references, issues };
  if (step.Type === 'Condition') {
    // Branch steps are nodes of their own; only the conditions are this step's inputs.
    scanReferences(step.Arguments.Conditions, `${path}.Arguments.Conditions`, scan);
  } else {
    scanReferences(step.Arguments, `${path}.Arguments`, scan);
    for (const [key, value] of Object.entries(step)) {
      if (!STRUCTURAL_KEYS.has(key)) scanReferences(value, joinJsonPath(path, key), scan);
    }
  }
  if (step.Type === 'Processing') checkPropertyFileOutputs(step, path, issues);
  if (entry.branch) addEdge(entries.get(entry.branch.condition)!, entry);
  step.DependsOn?.forEach((dep, i) => {
    const at = `${path}.DependsOn[${i}]`;
    const target = entries.get(dep);
    if (!target) issues.push(unknownStep(name, dep, at, entries, 'UNKNOWN_DEPENDS_ON', 'depends on'));
    else if (target.step.Type === 'Fail') issues.push(failTarget(name, dep, at, 'DEPENDS_ON_FAIL_STEP'));
    else addEdge(target, entry);
  });
  for (const ref of entry.references) {
    if (ref.kind === 'parameter') checkParameterReference(ref.name, ref.path, parameters, issues);
    else if (ref.kind === 'step' || ref.kind === 'propertyFile') {
      const target = entries.get(ref.stepName);
      if (!target) issues.push(unknownStep(name, ref.stepName, ref.path, entries, 'UNKNOWN_STEP_REFERENCE', 'references'));
      else if (target.step.Type === 'Fail') issues.push(failTarget(name, ref.stepName, ref.path, 'REFERENCE_TO_FAIL_STEP'));
      else {
        const problem =
          ref.kind === 'step'
            ? checkStepProperty(target, ref.propertyPath, ref.path, context.propertyProblems)
            : checkPropertyFile(target, ref.file, ref.path);
        if (problem) issues.push(problem);
        addEdge(target, entry);
      }
    }
  }
}

function checkParameterReference(
  name: string,
  path: string,
  parameters: ReadonlyMap<string, Parameter>,
  issues: DefinitionIssue[],
): void {
  if (parameters.has(name)) return;
  issues.push({
    code: 'UNKNOWN_PARAMETER',
    path,
    message: `Parameter "${name}" is referenced but not declared in Parameters.`,
    fix: suggestFix(name, parameters.keys(), `Declare it in Parameters or correct the name.`),
  });
}

/** Parameters may also be read by the top-level experiment and MLflow configurations. */
function checkPipelineLevelReferences(
  definition: PipelineDefinition,
  parameters: ReadonlyMap<string, Parameter>,
  issues: DefinitionIssue[],
): void {
  const scan: ReferenceScan = { references: [], issues };
  scanReferences(definition.PipelineExperimentConfig, 'PipelineExperimentConfig', scan);
  scanReferences(definition.MlflowConfig, 'MlflowConfig', scan);
  for (const ref of scan.references) {
    if (ref.kind === 'parameter') checkParameterReference(ref.name, ref.path, parameters, issues);
    else if (ref.kind === 'step' || ref.kind === 'propertyFile') {
      issues.push({
        code: 'STEP_REFERENCE_OUTSIDE_STEP',
        path: ref.path,
        message: `Step "${ref.stepName}" is referenced outside any step; step properties exist only while an execution runs.`,
        fix: 'use a literal, a parameter or an execution variable here.',
      });
    }
  }
}

function unknownStep(
  from: string,
  to: string,
  path: string,
  entries: ReadonlyMap<string, StepEntry>,
  code: string,
  verb: string,
): DefinitionIssue {
  return {
    code,
    path,
    message: `Step "${from}" ${verb} "${to}", which the pipeline does not define.`,
    fix: suggestFix(to, entries.keys(), `Add a step named "${to}" or correct the name.`),
  };
}

function failTarget(from: string, to: string, path: string, code: string): DefinitionIssue {
  return {
    code,
    path,
    message:
      code === 'DEPENDS_ON_FAIL_STEP'
        ? `Step "${from}" can not depend on Fail step "${to}".`
        : `Step "${from}" references Fail step "${to}", which has no properties.`,
    fix: `remove "${to}"; a Fail step ends the execution, so nothing can run after it.`,
  };
}

function checkStepProperty(
  target: StepEntry,
  propertyPath: string,
  path: string,
  cache: Map<string, PropertyPathProblem | undefined>,
): DefinitionIssue | undefined {
  const key = `${target.step.Type}|${propertyPath}`;
  if (!cache.has(key)) cache.set(key, checkPropertyPath(target.step.Type, propertyPath));
  const problem = cache.get(key) ?? undeclaredOutputParameter(target, propertyPath);
  if (!problem) return undefined;
  return {
    code: 'UNKNOWN_PROPERTY',
    path,
    message: `Steps.${target.name}.${propertyPath}: ${problem.message} Step "${target.name}" is a ${target.step.Type} step.`,
    fix: problem.fix,
  };
}

/** `OutputParameters['x']` of a Callback or Lambda step must name one of its declared outputs. */
function undeclaredOutputParameter(target: StepEntry, propertyPath: string): PropertyPathProblem | undefined {
  const { step } = target;
  if (step.Type !== 'Callback' && step.Type !== 'Lambda') return undefined;
  const name = /^OutputParameters\['([^']*)'\]$/.exec(propertyPath)?.[1];
  const declared = (step.OutputParameters ?? []).map((o) => o.OutputName);
  if (name === undefined || declared.includes(name)) return undefined;
  return {
    at: propertyPath,
    message: `the step declares no output parameter "${name}".`,
    fix: suggestFix(name, declared, `Declare {"OutputName": "${name}"} in its OutputParameters or correct the name.`),
  };
}

function checkPropertyFile(target: StepEntry, file: string, path: string): DefinitionIssue | undefined {
  if (target.step.Type !== 'Processing') {
    return {
      code: 'JSONGET_ON_NON_PROCESSING_STEP',
      path,
      message: `Std:JsonGet reads property file "${file}" of "${target.name}", a ${target.step.Type} step; only Processing steps have property files.`,
      fix: 'point PropertyFile at a Processing step that declares the file in its PropertyFiles.',
    };
  }
  const declared = (target.step.PropertyFiles ?? []).map((f) => f.PropertyFileName);
  if (declared.includes(file)) return undefined;
  return {
    code: 'UNKNOWN_PROPERTY_FILE',
    path,
    message: `Step "${target.name}" declares no property file "${file}".`,
    fix: suggestFix(file, declared, `Declare it in ${target.path}.PropertyFiles or correct the name.`),
  };
}

/** A property file must name one of the step's processing outputs (reference §3.3). */
function checkPropertyFileOutputs(step: Extract<Step, { Type: 'Processing' }>, path: string, issues: DefinitionIssue[]): void {
  const outputs = step.Arguments.ProcessingOutputConfig?.Outputs.map((o) => o.OutputName) ?? [];
  // An output named by an expression is only known at run time: nothing to check against.
  if (outputs.some((o) => typeof o !== 'string')) return;
  const names = outputs as string[];
  step.PropertyFiles?.forEach((file, i) => {
    if (names.includes(file.OutputName)) return;
    issues.push({
      code: 'PROPERTY_FILE_OUTPUT_UNKNOWN',
      path: `${path}.PropertyFiles[${i}].OutputName`,
      message: `Property file "${file.PropertyFileName}" names output "${file.OutputName}", which step "${step.Name}" does not have.`,
      fix: suggestFix(file.OutputName, names, `Use the OutputName of one of Arguments.ProcessingOutputConfig.Outputs.`),
    });
  });
}
