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

/** Persistence of lineage. */
export interface LineageStore {
  /** Inserts the entity; for artifacts with a known `sourceUri`, returns the existing one instead. */
  putLineageEntity(entity: LineageEntity): Promise<LineageEntity>;
  getLineageEntity(arnOrUri: string): Promise<LineageEntity | undefined>;
  /** Idempotent. */
  addAssociation(association: LineageAssociation): Promise<void>;
  /** Associations touching `arn` in one direction. */
  listAssociations(query: { sourceArn?: string; destinationArn?: string }): Promise<LineageAssociation[]>;
}
