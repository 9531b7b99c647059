import { ErrorCode, OrchestratorError } from '../errors.js';
import type { JsonObject, JsonValue } from '../json.js';
import type { DeliveryRecord, StoredEvent } from './event-store.js';
import type { PipelineRecord, PutPipelineInput, StepExecutionRecord, StoreBatch } from './execution-store.js';
import {
  ModelApprovalStatus,
  type CreateModelPackageInput,
  type ModelPackageGroupRecord,
  type ModelPackageRecord,
} from './registry-store.js';

/**
 * Logic every store implementation shares: ARNs, pipeline-version comparison, the
 * DescribeModelPackage shape, batch planning and the store's errors. @internal
 */

/** ARN prefix used when a store is opened without one. */
export const DEFAULT_ARN_PREFIX = 'arn:aws:sagemaker:us-east-1:000000000000';

/** Options every store accepts. */
export interface StoreOptions {
  /** ARN prefix `arn:aws:sagemaker:<region>:<account>` for pipeline ARNs. @defaultValue DEFAULT_ARN_PREFIX */
  arnPrefix?: string;
  /** Time source for record timestamps. @defaultValue systemClock */
  clock?: { now(): number };
}

/** The pipeline ARN for a name. @internal */
export function pipelineArn(arnPrefix: string, name: string): string {
  return `${arnPrefix}:pipeline/${name.toLowerCase()}`;
}

/** The model package group ARN for a name. @internal */
export function modelPackageGroupArn(arnPrefix: string, name: string): string {
  return `${arnPrefix}:model-package-group/${name.toLowerCase()}`;
}

/** The versioned model package ARN. @internal */
export function modelPackageArn(arnPrefix: string, group: string, version: number): string {
  return `${arnPrefix}:model-package/${group.toLowerCase()}/${version}`;
}

/** Whether `input` would store the same pipeline version as `latest`. @internal */
export function samePipelineVersion(latest: PipelineRecord, input: PutPipelineInput): boolean {
  return (
    latest.definition === input.definition &&
    latest.description === input.description &&
    latest.displayName === input.displayName &&
    latest.roleArn === input.roleArn &&
    latest.maxParallelExecutionSteps === input.maxParallelExecutionSteps
  );
}

/** The next pipeline record for `input` after `latest` (version 1 when there is none). @internal */
export function nextPipelineRecord(
  input: PutPipelineInput,
  latest: PipelineRecord | undefined,
  arnPrefix: string,
  now: number,
): PipelineRecord {
  return {
    ...input,
    arn: pipelineArn(arnPrefix, input.name),
    version: (latest?.version ?? 0) + 1,
    createdAt: latest?.createdAt ?? now,
    updatedAt: now,
  };
}

/** A model package reference: an ARN or `group/version`. @internal */
export type ModelPackageRef = { arn: string } | { groupName: string; version: number };

/** Parses a model package reference (an ARN, or `group/version`). @internal */
export function parseModelPackageRef(ref: string): ModelPackageRef {
  if (ref.startsWith('arn:')) return { arn: ref };
  const match = /^([^/]+)\/(\d+)$/.exec(ref);
  if (!match?.[1] || !match[2]) {
    throw new OrchestratorError(ErrorCode.ModelPackageNotFound, `"${ref}" is not a model package reference.`, {
      fix: 'pass a model package ARN or "<group>/<version>", e.g. "churn/3".',
    });
  }
  return { groupName: match[1], version: Number(match[2]) };
}

/** The error for a reference that names no stored model package. @internal */
export function modelPackageNotFound(ref: string): OrchestratorError {
  return new OrchestratorError(ErrorCode.ModelPackageNotFound, `Model package "${ref}" does not exist.`, {
    fix: 'check the ARN or "<group>/<version>" with `cairn models list <group>`.',
  });
}

/** The group name a CreateModelPackage request names (a name or a group ARN). @internal */
export function requestedGroupName(request: JsonObject): string {
  const value = request['ModelPackageGroupName'];
  if (typeof value !== 'string' || value.length === 0) {
    throw new OrchestratorError(ErrorCode.DefinitionInvalid, 'CreateModelPackage request has no ModelPackageGroupName.', {
      fix: 'set ModelPackageGroupName (a group name or ARN) in the RegisterModel step arguments.',
    });
  }
  return value.startsWith('arn:') ? (value.split('/').pop() ?? value) : value;
}

/** The approval status a CreateModelPackage request asks for (default PendingManualApproval). @internal */
export function requestedApprovalStatus(request: JsonObject): ModelApprovalStatus {
  const value = request['ModelApprovalStatus'];
  const known: readonly JsonValue[] = Object.values(ModelApprovalStatus);
  return known.includes(value ?? null) ? (value as ModelApprovalStatus) : ModelApprovalStatus.PendingManualApproval;
}

/** Request members that never appear in DescribeModelPackage. */
const REQUEST_ONLY = new Set(['ClientToken', 'Tags', 'ModelPackageName', 'CertifyForMarketplace']);

/** The stored model package (DescribeModelPackage shape) for a new version. @internal */
export function buildModelPackageRecord(
  input: CreateModelPackageInput,
  group: ModelPackageGroupRecord,
  version: number,
): ModelPackageRecord {
  const arn = modelPackageArn(input.arnPrefix, group.ModelPackageGroupName, version);
  const approvalStatus = requestedApprovalStatus(input.request);
  const kept = Object.fromEntries(Object.entries(input.request).filter(([k]) => !REQUEST_ONLY.has(k)));
  const metadata = (input.request['MetadataProperties'] ?? {}) as JsonObject;
  const description: JsonObject = {
    ...kept,
    ModelPackageName: group.ModelPackageGroupName,
    ModelPackageGroupName: group.ModelPackageGroupName,
    ModelPackageVersion: version,
    ModelPackageArn: arn,
    CreationTime: input.now,
    ModelPackageStatus: 'Completed',
    ModelPackageStatusDetails: { ValidationStatuses: [], ImageScanStatuses: [] },
    CertifyForMarketplace: false,
    ModelApprovalStatus: approvalStatus,
    CreatedBy: { UserProfileName: input.createdBy },
    LastModifiedTime: input.now,
    LastModifiedBy: { UserProfileName: input.createdBy },
    ...(input.executionArn || Object.keys(metadata).length > 0
      ? { MetadataProperties: { ...metadata, ...(input.executionArn ? { GeneratedBy: input.executionArn } : {}) } }
      : {}),
  };
  return {
    arn,
    groupName: group.ModelPackageGroupName,
    version,
    approvalStatus,
    description,
    ...(input.executionArn ? { executionArn: input.executionArn } : {}),
    ...(input.stepName ? { stepName: input.stepName } : {}),
    createdAt: input.now,
    updatedAt: input.now,
  };
}

/** The record after an approval change (description fields included). @internal */
export function applyApproval(
  record: ModelPackageRecord,
  change: { status: ModelApprovalStatus; by: string; reason?: string; now: number },
): ModelPackageRecord {
  return {
    ...record,
    approvalStatus: change.status,
    updatedAt: change.now,
    description: {
      ...record.description,
      ModelApprovalStatus: change.status,
      LastModifiedTime: change.now,
      LastModifiedBy: { UserProfileName: change.by },
      ...(change.reason !== undefined ? { ApprovalDescription: change.reason } : {}),
    },
  };
}

/** The error for a failed compare-and-set. @internal */
export function storeConflict(what: string): OrchestratorError {
  return new OrchestratorError(ErrorCode.StoreConflict, `${what}; another writer changed it first.`, {
    fix: 'reload the record from the store and apply the change again.',
  });
}

/** The error for an execution patch whose expected version no longer holds. @internal */
export function executionConflict(id: string, expected: number, actual: number): OrchestratorError {
  return storeConflict(`Execution "${id}" is at version ${actual}, not ${expected}`);
}

/** The error for creating a record whose key is taken. @internal */
export function alreadyExists(what: string): OrchestratorError {
  return new OrchestratorError(ErrorCode.StoreConflict, `${what} already exists.`, {
    fix: 'use a new id, or read the stored record instead of creating it again.',
  });
}

/** The error for an approval update whose expected status no longer holds. @internal */
export function approvalConflict(arn: string, expected: string, actual: string): OrchestratorError {
  return storeConflict(`Model package "${arn}" is ${actual}, not ${expected}`);
}

/** One step write of a batch: the final record and the version the store must hold now (0 = absent). */
export interface PlannedStepWrite {
  record: StepExecutionRecord;
  expectedVersion: number;
}

/**
 * Collapses a batch's step upserts to one write per step: a step listed twice must carry
 * consecutive versions, and only its last record is written. @internal
 */
export function planStepWrites(steps: StoreBatch['steps']): PlannedStepWrite[] {
  const planned = new Map<string, PlannedStepWrite>();
  for (const record of steps ?? []) {
    const key = stepKey(record.executionId, record.stepName);
    const earlier = planned.get(key);
    if (earlier && record.version !== earlier.record.version + 1) {
      throw storeConflict(`Step "${record.stepName}" appears twice in one batch with versions ${earlier.record.version} and ${record.version}`);
    }
    planned.set(key, { record, expectedVersion: earlier?.expectedVersion ?? record.version - 1 });
  }
  return [...planned.values()];
}

/** Checks a planned step write against the stored version. @internal */
export function checkStepVersion(write: PlannedStepWrite, storedVersion: number | undefined): void {
  if ((storedVersion ?? 0) !== write.expectedVersion) {
    const { stepName, executionId, version } = write.record;
    throw storeConflict(
      `Step "${stepName}" of execution ${executionId} is at version ${storedVersion ?? 'none'}, so version ${version} cannot be written`,
    );
  }
}

/** A map key for one step of one execution. @internal */
export function stepKey(executionId: string, stepName: string): string {
  return `${executionId}\u0000${stepName}`;
}

/** The error for a batch that patches a missing execution. @internal */
export function executionNotFound(id: string): OrchestratorError {
  return new OrchestratorError(ErrorCode.ExecutionNotFound, `Execution "${id}" does not exist.`, {
    fix: 'check the execution id with `cairn executions list`.',
  });
}

/** One pending delivery per sink for a new outbox event, due at once. @internal */
export function newDeliveries(event: StoredEvent, sinkIds: readonly string[]): DeliveryRecord[] {
  return sinkIds.map((sinkId) => ({
    id: crypto.randomUUID(),
    eventId: event.id,
    sinkId,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: event.createdAt,
    createdAt: event.createdAt,
    updatedAt: event.createdAt,
  }));
}
