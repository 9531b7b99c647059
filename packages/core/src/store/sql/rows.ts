import type { Selectable } from 'kysely';
import type { DeliveryRecord, StoredEvent } from '../event-store.js';
import type { CallbackTokenRecord, ExecutionRecord, PipelineRecord, StepExecutionRecord } from '../execution-store.js';
import type { LineageAssociation, LineageEntity } from '../lineage-store.js';
import type { ApprovalChange, ModelApprovalStatus, ModelPackageGroupRecord, ModelPackageRecord } from '../registry-store.js';
import type {
  ApprovalChangesTable,
  CallbackTokensTable,
  EventDeliveriesTable,
  EventsTable,
  ExecutionsTable,
  LineageAssociationsTable,
  LineageEntitiesTable,
  ModelPackageGroupsTable,
  ModelPackagesTable,
  PipelinesTable,
  StepCacheEntriesTable,
  StepExecutionsTable,
} from './schema.js';

/** Conversions between store records and SQL rows. @internal */

/** A record ↔ row mapping: which column holds each field, and which fields are JSON. */
interface ColumnMapping<R, Row> {
  /** Row values for the fields present in `record` (an explicit `undefined` clears the column). */
  toRow(record: Partial<R>): Partial<Row>;
  /** The record of a row; NULL columns become absent fields. */
  fromRow(row: Row): R;
}

function columnMapping<R, Row>(columns: Record<keyof R & string, keyof Row & string>, jsonFields: readonly (keyof R & string)[]): ColumnMapping<R, Row> {
  const json = new Set<string>(jsonFields);
  const entries = Object.entries(columns) as [string, string][];
  return {
    toRow(record) {
      const row: Record<string, unknown> = {};
      for (const [field, column] of entries) {
        if (!(field in record)) continue;
        const value = (record as Record<string, unknown>)[field];
        row[column] = value === undefined ? null : json.has(field) ? JSON.stringify(value) : value;
      }
      return row as Partial<Row>;
    },
    fromRow(row) {
      const record: Record<string, unknown> = {};
      for (const [field, column] of entries) {
        const value = (row as Record<string, unknown>)[column];
        if (value === null || value === undefined) continue;
        record[field] = json.has(field) ? JSON.parse(value as string) : value;
      }
      return record as R;
    },
  };
}

/** Pipelines. */
export const pipelineRows = columnMapping<PipelineRecord, Selectable<PipelinesTable>>(
  {
    name: 'name',
    version: 'version',
    arn: 'arn',
    definition: 'definition',
    description: 'description',
    displayName: 'display_name',
    roleArn: 'role_arn',
    maxParallelExecutionSteps: 'max_parallel_execution_steps',
    createdAt: 'created_at',
    updatedAt: 'updated_at',
  },
  [],
);

/** Executions (also maps the partial patches of `commit`). */
export const executionRows = columnMapping<ExecutionRecord, Selectable<ExecutionsTable>>(
  {
    id: 'id',
    arn: 'arn',
    pipelineName: 'pipeline_name',
    pipelineArn: 'pipeline_arn',
    pipelineVersion: 'pipeline_version',
    definition: 'definition',
    status: 'status',
    displayName: 'display_name',
    description: 'description',
    parameters: 'parameters',
    maxParallelExecutionSteps: 'max_parallel_execution_steps',
    selectiveExecution: 'selective_execution',
    failureReason: 'failure_reason',
    runtime: 'runtime',
    createdAt: 'created_at',
    updatedAt: 'updated_at',
    endedAt: 'ended_at',
    version: 'version',
  },
  ['parameters', 'selectiveExecution'],
);

/** Callback tokens. */
export const tokenRows = columnMapping<CallbackTokenRecord, Selectable<CallbackTokensTable>>(
  {
    tokenHash: 'token_hash',
    executionId: 'execution_id',
    stepName: 'step_name',
    attempt: 'attempt',
    outputParameters: 'output_parameters',
    createdAt: 'created_at',
    redeemedAt: 'redeemed_at',
    outcome: 'outcome',
    outputs: 'outputs',
    failureReason: 'failure_reason',
  },
  ['outputParameters', 'outputs'],
);

/** Model packages. */
export const modelPackageRows = columnMapping<ModelPackageRecord, Selectable<ModelPackagesTable>>(
  {
    arn: 'arn',
    groupName: 'group_name',
    version: 'version',
    approvalStatus: 'approval_status',
    description: 'description',
    executionArn: 'execution_arn',
    stepName: 'step_name',
    createdAt: 'created_at',
    updatedAt: 'updated_at',
  },
  ['description'],
);

/** Lineage entities. */
export const entityRows = columnMapping<LineageEntity, Selectable<LineageEntitiesTable>>(
  {
    arn: 'arn',
    kind: 'kind',
    name: 'name',
    type: 'type',
    sourceUri: 'source_uri',
    digest: 'digest',
    properties: 'properties',
    createdAt: 'created_at',
  },
  ['digest', 'properties'],
);

/** Lineage associations. */
export const associationRows = columnMapping<LineageAssociation, Selectable<LineageAssociationsTable>>(
  { sourceArn: 'source_arn', destinationArn: 'destination_arn', type: 'type', createdAt: 'created_at' },
  [],
);

/** Outbox events. */
export const eventRows = columnMapping<StoredEvent, Selectable<EventsTable>>(
  { id: 'id', detailType: 'detail_type', envelope: 'envelope', createdAt: 'created_at' },
  ['envelope'],
);

/** Outbox deliveries. */
export const deliveryRows = columnMapping<DeliveryRecord, Selectable<EventDeliveriesTable>>(
  {
    id: 'id',
    eventId: 'event_id',
    sinkId: 'sink_id',
    status: 'status',
    attempts: 'attempts',
    nextAttemptAt: 'next_attempt_at',
    lastError: 'last_error',
    lastStatusCode: 'last_status_code',
    deliveredAt: 'delivered_at',
    createdAt: 'created_at',
    updatedAt: 'updated_at',
  },
  [],
);

/** The row of a step record: indexed columns plus the record as JSON. */
export function stepToRow(record: StepExecutionRecord): Selectable<StepExecutionsTable> {
  return {
    execution_id: record.executionId,
    step_name: record.stepName,
    status: record.status,
    cache_key: record.cacheKey ?? null,
    end_time: record.endTime ?? null,
    updated_at: record.updatedAt,
    version: record.version,
    record: JSON.stringify(record),
  };
}

/**
 * The cache entry of a step record: present when the step succeeded with a cache key and an end
 * time (what `findCacheHit` can return).
 */
export function stepCacheEntry(record: StepExecutionRecord): StepCacheEntriesTable | undefined {
  if (record.status !== 'Succeeded' || typeof record.cacheKey !== 'string' || typeof record.endTime !== 'number') return undefined;
  return { step_name: record.stepName, cache_key: record.cacheKey, end_time: record.endTime, execution_id: record.executionId };
}

/** The step record of a row. */
export function stepFromRow(row: Pick<StepExecutionsTable, 'record'>): StepExecutionRecord {
  return JSON.parse(row.record) as StepExecutionRecord;
}

/** A model package group row as DescribeModelPackageGroup. */
export function groupFromRow(row: Selectable<ModelPackageGroupsTable>): ModelPackageGroupRecord {
  return {
    ModelPackageGroupName: row.name,
    ModelPackageGroupArn: row.arn,
    ...(row.description !== null ? { ModelPackageGroupDescription: row.description } : {}),
    CreationTime: Number(row.created_at),
    ModelPackageGroupStatus: 'Completed',
  };
}

/** An audit-trail row. */
export function approvalChangeFromRow(row: Selectable<ApprovalChangesTable>): ApprovalChange {
  return {
    modelPackageArn: row.model_package_arn,
    from: row.from_status as ModelApprovalStatus | null,
    to: row.to_status as ModelApprovalStatus,
    by: row.changed_by,
    ...(row.reason !== null ? { reason: row.reason } : {}),
    at: Number(row.at),
  };
}
