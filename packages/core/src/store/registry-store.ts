import type { JsonObject } from '../json.js';
import type { StoredEvent } from './event-store.js';

/** Model approval statuses (SageMaker's `ModelApprovalStatus`). */
export const ModelApprovalStatus = {
  PendingManualApproval: 'PendingManualApproval',
  Approved: 'Approved',
  Rejected: 'Rejected',
} as const;
export type ModelApprovalStatus = (typeof ModelApprovalStatus)[keyof typeof ModelApprovalStatus];

/** A model package group (DescribeModelPackageGroup shape). */
export interface ModelPackageGroupRecord {
  ModelPackageGroupName: string;
  ModelPackageGroupArn: string;
  ModelPackageGroupDescription?: string;
  CreationTime: number;
  ModelPackageGroupStatus: 'Completed';
}

/**
 * A model package version. `description` is the DescribeModelPackage response (times as epoch
 * milliseconds); the other fields are indexed copies.
 */
export interface ModelPackageRecord {
  arn: string;
  groupName: string;
  version: number;
  approvalStatus: ModelApprovalStatus;
  /** DescribeModelPackage response shape. */
  description: JsonObject;
  /** The pipeline execution and step that registered it, when a pipeline did. */
  executionArn?: string;
  stepName?: string;
  createdAt: number;
  updatedAt: number;
}

/** One approval-status change: the audit trail. */
export interface ApprovalChange {
  modelPackageArn: string;
  from: ModelApprovalStatus | null;
  to: ModelApprovalStatus;
  by: string;
  reason?: string;
  at: number;
}

/** Input of `createModelPackage`: the CreateModelPackage request plus who made it. */
export interface CreateModelPackageInput {
  /** CreateModelPackage request (must name `ModelPackageGroupName`). */
  request: JsonObject;
  createdBy: string;
  executionArn?: string;
  stepName?: string;
  /** ARN prefix `arn:aws:sagemaker:<region>:<account>`. */
  arnPrefix: string;
  now: number;
  /** Event to append to the outbox in the same transaction. */
  outbox?: OutboxRequest;
}

/**
 * Asks a registry write to append an event to the outbox in the same transaction, so a crash
 * never loses the event of a committed change (one delivery per sink).
 */
export interface OutboxRequest {
  /** Sinks that must receive the event. */
  sinkIds: readonly string[];
  /** Builds the event from the record as committed. */
  build(record: ModelPackageRecord): StoredEvent;
}

/** Input of `updateApprovalStatus`. */
export interface UpdateApprovalStatusInput {
  /** ARN or `group/version`. */
  ref: string;
  status: ModelApprovalStatus;
  by: string;
  reason?: string;
  now: number;
  /** When set, the change fails with `STORE_CONFLICT` unless the current status is this one. */
  expectedStatus?: ModelApprovalStatus;
  /** Event to append to the outbox in the same transaction. */
  outbox?: OutboxRequest;
}

/** Persistence of the Model Registry. */
export interface ModelRegistryStore {
  /** Creates the group when missing; returns it either way. */
  ensureModelPackageGroup(input: { name: string; description?: string; arnPrefix: string; now: number }): Promise<ModelPackageGroupRecord>;
  getModelPackageGroup(name: string): Promise<ModelPackageGroupRecord | undefined>;
  listModelPackageGroups(): Promise<ModelPackageGroupRecord[]>;
  /** Creates the next version (1, 2, 3 … per group) atomically; creates the group when missing. */
  createModelPackage(input: CreateModelPackageInput): Promise<ModelPackageRecord>;
  /** By ARN or `group/version`. */
  getModelPackage(ref: string): Promise<ModelPackageRecord | undefined>;
  /** Versions of a group, newest first, optionally by status. */
  listModelPackages(query: { groupName: string; status?: ModelApprovalStatus }): Promise<ModelPackageRecord[]>;
  /**
   * Changes the approval status and appends to the audit trail, atomically. With
   * `expectedStatus`, fails with `STORE_CONFLICT` when the current status differs.
   */
  updateApprovalStatus(input: UpdateApprovalStatusInput): Promise<{ record: ModelPackageRecord; change: ApprovalChange }>;
  /** The audit trail of one version, oldest first. */
  listApprovalChanges(ref: string): Promise<ApprovalChange[]>;
}
