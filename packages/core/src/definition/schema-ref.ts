import { z } from 'zod';

/**
 * zod's ahead-of-time compiler, unless the application turned code generation off
 * (`z.config({ jitless: true })`, e.g. under a CSP). A schema `z.compile` cannot handle comes
 * back unchanged and keeps zod's interpreter, so this never changes what is accepted.
 */
export function compileSchema<T extends z.ZodType>(schema: T): T {
  return z.config().jitless ? schema : z.compile(schema);
}

/**
 * Stands for `target(value)` inside another schema: the value is checked by the target schema
 * (compiled once it has been used `COMPILE_AFTER_USES` times), and its output and issues (paths
 * included) are kept exactly as a nested schema's would be. Two reasons not to nest the schema:
 * - recursion (expressions in `Std:Join`, conditions in `Not`/`Or`, steps in condition
 *   branches): `z.compile` refuses a schema graph with a cycle, and zod's cycle memoizer slows
 *   every node of one;
 * - size: `z.compile` inlines nested schemas, so the expression schema inlined into every field
 *   that accepts one, or all 23 step types into the step union, makes megabytes of code that take
 *   seconds to compile; a reference compiles each target once, and only when values need it.
 */
export function schemaRef<T>(target: (value: unknown) => z.ZodType<T>): z.ZodType<T> {
  return z.unknown().check((payload) => {
    const result = compiled(target(payload.value)).safeParse(payload.value);
    if (result.success) payload.value = result.data;
    // Finished issues keep their message and path; only the optional `input` is gone.
    else payload.issues.push(...(result.error.issues as z.core.$ZodRawIssue[]));
  }) as unknown as z.ZodType<T>;
}

/**
 * Uses of a schema through references before it is compiled: compiling costs about as much as
 * interpreting a few hundred values, so small definitions never pay for it.
 */
export const COMPILE_AFTER_USES = 256;

interface Tier {
  uses: number;
  fast?: z.ZodType;
}
const tiers = new WeakMap<z.ZodType, Tier>();

/** The schema to run: zod's interpreter at first, the compiled schema once it is used often. */
function compiled<T>(schema: z.ZodType<T>): z.ZodType<T> {
  let tier = tiers.get(schema);
  if (tier === undefined) tiers.set(schema, (tier = { uses: 0 }));
  if (tier.fast === undefined && ++tier.uses > COMPILE_AFTER_USES) tier.fast = compileSchema(schema);
  return (tier.fast ?? schema) as z.ZodType<T>;
}
