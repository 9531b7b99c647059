import type { Generated } from 'kysely';

/**
 * Table shapes of the SQL stores (SQLite and PostgreSQL share them). Times are epoch
 * milliseconds; JSON columns hold JSON text (SQLite `text`, PostgreSQL `jsonb` read back as text).
 * @internal
 */
export interface CairnDatabase {
  pipelines: PipelinesTable;
  executions: ExecutionsTable;
  step_executions: StepExecutionsTable;
  step_cache_entries: StepCacheEntriesTable;
  callback_tokens: CallbackTokensTable;
  model_package_groups: ModelPackageGroupsTable;
  model_packages: ModelPackagesTable;
  approval_changes: ApprovalChangesTable;
  lineage_entities: LineageEntitiesTable;
  lineage_associations: LineageAssociationsTable;
  events: EventsTable;
  event_deliveries: EventDeliveriesTable;
  fences: FencesTable;
}

/** One row per fence: its current term (see `ExecutionStore.advanceFence`). @internal */
export interface FencesTable {
  name: string;
  term: number;
}

/** One row per pipeline version. @internal */
export interface PipelinesTable {
  name: string;
  version: number;
  arn: string;
  definition: string;
  description: string | null;
  display_name: string | null;
  role_arn: string | null;
  max_parallel_execution_steps: number | null;
  created_at: number;
  updated_at: number;
}

/** One row per execution. @internal */
export interface ExecutionsTable {
  id: string;
  arn: string;
  pipeline_name: string;
  pipeline_arn: string;
  pipeline_version: number;
  definition: string;
  status: string;
  display_name: string | null;
  description: string | null;
  parameters: string;
  max_parallel_execution_steps: number | null;
  selective_execution: string | null;
  failure_reason: string | null;
  runtime: string;
  created_at: number;
  updated_at: number;
  ended_at: number | null;
  version: number;
}

/** One row per step of an execution: indexed columns plus the whole record as JSON. @internal */
export interface StepExecutionsTable {
  execution_id: string;
  step_name: string;
  status: string;
  cache_key: string | null;
  end_time: number | null;
  updated_at: number;
  version: number;
  record: string;
}

/**
 * Where cache hits are looked up: one row per step that succeeded with a cache key (as it was when
 * written). A row whose step was rewritten since may be stale, so a lookup checks it against the
 * step's row. @internal
 */
export interface StepCacheEntriesTable {
  step_name: string;
  cache_key: string;
  end_time: number;
  execution_id: string;
}

/** Callback tokens by hash. @internal */
export interface CallbackTokensTable {
  token_hash: string;
  execution_id: string;
  step_name: string;
  attempt: number;
  output_parameters: string;
  created_at: number;
  redeemed_at: number | null;
  outcome: string | null;
  outputs: string | null;
  failure_reason: string | null;
}

/** Model package groups; `latest_version` hands out version numbers atomically. @internal */
export interface ModelPackageGroupsTable {
  name: string;
  arn: string;
  description: string | null;
  created_at: number;
  latest_version: number;
}

/** Model package versions; `description` is the DescribeModelPackage JSON. @internal */
export interface ModelPackagesTable {
  arn: string;
  group_name: string;
  version: number;
  approval_status: string;
  description: string;
  execution_arn: string | null;
  step_name: string | null;
  created_at: number;
  updated_at: number;
}

/** The approval audit trail. @internal */
export interface ApprovalChangesTable {
  id: Generated<number>;
  model_package_arn: string;
  from_status: string | null;
  to_status: string;
  changed_by: string;
  reason: string | null;
  at: number;
}

/** Lineage artifacts, actions and contexts. @internal */
export interface LineageEntitiesTable {
  arn: string;
  kind: string;
  name: string;
  type: string;
  source_uri: string | null;
  digest: string | null;
  properties: string | null;
  created_at: number;
}

/** Lineage associations, one per (source, destination). @internal */
export interface LineageAssociationsTable {
  source_arn: string;
  destination_arn: string;
  type: string;
  created_at: number;
}

/** The event outbox. @internal */
export interface EventsTable {
  id: string;
  detail_type: string;
  envelope: string;
  created_at: number;
}

/** One row per (event, sink): what a dispatcher works through. @internal */
export interface EventDeliveriesTable {
  id: string;
  event_id: string;
  sink_id: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  last_status_code: number | null;
  delivered_at: number | null;
  created_at: number;
  updated_at: number;
}
