import { DefinitionError } from '@cairn/core';
import type { Expression } from '@cairn/core';

/** Symbol under which pipeline variables render themselves as expressions. @internal */
export const SERIALIZE: unique symbol = Symbol('cairn.serialize');
/** Symbol under which steps render themselves as step objects. @internal */
export const RENDER_STEP: unique symbol = Symbol('cairn.renderStep');

/** What a rendered value needs to know about a step it mentions. @internal */
export interface StepRef {
  readonly name: string;
  readonly type: string;
}

/** Collects what rendering finds: step references, parameters, nested steps. @internal */
export interface RenderContext {
  /** Records a data reference to `step` (it must be part of the pipeline). */
  reference(step: Renderable): void;
  /** Records a parameter used by an expression. */
  parameter(declaration: ParameterLike): void;
  /** Places `step` at `path` (a condition branch) and returns its step object. */
  place(step: Renderable, path: string): unknown;
}

/** The declaration of a parameter, as a parameter variable reports it. @internal */
export interface ParameterLike {
  readonly name: string;
  declaration(): Record<string, unknown>;
}

/** Something that renders to an expression. @internal */
export interface Serializable {
  [SERIALIZE](ctx: RenderContext): Expression;
}

/** Something that renders to a step object. @internal */
export interface Renderable extends StepRef {
  [RENDER_STEP](ctx: RenderContext, path: string): unknown;
}

function isSerializable(value: object): value is Serializable {
  return SERIALIZE in value;
}

function isRenderable(value: object): value is Renderable {
  return RENDER_STEP in value;
}

/** A context for rendering a lone value (tests, `toJSON()` of a variable): records nothing. @internal */
export const detachedContext: RenderContext = {
  reference: () => undefined,
  parameter: () => undefined,
  place: (step, path) => step[RENDER_STEP](detachedContext, path),
};

/**
 * Renders DSL data to definition JSON: variables become expressions, steps become step objects,
 * `undefined` properties are dropped. @internal
 */
export function serializeValue(value: unknown, ctx: RenderContext, path: string): unknown {
  if (value === undefined || value === null || typeof value !== 'object') {
    if (typeof value !== 'function') return value;
  }
  const node = value as object;
  if (isSerializable(node)) return node[SERIALIZE](ctx);
  if (isRenderable(node)) return ctx.place(node, path);
  if (Array.isArray(node)) return node.map((item, i) => serializeValue(item, ctx, `${path}[${i}]`));
  if (Object.getPrototypeOf(node) !== Object.prototype && Object.getPrototypeOf(node) !== null) {
    throw new DefinitionError([
      {
        code: 'UNSUPPORTED_VALUE',
        path,
        message: `The value at ${path} is a ${node.constructor.name}, which has no JSON form in a definition.`,
        fix: 'use strings, numbers, booleans, arrays, plain objects or pipeline variables (parameters, properties, join, jsonGet).',
      },
    ]);
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(node)) {
    if (item !== undefined) out[key] = serializeValue(item, ctx, `${path}.${key}`);
  }
  return out;
}
