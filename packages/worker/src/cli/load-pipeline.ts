import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DefinitionError } from '@cairn/core';
import { inputError } from './exit.js';
import { resolvePath, type CliIo } from './io.js';

/** A pipeline file as loaded: its name and its definition, not yet validated. */
export interface LoadedPipeline {
  /** Absolute path of the file. */
  file: string;
  /** Pipeline name: `--name`, else the DSL pipeline's `name`, else the file's base name. */
  name: string;
  /** JSON text (`.json` files) or the definition value a module produced; parse it with core. */
  source: unknown;
}

const TYPESCRIPT_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);
const MODULE_EXTENSIONS = new Set([...TYPESCRIPT_EXTENSIONS, '.js', '.mjs', '.cjs']);

/**
 * Loads a pipeline from a `.json` definition or a module (`.ts`/`.js`/`.mjs`) whose default
 * export (or export `pipeline`) is a DSL pipeline, a plain definition, or a function returning
 * either. Unreadable files and modules that fail to load are `INPUT_UNREADABLE` errors.
 */
export async function loadPipelineFile(io: Pick<CliIo, 'cwd'>, file: string, options: { name?: string | undefined } = {}): Promise<LoadedPipeline> {
  const abs = resolvePath(io, file);
  const ext = path.extname(abs).toLowerCase();
  const baseName = fileBaseName(abs);
  if (ext === '.json') {
    const source = await readJsonText(abs);
    return { file: abs, name: options.name ?? baseName, source };
  }
  if (!MODULE_EXTENSIONS.has(ext)) {
    throw inputError(`"${file}" is neither a JSON definition nor a JavaScript/TypeScript module.`, 'pass a .json, .ts, .js or .mjs file.');
  }
  if (TYPESCRIPT_EXTENSIONS.has(ext)) await useTypeScriptLoader();
  const loaded = await importPipeline(abs, file);
  return { file: abs, name: options.name ?? loaded.name ?? baseName, source: loaded.source };
}

/** A pipeline file's base name without its extension (`definition.json` → `definition`): the name of last resort. */
export function fileBaseName(file: string): string {
  return path.basename(file, path.extname(file));
}

let typeScriptLoader: Promise<void> | undefined;

/**
 * Makes `import()` load TypeScript: registers tsx once when this CLI runs from its build (dist/,
 * plain Node). Running from its own `.ts` sources, a TypeScript loader (tsx, vitest) is already on.
 */
function useTypeScriptLoader(): Promise<void> {
  typeScriptLoader ??= (async () => {
    if (import.meta.url.endsWith('.ts')) return;
    const { register } = await import('tsx/esm/api');
    register();
  })();
  return typeScriptLoader;
}

async function readJsonText(abs: string): Promise<string> {
  const text = await readText(abs);
  try {
    JSON.parse(text);
  } catch (err) {
    throw inputError(`"${abs}" is not valid JSON (${(err as Error).message}).`, 'check the file with a JSON linter; definitions are JSON documents.', err);
  }
  return text;
}

async function readText(abs: string): Promise<string> {
  try {
    return await readFile(abs, 'utf8');
  } catch (err) {
    throw inputError(`Cannot read "${abs}" (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`, 'check the path and the file permissions.', err);
  }
}

async function importPipeline(abs: string, file: string): Promise<{ name?: string; source: unknown }> {
  await readText(abs); // a missing file gets the same clear message as for JSON
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (err) {
    // A DSL pipeline that finds problems while it is built reports them as definition issues.
    if (err instanceof DefinitionError) throw err;
    throw inputError(`Cannot load pipeline module "${file}": ${(err as Error).message}`, 'fix the error in the module (run it with `node --import tsx <file>` to see the stack).', err);
  }
  const exported = mod['default'] ?? mod['pipeline'];
  if (exported === undefined) {
    throw inputError(`Pipeline module "${file}" has no default export and no export named "pipeline".`, 'add `export default pipeline(…)` (or `export const pipeline = …`).');
  }
  return unwrapPipeline(typeof exported === 'function' ? await (exported as () => unknown)() : exported);
}

/** A DSL pipeline (an object with `definition()` and maybe `name`) or a plain definition value. */
async function unwrapPipeline(value: unknown): Promise<{ name?: string; source: unknown }> {
  if (value !== null && typeof value === 'object' && typeof (value as { definition?: unknown }).definition === 'function') {
    const dsl = value as { name?: unknown; definition(): unknown };
    const source = await dsl.definition();
    return typeof dsl.name === 'string' ? { name: dsl.name, source } : { source };
  }
  return { source: value };
}
