// Module resolution hook (node:module register) that adds the "@cairn/source" export condition, so
// @cairn/* packages resolve to their TypeScript sources, as `node --conditions=@cairn/source` does.
// `bin/cairn.js` registers it with tsx when it runs the sources of a checkout instead of dist/.

/** @type {import('node:module').ResolveHook} */
export async function resolve(specifier, context, nextResolve) {
  return nextResolve(specifier, { ...context, conditions: ['@cairn/source', ...context.conditions] });
}
