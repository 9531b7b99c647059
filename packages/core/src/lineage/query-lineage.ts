import { ErrorCode, OrchestratorError } from '../errors.js';
import type { LineageAssociation, LineageEntity, LineageStore } from '../store/lineage-store.js';

/** Which way to walk: `upstream` answers "what produced this?", `downstream` "what was made from this?". */
export type LineageDirection = 'upstream' | 'downstream';

/** A lineage sub-graph around a start entity. */
export interface LineageResult {
  start: LineageEntity;
  direction: LineageDirection;
  /** Every entity reached, the start first, in breadth-first order. */
  vertices: LineageEntity[];
  /** Every association walked, as stored (source → destination). */
  edges: LineageAssociation[];
}

/**
 * Walks lineage from an entity (by ARN, or an artifact by URI) up to `depth` associations away
 * (default 10, SageMaker's `MaxDepth` limit). Data-flow associations are followed;
 * `AssociatedWith` links (step ↔ execution ↔ pipeline) only from the start entity, so a query
 * from a data set does not fan out into every step of its pipeline.
 */
export async function queryLineage(
  store: LineageStore,
  startArnOrUri: string,
  options: { direction: LineageDirection; depth?: number },
): Promise<LineageResult> {
  const start = await store.getLineageEntity(startArnOrUri);
  if (!start) {
    throw new OrchestratorError(ErrorCode.InputUnreadable, `No lineage entity has the ARN or URI "${startArnOrUri}".`, {
      fix: 'pass a model package ARN, an artifact URI (s3://…) or an ARN printed by `cairn lineage`; lineage is recorded as steps finish.',
    });
  }
  const upstream = options.direction === 'upstream';
  const maxDepth = options.depth ?? 10;
  const vertices = new Map([[start.arn, start]]);
  const edges: LineageAssociation[] = [];
  let frontier = [start.arn];
  for (let depth = 0; depth < maxDepth && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const arn of frontier) {
      const found = await store.listAssociations(upstream ? { destinationArn: arn } : { sourceArn: arn });
      for (const edge of found.filter((e) => depth === 0 || e.type !== 'AssociatedWith')) {
        const otherArn = upstream ? edge.sourceArn : edge.destinationArn;
        edges.push(edge);
        if (vertices.has(otherArn)) continue;
        const other = await store.getLineageEntity(otherArn);
        if (!other) continue;
        vertices.set(otherArn, other);
        next.push(otherArn);
      }
    }
    frontier = next;
  }
  return { start, direction: options.direction, vertices: [...vertices.values()], edges };
}
