import type { CompiledPipeline, CompiledStep } from './types.js';

/** Mermaid node ids must be plain identifiers; step names may hold "-". */
function nodeId(index: number): string {
  return `s${index}`;
}

/** Mermaid label text: quotes would end the label, so they become `#quot;`. */
function label(step: CompiledStep): string {
  return `${step.name}<br/>(${step.step.Type})`.replace(/"/g, '#quot;');
}

/** Node shape per kind: conditions are diamonds, Fail steps stadiums, the rest boxes. */
function node(id: string, step: CompiledStep): string {
  const text = `"${label(step)}"`;
  if (step.step.Type === 'Condition') return `  ${id}{${text}}`;
  if (step.step.Type === 'Fail') return `  ${id}([${text}])`;
  return `  ${id}[${text}]`;
}

/**
 * The DAG as a Mermaid `flowchart TD`: one node per step with its type, edges in dependency
 * direction, condition → branch edges labelled `if` / `else`.
 */
export function renderMermaid(compiled: CompiledPipeline): string {
  const ids = new Map<string, string>();
  compiled.order.forEach((name, i) => ids.set(name, nodeId(i)));
  const lines = ['flowchart TD'];
  for (const name of compiled.order) lines.push(node(ids.get(name)!, compiled.steps.get(name)!));
  for (const name of compiled.order) {
    const step = compiled.steps.get(name)!;
    for (const up of step.upstream) {
      const isBranch = step.branch?.condition === up;
      const arrow = isBranch ? ` -->|${step.branch!.branch === 'IfSteps' ? 'if' : 'else'}| ` : ' --> ';
      lines.push(`  ${ids.get(up)!}${arrow}${ids.get(name)!}`);
    }
  }
  return lines.join('\n');
}

/** A readable text form: steps in topological order, each with its type, branch and upstream steps. */
export function renderGraphText(compiled: CompiledPipeline): string {
  const width = compiled.order.reduce((w, n) => Math.max(w, n.length), 0);
  return compiled.order
    .map((name) => {
      const step = compiled.steps.get(name)!;
      const branch = step.branch ? ` [${step.branch.branch === 'IfSteps' ? 'if' : 'else'} of ${step.branch.condition}]` : '';
      const upstream = step.upstream.length > 0 ? ` <- ${step.upstream.join(', ')}` : '';
      return `${name.padEnd(width)}  ${step.step.Type}${branch}${upstream}`;
    })
    .join('\n');
}
