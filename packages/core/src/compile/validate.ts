import { parsePipelineDefinition, type ParseOptions } from '../definition/parse.js';
import type { PipelineDefinition } from '../definition/pipeline.js';
import { compilePipeline, type CompileOptions } from './compile-pipeline.js';
import type { CompiledPipeline } from './types.js';

/** A definition that passed both the schemas and the compiler. */
export interface ValidatedPipeline {
  definition: PipelineDefinition;
  compiled: CompiledPipeline;
}

/**
 * Parses and compiles a definition (JSON text or a parsed value) in one go; throws a
 * `DefinitionError` listing every issue found.
 */
export function validatePipelineDefinition(
  input: string | unknown,
  options: ParseOptions & CompileOptions = {},
): ValidatedPipeline {
  const definition = parsePipelineDefinition(input, options);
  const maxSteps = options.limits?.maxSteps ?? options.maxSteps;
  return { definition, compiled: compilePipeline(definition, maxSteps === undefined ? {} : { maxSteps }) };
}
