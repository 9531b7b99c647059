import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCode, OrchestratorError } from '@cairn/core';
import type { ImageMapping } from '../config.js';

/** A resolved command line. */
export interface Command {
  command: string;
  args: string[];
}

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/**
 * The command that plays a container's entrypoint. `node` runs `argv` (a leading `node` dropped)
 * with this Node and the tsx loader, so TypeScript scripts run as they are; `process` runs it as given.
 */
export function containerCommand(image: string, mapping: ImageMapping, entrypoint: readonly string[] | undefined, args: readonly string[]): Command {
  const argv = [...(entrypoint ?? mapping.entrypoint ?? []), ...args];
  if (mapping.runtime === 'node') {
    const script = argv[0] !== undefined && basename(argv[0]) === 'node' ? argv.slice(1) : argv;
    if (script.length === 0) throw noEntrypoint(image);
    return { command: process.execPath, args: ['--import', tsxLoader, ...script] };
  }
  const [command, ...rest] = argv;
  if (command === undefined) throw noEntrypoint(image);
  return { command, args: rest };
}

function noEntrypoint(image: string): OrchestratorError {
  return new OrchestratorError(ErrorCode.ConfigInvalid, `Nothing to run for image "${image}": the step has no ContainerEntrypoint and the image mapping no "entrypoint".`, {
    fix: `set AppSpecification.ContainerEntrypoint in the step, or "entrypoint" under images["${image}"] in cairn.config.json.`,
  });
}
