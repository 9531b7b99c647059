import { validatePipelineDefinition, type CompiledPipeline, type PipelineDefinition } from '@cairn/core';
import type { CliIo } from './io.js';
import { loadPipelineFile, type LoadedPipeline } from './load-pipeline.js';

/** A loaded pipeline whose definition parsed and compiled. */
export interface CheckedPipeline extends LoadedPipeline {
  definition: PipelineDefinition;
  compiled: CompiledPipeline;
}

/** Parses and compiles a loaded pipeline; throws a `DefinitionError` listing every issue. */
export function checkPipeline(loaded: LoadedPipeline): CheckedPipeline {
  return { ...loaded, ...validatePipelineDefinition(loaded.source) };
}

/** Loads a pipeline file, then parses and compiles it. */
export async function loadCheckedPipeline(io: Pick<CliIo, 'cwd'>, file: string, options: { name?: string | undefined } = {}): Promise<CheckedPipeline> {
  return checkPipeline(await loadPipelineFile(io, file, options));
}
