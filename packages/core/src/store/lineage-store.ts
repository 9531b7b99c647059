import type { JsonObject } from '../json.js';

/** Lineage entity kinds (SageMaker's LineageType). */
export type LineageEntityKind = 'Artifact' | 'Action' | 'Context';
/** Association types (reference §12). */
export type AssociationType = 'ContributedTo' | 'AssociatedWith' | 'DerivedFrom' | 'Produced' | 'SameAs';

/** An artifact, action or context. Artifacts are de-duplicated by `sourceUri`. */
export interface LineageEntity {
  arn: string;
  kind: LineageEntityKind;
  name: string;
  /** ArtifactType / ActionType / ContextType, e.g. 'DataSet', 'Model', 'ModelTraining', 'PipelineExecution'. */
  type: string;
  sourceUri?: string;
  /** Content digest (SHA256 for local files, S3ETag for S3). */
  digest?: { kind: string; value: string };
  properties?: JsonObject;
  createdAt: number;
}

/** A directed association between two entities. */
export interface LineageAssociation {
  sourceArn: string;
  destinationArn: string;
  type: AssociationType;
  createdAt: number;
}

/**
 * Lineage written by `LineageStore.writeLineage` in one transaction: the same result as
 * `putLineageEntity` for each entity in order, then `addAssociation` for each association with
 * its ends replaced by the ARNs those calls returned.
 */
export interface LineageWrite {
  /** Inserted unless stored already (by ARN, or an artifact by `sourceUri`); the first of duplicates wins. */
  entities: readonly LineageEntity[];
  /**
   * Added unless a (source, destination) pair is stored already. An end naming one of `entities`
   * is re-pointed to the entity stored for it (an artifact whose URI is stored under another ARN).
   */
  associations: readonly LineageAssociation[];
}

/** Persistence of lineage. */
export interface LineageStore {
  /** Inserts the entity; for artifacts with a known `sourceUri`, returns the existing one instead. */
  putLineageEntity(entity: LineageEntity): Promise<LineageEntity>;
  getLineageEntity(arnOrUri: string): Promise<LineageEntity | undefined>;
  /** Idempotent. */
  addAssociation(association: LineageAssociation): Promise<void>;
  /** Associations touching `arn` in one direction. */
  listAssociations(query: { sourceArn?: string; destinationArn?: string }): Promise<LineageAssociation[]>;
  /**
   * Many entities and associations in one all-or-nothing transaction (multi-row statements on
   * SQL stores), with the merge rules of `putLineageEntity` and `addAssociation`. Returns the
   * stored entity of each of `write.entities`, in order.
   */
  writeLineage(write: LineageWrite): Promise<LineageEntity[]>;
}

/** Key of an artifact's `sourceUri` among entity keys (ARNs never start with a NUL). @internal */
const uriKey = (uri: string): string => `\u0000${uri}`;

/** The keys an entity is found by once stored: its ARN, and an artifact's URI. @internal */
export function lineageEntityKeys(entity: LineageEntity): string[] {
  return entity.kind === 'Artifact' && entity.sourceUri ? [entity.arn, uriKey(entity.sourceUri)] : [entity.arn];
}

/** The stored entity `entity` resolves to: an artifact by URI first, then by ARN. @internal */
export function findStoredLineageEntity(entity: LineageEntity, stored: ReadonlyMap<string, LineageEntity>): LineageEntity | undefined {
  return (entity.kind === 'Artifact' && entity.sourceUri ? stored.get(uriKey(entity.sourceUri)) : undefined) ?? stored.get(entity.arn);
}

/** The entities a write inserts at most: the first of each ARN and of each artifact URI. @internal */
export function firstLineageEntities(entities: readonly LineageEntity[]): LineageEntity[] {
  const seen = new Set<string>();
  const firsts: LineageEntity[] = [];
  for (const entity of entities) {
    const keys = lineageEntityKeys(entity);
    if (keys.some((k) => seen.has(k))) continue;
    for (const k of keys) seen.add(k);
    firsts.push(entity);
  }
  return firsts;
}

/**
 * A write's associations with ends re-pointed to the stored entities (`stored[i]` is the entity
 * stored for `write.entities[i]`), the first of each (source, destination) pair only. @internal
 */
export function resolveLineageAssociations(write: LineageWrite, stored: readonly LineageEntity[]): LineageAssociation[] {
  const arns = new Map<string, string>();
  write.entities.forEach((entity, i) => {
    const arn = stored[i]?.arn;
    if (arn !== undefined && arn !== entity.arn && !arns.has(entity.arn)) arns.set(entity.arn, arn);
  });
  const pairs = new Set<string>();
  const associations: LineageAssociation[] = [];
  for (const a of write.associations) {
    const association = { ...a, sourceArn: arns.get(a.sourceArn) ?? a.sourceArn, destinationArn: arns.get(a.destinationArn) ?? a.destinationArn };
    const pair = `${association.sourceArn}\u0000${association.destinationArn}`;
    if (pairs.has(pair)) continue;
    pairs.add(pair);
    associations.push(association);
  }
  return associations;
}
