import { DefinitionError, type Expression, type GetExpression, type JoinExpression, type Primitive } from '@cairn/core';
import { SERIALIZE, serializeValue, type RenderContext, type Renderable } from './serialize.js';
import { PipelineVariable, type Operand } from './variables.js';

/** Options of `propertyFile`. */
export interface PropertyFileOptions {
  /** `PropertyFileName`: how `jsonGet` refers to the file. */
  name: string;
  /** `OutputName` of the Processing output that holds the file. */
  outputName: string;
  /** `FilePath` of the JSON file inside that output. */
  path: string;
}

/** A JSON file a Processing step writes, readable with `jsonGet` (reference §3.3). */
export class PropertyFile {
  #step: Renderable | undefined;

  constructor(readonly options: PropertyFileOptions) {}

  /** The Processing step that declares this file, once attached. */
  get step(): Renderable | undefined {
    return this.#step;
  }

  /** Attaches the file to the Processing step that declares it. @internal */
  attach(step: Renderable): void {
    if (this.#step !== undefined && this.#step !== step) {
      throw new DefinitionError([
        {
          code: 'PROPERTY_FILE_REUSED',
          path: `Steps.${step.name}.PropertyFiles`,
          message: `Property file "${this.options.name}" is already declared by step "${this.#step.name}".`,
          fix: 'create one propertyFile(...) per Processing step.',
        },
      ]);
    }
    this.#step = step;
  }

  /** The `PropertyFiles` entry of the step. */
  declaration(): { PropertyFileName: string; OutputName: string; FilePath: string } {
    return { PropertyFileName: this.options.name, OutputName: this.options.outputName, FilePath: this.options.path };
  }
}

/** Declares a property file; pass it in a Processing step's `propertyFiles` option. */
export function propertyFile(options: PropertyFileOptions): PropertyFile {
  return new PropertyFile(options);
}

/** `{"Std:JsonGet": …}`: a value read from a property file or from a JSON object in S3. */
export class JsonGet<T extends Primitive> extends PipelineVariable<T> {
  constructor(
    readonly source: PropertyFile | Operand<string>,
    readonly path: string,
  ) {
    super();
  }

  /** @internal */
  [SERIALIZE](ctx: RenderContext): Expression {
    if (!(this.source instanceof PropertyFile)) {
      const s3Uri = serializeValue(this.source, ctx, 'Std:JsonGet.S3Uri') as string | GetExpression | JoinExpression;
      return { 'Std:JsonGet': { S3Uri: s3Uri, Path: this.path } };
    }
    const step = this.source.step;
    if (step === undefined) {
      throw new DefinitionError([
        {
          code: 'PROPERTY_FILE_NOT_DECLARED',
          path: 'Std:JsonGet.PropertyFile',
          message: `jsonGet reads property file "${this.source.options.name}", which no Processing step declares.`,
          fix: 'pass the property file in the `propertyFiles` option of the Processing step that writes it.',
        },
      ]);
    }
    ctx.reference(step);
    return { 'Std:JsonGet': { PropertyFile: { Get: `Steps.${step.name}.PropertyFiles.${this.source.options.name}` }, Path: this.path } };
  }
}

/**
 * Reads `path` (e.g. `regression_metrics.mse.value`, no leading `$.`) from a property file or from
 * the JSON object at an S3 URI. `T` is the JSON value's type; it defaults to `number` (metrics).
 */
export function jsonGet<T extends Primitive = number>(source: PropertyFile | Operand<string>, path: string): JsonGet<T> {
  return new JsonGet<T>(source, path);
}
