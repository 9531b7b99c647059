import type { JsonObject } from '../json.js';
import type { LineageEntity } from '../store/lineage-store.js';
import type { LineageResult } from './query-lineage.js';

/** One line describing an entity: kind and type, name or URI, short digest. */
function label(entity: LineageEntity): string {
  const what = entity.kind === 'Artifact' ? (entity.sourceUri ?? entity.name) : entity.name;
  const digest = entity.digest ? ` ${entity.digest.kind.toLowerCase()}:${entity.digest.value.slice(0, 12)}` : '';
  return `${entity.kind}/${entity.type} ${what}${digest}`;
}

/** The lineage as an indented tree from the start entity, one line per entity and association. */
export function renderLineageTree(result: LineageResult): string {
  const byArn = new Map(result.vertices.map((v) => [v.arn, v]));
  const upstream = result.direction === 'upstream';
  const children = (arn: string) =>
    result.edges.filter((e) => (upstream ? e.destinationArn : e.sourceArn) === arn).map((e) => ({ type: e.type, arn: upstream ? e.sourceArn : e.destinationArn }));
  const lines = [label(result.start)];
  const walk = (arn: string, indent: string, seen: ReadonlySet<string>) => {
    const kids = children(arn);
    kids.forEach((kid, i) => {
      const last = i === kids.length - 1;
      const entity = byArn.get(kid.arn);
      if (!entity) return;
      const repeat = seen.has(kid.arn) ? ' (see above)' : '';
      lines.push(`${indent}${last ? '└─' : '├─'} ${upstream ? '◀' : '▶'} ${kid.type}: ${label(entity)}${repeat}`);
      if (!repeat) walk(kid.arn, `${indent}${last ? '   ' : '│  '}`, new Set([...seen, kid.arn]));
    });
  };
  walk(result.start.arn, '', new Set([result.start.arn]));
  return lines.join('\n');
}

/** The lineage in SageMaker's QueryLineage response shape (`Vertices`, `Edges`), plus `SourceUri` and digests. */
export function lineageToJson(result: LineageResult): JsonObject {
  return {
    StartArn: result.start.arn,
    Direction: result.direction === 'upstream' ? 'Ascendants' : 'Descendants',
    Vertices: result.vertices.map((v) => ({
      Arn: v.arn,
      Type: v.type,
      LineageType: v.kind,
      Name: v.name,
      ...(v.sourceUri ? { SourceUri: v.sourceUri } : {}),
      ...(v.digest ? { Digest: { Kind: v.digest.kind, Value: v.digest.value } } : {}),
    })),
    Edges: result.edges.map((e) => ({ SourceArn: e.sourceArn, DestinationArn: e.destinationArn, AssociationType: e.type })),
  };
}

/** The lineage as a Mermaid flowchart (edges point from source to destination). */
export function renderLineageMermaid(result: LineageResult): string {
  const ids = new Map(result.vertices.map((v, i) => [v.arn, `n${i}`]));
  const shape = (v: LineageEntity) => {
    const text = label(v).replaceAll('"', "'");
    return v.kind === 'Artifact' ? `[("${text}")]` : v.kind === 'Action' ? `["${text}"]` : `(["${text}"])`;
  };
  const lines = ['flowchart LR', ...result.vertices.map((v) => `  ${ids.get(v.arn)}${shape(v)}`)];
  for (const e of result.edges) {
    const from = ids.get(e.sourceArn);
    const to = ids.get(e.destinationArn);
    if (from && to) lines.push(`  ${from} -->|${e.type}| ${to}`);
  }
  return lines.join('\n');
}
