import type { DirectedGraph } from 'graphology';
import { stronglyConnectedComponents } from 'graphology-components';
import type { DefinitionIssue } from '../errors.js';

/**
 * One `CYCLE` issue per strongly connected component that forms a cycle, naming every member
 * (a topological sort only says *that* there is one). `pathOf` gives each step's JSON path.
 */
export function findCycles(graph: DirectedGraph, pathOf: (step: string) => string): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  for (const component of stronglyConnectedComponents(graph)) {
    const first = component[0]!;
    if (component.length === 1 && !graph.hasDirectedEdge(first, first)) continue;
    const members = component.map((s) => `"${s}"`).join(', ');
    issues.push({
      code: 'CYCLE',
      path: pathOf(first),
      message:
        component.length === 1
          ? `Step "${first}" depends on itself.`
          : `Steps ${members} depend on each other in a cycle (cyclic dependency).`,
      fix: 'remove one of the DependsOn entries or property references that close the loop.',
    });
  }
  return issues;
}
