import type { Expression } from '@cairn/core';
import { SERIALIZE, type RenderContext, type Renderable } from './serialize.js';
import { PipelineVariable } from './variables.js';

/** A step property: `{"Get": "Steps.<step>.<path>"}`; referencing it makes the step a dependency. */
export class Property<T = unknown> extends PipelineVariable<T> {
  constructor(
    readonly step: Renderable,
    readonly path: string,
  ) {
    super();
  }

  /** @internal */
  [SERIALIZE](ctx: RenderContext): Expression {
    ctx.reference(this.step);
    return { Get: `Steps.${this.step.name}.${this.path}` };
  }
}

/** A list or map property: call it with a name (list items are selected by their name field) or an index. */
export type PropertyCollection<TItem, TKey extends string | number> = Property<unknown> & ((key: TKey) => Properties<TItem>);

/** Any path is allowed (steps whose properties Cairn does not know the shape of). */
export type UntypedProperties = Property<unknown> & { readonly [field: string]: UntypedProperties } & ((key: string | number) => UntypedProperties);

/**
 * Typed property references following a Describe* response shape `T`: leaves are `Property<string |
 * number | boolean>`; lists and maps are called with a key (`Outputs('train')` renders `Outputs['train']`).
 */
export type Properties<T> = unknown extends T
  ? UntypedProperties
  : T extends string | Date
    ? Property<string>
    : T extends number
      ? Property<number>
      : T extends boolean
        ? Property<boolean>
        : T extends readonly (infer U)[]
          ? PropertyCollection<U, string | number>
          : T extends object
            ? string extends keyof T
              ? PropertyCollection<T[string], string>
              : Property<unknown> & { readonly [K in keyof T]-?: Properties<NonNullable<T[K]>> }
            : never;

function segment(key: string | number): string {
  return typeof key === 'number' ? `[${key}]` : `['${key}']`;
}

/** Builds the property proxy of `step` below `path` (empty for the root). @internal */
export function createProperties(step: Renderable, path = ''): unknown {
  const property = new Property(step, path);
  // A function target makes the node callable (`Outputs('train')`) as well as navigable (`.S3Output`).
  const target = Object.setPrototypeOf(function propertyNode() {}, Property.prototype) as object;
  return new Proxy(target, {
    get(_target, key) {
      if (typeof key === 'symbol' || key in property) return Reflect.get(property, key) as unknown;
      if (key === 'then') return undefined;
      return createProperties(step, path === '' ? key : `${path}.${key}`);
    },
    has: (_target, key) => key in property,
    apply: (_target, _this, [key]: [string | number]) => createProperties(step, `${path}${segment(key)}`),
  });
}
