import { CompiledQuery, sql, type Kysely, type Transaction } from 'kysely';
import type { Clock } from '../../clock.js';
import { isTerminalExecutionStatus, ExecutionStatus } from '../../scheduler/status.js';
import type {
  CacheHit,
  CallbackTokenRecord,
  ExecutionFilter,
  ExecutionPatch,
  ExecutionRecord,
  PipelineRecord,
  PutPipelineInput,
  StepExecutionRecord,
  StoreBatch,
  StoreFence,
} from '../execution-store.js';
import { DEFAULT_PRUNE_EVENTS_LIMIT, type DeliveryRecord, type DeliveryStatus, type DeliveryUpdate, type PruneEventsQuery, type StoredEvent } from '../event-store.js';
import { checkFence } from '../fence.js';
import {
  findStoredLineageEntity,
  firstLineageEntities,
  lineageEntityKeys,
  resolveLineageAssociations,
  type LineageAssociation,
  type LineageEntity,
  type LineageWrite,
} from '../lineage-store.js';
import type {
  ApprovalChange,
  CreateModelPackageInput,
  ModelApprovalStatus,
  ModelPackageGroupRecord,
  ModelPackageRecord,
  UpdateApprovalStatusInput,
} from '../registry-store.js';
import type { CairnStore } from '../store.js';
import {
  alreadyExists,
  applyApproval,
  approvalConflict,
  buildModelPackageRecord,
  checkStepVersion,
  executionConflict,
  executionNotFound,
  modelPackageGroupArn,
  modelPackageNotFound,
  newDeliveries,
  nextPipelineRecord,
  parseModelPackageRef,
  planStepWrites,
  requestedGroupName,
  samePipelineVersion,
  stepKey,
  storeConflict,
  type PlannedStepWrite,
} from '../store-support.js';
import type { SqlDialectName } from './migrations.js';
import {
  approvalChangeFromRow,
  associationRows,
  deliveryRows,
  eventRows,
  entityRows,
  executionRows,
  groupFromRow,
  modelPackageRows,
  pipelineRows,
  stepCacheEntry,
  stepFromRow,
  stepToRow,
  tokenRows,
} from './rows.js';
import type { CairnDatabase } from './schema.js';

type Db = Kysely<CairnDatabase> | Transaction<CairnDatabase>;

/** What a SQL store is built from. @internal */
export interface SqlStoreConfig {
  db: Kysely<CairnDatabase>;
  dialect: SqlDialectName;
  arnPrefix: string;
  clock: Clock;
  /** Bind parameters one statement may carry (SQLite 32,766; PostgreSQL 65,535). */
  maxParameters: number;
}

/** Rows of one multi-row statement, at most. */
const MAX_ROWS_PER_STATEMENT = 1000;
const ACTIVE_STATUSES = Object.values(ExecutionStatus).filter((s) => !isTerminalExecutionStatus(s));

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * `CairnStore` over Kysely: one implementation for SQLite and PostgreSQL. Batches are single
 * transactions of multi-row statements; step writes compare-and-set `version`.
 */
export abstract class SqlStore implements CairnStore {
  abstract readonly kind: string;
  protected readonly db: Kysely<CairnDatabase>;
  private readonly dialect: SqlDialectName;
  private readonly arnPrefix: string;
  private readonly clock: Clock;
  private readonly maxParameters: number;
  private readonly statements = new Map<string, string>();

  protected constructor(config: SqlStoreConfig) {
    this.db = config.db;
    this.dialect = config.dialect;
    this.arnPrefix = config.arnPrefix;
    this.clock = config.clock;
    this.maxParameters = config.maxParameters;
  }

  async putPipeline(input: PutPipelineInput): Promise<PipelineRecord> {
    for (;;) {
      const latest = await this.getPipeline(input.name);
      if (latest && samePipelineVersion(latest, input)) return latest;
      const record = nextPipelineRecord(input, latest, this.arnPrefix, this.clock.now());
      const result = await this.db
        .insertInto('pipelines')
        .values(pipelineRows.toRow(record) as PipelineRowInsert)
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      // Another writer stored this version number first: compare against theirs.
      if (Number(result.numInsertedOrUpdatedRows) === 1) return record;
    }
  }

  async getPipeline(name: string, version?: number): Promise<PipelineRecord | undefined> {
    const row = await this.db
      .selectFrom('pipelines')
      .selectAll()
      .where('name', '=', name)
      .$if(version !== undefined, (q) => q.where('version', '=', version ?? 0))
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && pipelineRows.fromRow(row);
  }

  async listPipelines(): Promise<PipelineRecord[]> {
    const rows = await this.db
      .selectFrom('pipelines as p')
      .selectAll()
      .where('p.version', '=', (eb) => eb.selectFrom('pipelines as q').select((e) => e.fn.max('q.version').as('v')).whereRef('q.name', '=', 'p.name'))
      .orderBy('p.name')
      .execute();
    return rows.map((r) => pipelineRows.fromRow(r));
  }

  async createExecution(record: ExecutionRecord): Promise<void> {
    const result = await this.db
      .insertInto('executions')
      .values(executionRows.toRow(record) as ExecutionRowInsert)
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows) !== 1) throw alreadyExists(`Execution "${record.id}"`);
  }

  async getExecution(id: string): Promise<ExecutionRecord | undefined> {
    const row = await this.db.selectFrom('executions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && executionRows.fromRow(row);
  }

  async listExecutions(filter: ExecutionFilter = {}): Promise<ExecutionRecord[]> {
    const rows = await this.db
      .selectFrom('executions')
      .selectAll()
      .$if(filter.pipelineName !== undefined, (q) => q.where('pipeline_name', '=', filter.pipelineName ?? ''))
      .$if(filter.status !== undefined, (q) => q.where('status', '=', filter.status ?? ''))
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map((r) => executionRows.fromRow(r));
  }

  async listActiveExecutions(): Promise<ExecutionRecord[]> {
    const rows = await this.db
      .selectFrom('executions')
      .selectAll()
      .where('status', 'in', ACTIVE_STATUSES)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map((r) => executionRows.fromRow(r));
  }

  async listStepExecutions(executionId: string): Promise<StepExecutionRecord[]> {
    const rows = await this.db.selectFrom('step_executions').select('record').where('execution_id', '=', executionId).execute();
    return rows.map(stepFromRow);
  }

  async getStepExecution(executionId: string, stepName: string): Promise<StepExecutionRecord | undefined> {
    const row = await this.db
      .selectFrom('step_executions')
      .select('record')
      .where('execution_id', '=', executionId)
      .where('step_name', '=', stepName)
      .executeTakeFirst();
    return row && stepFromRow(row);
  }

  async commit(batch: StoreBatch): Promise<void> {
    const writes = planStepWrites(batch.steps);
    await this.db.transaction().execute(async (trx) => {
      // A fenced PostgreSQL batch checks its term in its first step statement (no extra round
      // trip); a batch without steps, and SQLite (in-process, writers serialised), check it first.
      let fence = batch.fence;
      if (fence && (this.dialect !== 'postgres' || writes.length === 0)) {
        await this.checkFence(trx, fence);
        fence = undefined;
      }
      // PostgreSQL's statements check existence themselves (one round trip less per commit); the check runs only to name a conflict.
      if (this.dialect !== 'postgres') await this.checkExistingSteps(trx, writes);
      for (const layer of upsertLayers(batch.steps ?? [], writes)) {
        await this.upsertSteps(trx, layer, fence);
        fence = undefined;
      }
      await this.insertCacheEntries(trx, writes);
      await this.patchExecutions(trx, batch.executions ?? []);
    });
  }

  async advanceFence(name: string): Promise<number> {
    // On PostgreSQL the update waits for fenced commits holding the row (`for share`) to end, and
    // every commit that locks the row after it sees the new term.
    const row = await this.db
      .insertInto('fences')
      .values({ name, term: 1 })
      .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ term: eb('fences.term', '+', 1) })))
      .returning('term')
      .executeTakeFirstOrThrow();
    return Number(row.term);
  }

  /**
   * Throws `FENCED` unless the fence is at `fence.term`. PostgreSQL takes a share lock on the fence
   * row until the transaction ends, so `advanceFence` waits for this commit (and a commit that
   * locks the row after an advance sees the new term); SQLite writers are serialised anyway.
   */
  private async checkFence(trx: Db, fence: StoreFence): Promise<void> {
    const row = await trx
      .selectFrom('fences')
      .select('term')
      .where('name', '=', fence.name)
      .$if(this.dialect === 'postgres', (q) => q.forShare())
      .executeTakeFirst();
    checkFence(fence, row === undefined ? undefined : Number(row.term));
  }

  async findCacheHit(query: { pipelineName: string; stepName: string; cacheKey: string; notBefore: number }): Promise<CacheHit | undefined> {
    // An entry counts only while its step still has the status, key and end time it was written with.
    const row = await this.db
      .selectFrom('step_cache_entries as c')
      .innerJoin('step_executions as s', (j) => j.onRef('s.execution_id', '=', 'c.execution_id').onRef('s.step_name', '=', 'c.step_name'))
      .innerJoin('executions as e', 'e.id', 'c.execution_id')
      .select(['s.record', 's.end_time', 'e.arn'])
      .where('c.step_name', '=', query.stepName)
      .where('c.cache_key', '=', query.cacheKey)
      .where('c.end_time', '>=', query.notBefore)
      .where('s.status', '=', 'Succeeded')
      .whereRef('s.cache_key', '=', 'c.cache_key')
      .whereRef('s.end_time', '=', 'c.end_time')
      .where('e.pipeline_name', '=', query.pipelineName)
      .orderBy('c.end_time', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!row) return undefined;
    const step = stepFromRow(row);
    return {
      executionId: step.executionId,
      executionArn: row.arn,
      stepName: step.stepName,
      properties: step.properties ?? {},
      ...(step.metadata ? { metadata: step.metadata } : {}),
      endTime: Number(row.end_time),
    };
  }

  async putCallbackToken(record: CallbackTokenRecord): Promise<void> {
    const result = await this.db
      .insertInto('callback_tokens')
      .values(tokenRows.toRow(record) as TokenRowInsert)
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows) !== 1) throw alreadyExists('Callback token');
  }

  async redeemCallbackToken(
    tokenHash: string,
    redemption: { outcome: 'succeeded' | 'failed'; at: number; outputs?: { Name: string; Value: string }[]; failureReason?: string },
  ): Promise<CallbackTokenRecord | undefined> {
    const { at, ...rest } = redemption;
    const row = await this.db
      .updateTable('callback_tokens')
      .set(tokenRows.toRow({ ...rest, redeemedAt: at }))
      .where('token_hash', '=', tokenHash)
      .where('redeemed_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row && tokenRows.fromRow(row);
  }

  async getCallbackToken(tokenHash: string): Promise<CallbackTokenRecord | undefined> {
    const row = await this.db.selectFrom('callback_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row && tokenRows.fromRow(row);
  }

  async listCallbackTokens(query: { executionId: string; stepName: string; attempt: number }): Promise<CallbackTokenRecord[]> {
    const rows = await this.db
      .selectFrom('callback_tokens')
      .selectAll()
      .where('execution_id', '=', query.executionId)
      .where('step_name', '=', query.stepName)
      .where('attempt', '=', query.attempt)
      .orderBy('created_at')
      .orderBy('token_hash')
      .execute();
    return rows.map((row) => tokenRows.fromRow(row));
  }

  async ensureModelPackageGroup(input: { name: string; description?: string; arnPrefix: string; now: number }): Promise<ModelPackageGroupRecord> {
    return ensureGroup(this.db, input);
  }

  async getModelPackageGroup(name: string): Promise<ModelPackageGroupRecord | undefined> {
    const row = await this.db.selectFrom('model_package_groups').selectAll().where('name', '=', name).executeTakeFirst();
    return row && groupFromRow(row);
  }

  async listModelPackageGroups(): Promise<ModelPackageGroupRecord[]> {
    const rows = await this.db.selectFrom('model_package_groups').selectAll().orderBy('name').execute();
    return rows.map(groupFromRow);
  }

  async createModelPackage(input: CreateModelPackageInput): Promise<ModelPackageRecord> {
    return this.db.transaction().execute(async (trx) => {
      const group = await ensureGroup(trx, { name: requestedGroupName(input.request), arnPrefix: input.arnPrefix, now: input.now });
      // The counter update locks the group row, so concurrent creates get 1, 2, 3 … in turn.
      const { latest_version: version } = await trx
        .updateTable('model_package_groups')
        .set((eb) => ({ latest_version: eb('latest_version', '+', 1) }))
        .where('name', '=', group.ModelPackageGroupName)
        .returning('latest_version')
        .executeTakeFirstOrThrow();
      const record = buildModelPackageRecord(input, group, version);
      await trx.insertInto('model_packages').values(modelPackageRows.toRow(record) as ModelPackageRowInsert).execute();
      await insertApprovalChange(trx, { modelPackageArn: record.arn, from: null, to: record.approvalStatus, by: input.createdBy, at: input.now });
      if (input.outbox) await insertEvent(trx, input.outbox.build(record), input.outbox.sinkIds);
      return record;
    });
  }

  async getModelPackage(ref: string): Promise<ModelPackageRecord | undefined> {
    return this.findPackage(this.db, ref, false);
  }

  async listModelPackages(query: { groupName: string; status?: ModelApprovalStatus }): Promise<ModelPackageRecord[]> {
    const rows = await this.db
      .selectFrom('model_packages')
      .selectAll()
      .where('group_name', '=', query.groupName)
      .$if(query.status !== undefined, (q) => q.where('approval_status', '=', query.status ?? ''))
      .orderBy('version', 'desc')
      .execute();
    return rows.map((r) => modelPackageRows.fromRow(r));
  }

  async updateApprovalStatus(input: UpdateApprovalStatusInput): Promise<{ record: ModelPackageRecord; change: ApprovalChange }> {
    return this.db.transaction().execute(async (trx) => {
      const current = await this.findPackage(trx, input.ref, true);
      if (!current) throw modelPackageNotFound(input.ref);
      if (input.expectedStatus !== undefined && current.approvalStatus !== input.expectedStatus) {
        throw approvalConflict(current.arn, input.expectedStatus, current.approvalStatus);
      }
      const record = applyApproval(current, input);
      const { approval_status, description, updated_at } = modelPackageRows.toRow(record);
      await trx.updateTable('model_packages').set({ approval_status, description, updated_at }).where('arn', '=', record.arn).execute();
      const change: ApprovalChange = {
        modelPackageArn: record.arn,
        from: current.approvalStatus,
        to: input.status,
        by: input.by,
        ...(input.reason !== undefined ? { reason: input.reason } : {}),
        at: input.now,
      };
      await insertApprovalChange(trx, change);
      if (input.outbox) await insertEvent(trx, input.outbox.build(record), input.outbox.sinkIds);
      return { record, change };
    });
  }

  async listApprovalChanges(ref: string): Promise<ApprovalChange[]> {
    const found = await this.findPackage(this.db, ref, false);
    if (!found) return [];
    const rows = await this.db.selectFrom('approval_changes').selectAll().where('model_package_arn', '=', found.arn).orderBy('id').execute();
    return rows.map(approvalChangeFromRow);
  }

  async putLineageEntity(entity: LineageEntity): Promise<LineageEntity> {
    await this.db
      .insertInto('lineage_entities')
      .values(entityRows.toRow(entity) as EntityRowInsert)
      .onConflict((oc) => oc.doNothing())
      .execute();
    const stored = await this.getLineageEntity(entity.kind === 'Artifact' && entity.sourceUri ? entity.sourceUri : entity.arn);
    return stored ?? entity;
  }

  async getLineageEntity(arnOrUri: string): Promise<LineageEntity | undefined> {
    const row =
      (await this.db.selectFrom('lineage_entities').selectAll().where('arn', '=', arnOrUri).executeTakeFirst()) ??
      (await this.db.selectFrom('lineage_entities').selectAll().where('kind', '=', 'Artifact').where('source_uri', '=', arnOrUri).executeTakeFirst());
    return row && entityRows.fromRow(row);
  }

  async addAssociation(association: LineageAssociation): Promise<void> {
    await this.db
      .insertInto('lineage_associations')
      .values(associationRows.toRow(association) as AssociationRowInsert)
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async listAssociations(query: { sourceArn?: string; destinationArn?: string }): Promise<LineageAssociation[]> {
    const rows = await this.db
      .selectFrom('lineage_associations')
      .selectAll()
      .$if(query.sourceArn !== undefined, (q) => q.where('source_arn', '=', query.sourceArn ?? ''))
      .$if(query.destinationArn !== undefined, (q) => q.where('destination_arn', '=', query.destinationArn ?? ''))
      .orderBy('created_at')
      .execute();
    return rows.map((r) => associationRows.fromRow(r));
  }

  async writeLineage(write: LineageWrite): Promise<LineageEntity[]> {
    if (write.entities.length === 0 && write.associations.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      const firsts = firstLineageEntities(write.entities);
      const found = new Map<string, LineageEntity>();
      const { inserted, asStored } = await this.insertLineageEntities(trx, firsts);
      const conflicting: LineageEntity[] = [];
      firsts.forEach((entity, i) => {
        if (!inserted.has(entity.arn)) conflicting.push(entity);
        else for (const key of lineageEntityKeys(entity)) found.set(key, asStored(i));
      });
      for (const entity of await this.readLineageEntities(trx, conflicting)) {
        for (const key of lineageEntityKeys(entity)) found.set(key, entity);
      }
      const stored = write.entities.map((e) => findStoredLineageEntity(e, found) ?? e);
      await this.insertLineageAssociations(trx, resolveLineageAssociations(write, stored));
      return stored;
    });
  }

  /**
   * Inserts the entities unless stored already (by ARN, or an artifact by URI); returns the ARNs
   * it inserted and the i-th entity as stored (absent fields absent, JSON round-tripped).
   */
  private async insertLineageEntities(
    trx: Db,
    entities: readonly LineageEntity[],
  ): Promise<{ inserted: ReadonlySet<string>; asStored: (i: number) => LineageEntity }> {
    if (entities.length === 0) return { inserted: new Set(), asStored: (i) => entities[i]! };
    if (this.dialect === 'postgres') {
      const text = JSON.stringify(entities.map(entityJson));
      const { rows } = await trx.executeQuery<{ arn: string }>(CompiledQuery.raw(PG_ENTITY_INSERT, [text]));
      // The text the server parsed, parsed again: the entities as stored, made only when one is inserted.
      let parsed: LineageEntity[] | undefined;
      return { inserted: new Set(rows.map((r) => r.arn)), asStored: (i) => (parsed ??= JSON.parse(text) as LineageEntity[])[i]! };
    }
    const inserted = new Set<string>();
    for (const part of chunk(entities, this.rowsPerStatement(ENTITY_COLUMNS))) {
      const rows = await trx
        .insertInto('lineage_entities')
        .values(part.map((e) => entityRows.toRow(e) as EntityRowInsert))
        .onConflict((oc) => oc.doNothing())
        .returning('arn')
        .execute();
      for (const row of rows) inserted.add(row.arn);
    }
    return { inserted, asStored: (i) => entityRows.fromRow(entityRows.toRow(entities[i]!) as EntityRowInsert) };
  }

  /** The stored entities having the ARN of one of `entities`, or the URI of one of its artifacts. */
  private async readLineageEntities(trx: Db, entities: readonly LineageEntity[]): Promise<LineageEntity[]> {
    if (entities.length === 0) return [];
    const uris = (part: readonly LineageEntity[]): string[] => part.flatMap((e) => (e.kind === 'Artifact' && e.sourceUri ? [e.sourceUri] : []));
    if (this.dialect === 'postgres') {
      const parameters = [entities.map((e) => e.arn), uris(entities)];
      const { rows } = await trx.executeQuery<EntityRowInsert>(CompiledQuery.raw(PG_ENTITY_SELECT, parameters));
      return rows.map((row) => entityRows.fromRow(row));
    }
    const found: LineageEntity[] = [];
    for (const part of chunk(entities, this.rowsPerStatement(2))) {
      const arns = part.map((e) => e.arn);
      const partUris = uris(part);
      const rows = await trx
        .selectFrom('lineage_entities')
        .selectAll()
        .where((eb) => eb.or([eb('arn', 'in', arns), ...(partUris.length > 0 ? [eb.and([eb('kind', '=', 'Artifact'), eb('source_uri', 'in', partUris)])] : [])]))
        .execute();
      for (const row of rows) found.push(entityRows.fromRow(row));
    }
    return found;
  }

  /** Inserts the associations whose (source, destination) pair is not stored yet. */
  private async insertLineageAssociations(trx: Db, associations: readonly LineageAssociation[]): Promise<void> {
    if (associations.length === 0) return;
    if (this.dialect === 'postgres') {
      await trx.executeQuery(CompiledQuery.raw(PG_ASSOCIATION_INSERT, [JSON.stringify(associations.map(associationJson))]));
      return;
    }
    for (const part of chunk(associations, this.rowsPerStatement(ASSOCIATION_COLUMNS))) {
      await trx
        .insertInto('lineage_associations')
        .values(part.map((a) => associationRows.toRow(a) as AssociationRowInsert))
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }

  async appendEvent(event: StoredEvent, sinkIds: readonly string[]): Promise<DeliveryRecord[]> {
    return this.db.transaction().execute((trx) => insertEvent(trx, event, sinkIds));
  }

  async getEvent(id: string): Promise<StoredEvent | undefined> {
    const row = await this.db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
    return row && eventRows.fromRow(row);
  }

  async getDelivery(id: string): Promise<DeliveryRecord | undefined> {
    const row = await this.db.selectFrom('event_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    return row && deliveryRows.fromRow(row);
  }

  async listDeliveries(query: { eventId?: string; status?: DeliveryStatus; limit?: number } = {}): Promise<DeliveryRecord[]> {
    const rows = await this.db
      .selectFrom('event_deliveries')
      .selectAll()
      .$if(query.eventId !== undefined, (q) => q.where('event_id', '=', query.eventId ?? ''))
      .$if(query.status !== undefined, (q) => q.where('status', '=', query.status ?? ''))
      .orderBy('created_at')
      .orderBy('id')
      .limit(query.limit ?? 100)
      .execute();
    return rows.map((r) => deliveryRows.fromRow(r));
  }

  async claimDueDeliveries(query: { now: number; leaseUntil: number; limit: number }): Promise<DeliveryRecord[]> {
    // PostgreSQL skips rows another claimer has locked; the conditions are checked again on update.
    const rows = await this.db
      .updateTable('event_deliveries')
      .set({ next_attempt_at: query.leaseUntil })
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', query.now)
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('event_deliveries')
          .select('id')
          .where('status', '=', 'pending')
          .where('next_attempt_at', '<=', query.now)
          .orderBy('next_attempt_at')
          .limit(query.limit)
          .$if(this.dialect === 'postgres', (q) => q.forUpdate().skipLocked()),
      )
      .returningAll()
      .execute();
    return rows.map((r) => deliveryRows.fromRow(r));
  }

  async updateDelivery(id: string, update: DeliveryUpdate): Promise<DeliveryRecord | undefined> {
    const row = await this.db.updateTable('event_deliveries').set(deliveryRows.toRow(update)).where('id', '=', id).returningAll().executeTakeFirst();
    return row && deliveryRows.fromRow(row);
  }

  async pruneEvents(query: PruneEventsQuery): Promise<number> {
    const limit = query.limit ?? DEFAULT_PRUNE_EVENTS_LIMIT;
    if (this.dialect === 'postgres') {
      // One statement: events another pruner holds are skipped, not waited for.
      const result = await this.db.executeQuery<{ pruned: number }>(CompiledQuery.raw(PG_PRUNE_EVENTS, [query.before, limit]));
      return Number(result.rows[0]?.pruned ?? 0);
    }
    return this.db.transaction().execute(async (trx) => {
      const gone = await trx
        .deleteFrom('events')
        .where('id', 'in', prunableEvents(trx, query.before).select('e.id').orderBy('e.created_at').orderBy('e.id').limit(limit))
        .returning('id')
        .execute();
      for (const part of chunk(gone, this.maxParameters)) {
        await trx.deleteFrom('event_deliveries').where('event_id', 'in', part.map((r) => r.id)).execute();
      }
      return gone.length;
    });
  }

  async countPrunableEvents(query: { before: number }): Promise<number> {
    const row = await prunableEvents(this.db, query.before).select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** Rows per multi-row statement for a table with `columns` columns. */
  private rowsPerStatement(columns: number): number {
    return Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(this.maxParameters / columns));
  }

  /**
   * Steps that must already exist (expected version ≥ 1) are checked here; new steps and
   * concurrent writers are caught by the guarded upsert.
   */
  private async checkExistingSteps(trx: Db, writes: readonly PlannedStepWrite[]): Promise<void> {
    const existing = writes.filter((w) => w.expectedVersion > 0);
    if (existing.length === 0) return;
    if (this.dialect === 'postgres') {
      const keys = [existing.map((w) => w.record.executionId), existing.map((w) => w.record.stepName)];
      const { rows } = await trx.executeQuery<{ execution_id: string; step_name: string; version: number }>(CompiledQuery.raw(PG_STEP_VERSIONS, keys));
      const stored = new Map(rows.map((r) => [stepKey(r.execution_id, r.step_name), Number(r.version)]));
      for (const write of existing) checkStepVersion(write, stored.get(stepKey(write.record.executionId, write.record.stepName)));
      return;
    }
    for (const part of chunk(existing, this.rowsPerStatement(2))) {
      const ids = [...new Set(part.map((w) => w.record.executionId))];
      const names = [...new Set(part.map((w) => w.record.stepName))];
      const text = this.compiled(`versions:${ids.length}:${names.length}`, () =>
        trx
          .selectFrom('step_executions')
          .select(['execution_id', 'step_name', 'version'])
          .where('execution_id', 'in', ids)
          .where('step_name', 'in', names)
          .compile(),
      );
      const { rows } = await trx.executeQuery<{ execution_id: string; step_name: string; version: number }>(CompiledQuery.raw(text, [...ids, ...names]));
      const stored = new Map(rows.map((r) => [stepKey(r.execution_id, r.step_name), Number(r.version)]));
      for (const write of part) checkStepVersion(write, stored.get(stepKey(write.record.executionId, write.record.stepName)));
    }
  }

  /**
   * Multi-row upserts that only replace a row whose stored version is the incoming one minus 1;
   * `fence` (PostgreSQL only) is checked in the same statement.
   */
  private async upsertSteps(trx: Db, writes: readonly PlannedStepWrite[], fence: StoreFence | undefined): Promise<void> {
    if (this.dialect === 'postgres') return this.upsertStepArrays(trx, writes, fence);
    for (const part of chunk(writes, this.rowsPerStatement(STEP_COLUMNS.length))) {
      const text = this.compiled(`upsert:${part.length}`, () => compileStepUpsert(trx, part.length));
      const parameters = part.flatMap((w) => {
        const row = stepToRow(w.record);
        return STEP_COLUMNS.map((column) => row[column]);
      });
      const { numAffectedRows } = await trx.executeQuery(CompiledQuery.raw(text, parameters));
      if (Number(numAffectedRows) !== part.length) {
        throw storeConflict(`${part.length - Number(numAffectedRows)} of ${part.length} step writes found a newer or existing version`);
      }
    }
  }

  /**
   * PostgreSQL: every step write of the batch in one statement, the records as JSON arrays (the
   * server takes the columns from them), so its text is the same for any number of rows (no
   * statement per batch size, no bind parameter limit) and nothing needs escaping. New steps
   * (version 1) are inserted, the others updated in place: a plain update skips the upsert's
   * existence check, conflict probe and row lock, and, touching no indexed column, stays HOT.
   * With a `fence`, the statement also locks the fence row (`for share`), writes only while its
   * term is the fence's, and returns the term it found (`PG_FENCED_STEP_WRITE`).
   */
  private async upsertStepArrays(trx: Db, writes: readonly PlannedStepWrite[], fence: StoreFence | undefined): Promise<void> {
    if (writes.length === 0) return;
    const inserts: string[] = [];
    const updates: string[] = [];
    for (const { record } of writes) (record.version === 1 ? inserts : updates).push(JSON.stringify(record));
    const array = (records: readonly string[]) => `[${records.join(',')}]`;
    let written: number;
    if (fence) {
      const shape = inserts.length === 0 ? 'update' : updates.length === 0 ? 'insert' : 'both';
      const parameters = shape === 'both' ? [array(inserts), array(updates)] : [array(shape === 'insert' ? inserts : updates)];
      const { rows } = await trx.executeQuery<{ term: string | number | null; written: string | number }>(
        CompiledQuery.raw(PG_FENCED_STEP_WRITE[shape], [...parameters, fence.name, fence.term]),
      );
      const term = rows[0]?.term;
      checkFence(fence, term === null || term === undefined ? undefined : Number(term));
      written = Number(rows[0]?.written);
    } else if (updates.length === 0) {
      written = Number((await trx.executeQuery(CompiledQuery.raw(PG_STEP_INSERT, [array(inserts)]))).numAffectedRows);
    } else if (inserts.length === 0) {
      written = Number((await trx.executeQuery(CompiledQuery.raw(PG_STEP_UPDATE, [array(updates)]))).numAffectedRows);
    } else {
      const { rows } = await trx.executeQuery<{ written: string }>(CompiledQuery.raw(PG_STEP_INSERT_UPDATE, [array(inserts), array(updates)]));
      written = Number(rows[0]?.written);
    }
    if (written !== writes.length) {
      // Name the step at fault when a stored version tells which; else a concurrent writer won.
      await this.checkExistingSteps(trx, writes);
      throw storeConflict(`${writes.length - written} of ${writes.length} step writes found a newer or existing version`);
    }
  }

  /**
   * The cache entries of the steps written as succeeded with a cache key (few steps have one); an
   * entry already there is kept (its step's row is what a lookup checks).
   */
  private async insertCacheEntries(trx: Db, writes: readonly PlannedStepWrite[]): Promise<void> {
    const entries = writes.flatMap((w) => stepCacheEntry(w.record) ?? []);
    if (entries.length === 0) return;
    if (this.dialect === 'postgres') {
      await trx.executeQuery(CompiledQuery.raw(PG_CACHE_ENTRY_INSERT, [JSON.stringify(entries)]));
      return;
    }
    for (const part of chunk(entries, this.rowsPerStatement(CACHE_ENTRY_COLUMNS))) {
      await trx.insertInto('step_cache_entries').values(part).onConflict((oc) => oc.doNothing()).execute();
    }
  }

  /** SQL text of a hot statement, compiled by Kysely once per shape and reused. */
  private compiled(key: string, compile: () => { sql: string }): string {
    let text = this.statements.get(key);
    if (text === undefined) {
      text = compile().sql;
      this.statements.set(key, text);
    }
    return text;
  }

  /**
   * Execution patches in order, one statement each; on PostgreSQL, patches of distinct executions
   * that set the same plain (non-JSON) columns go in one statement per column set (a group commit
   * that ends many executions patches each of them the same way).
   */
  private async patchExecutions(trx: Db, patches: readonly ExecutionPatch[]): Promise<void> {
    const groups = this.dialect === 'postgres' && patches.length > 1 ? groupPatches(patches) : undefined;
    if (!groups) {
      for (const patch of patches) await this.patchExecution(trx, patch);
      return;
    }
    for (const [key, group] of groups) {
      if (group.length === 1) {
        await this.patchExecution(trx, group[0]!.patch);
        continue;
      }
      const columns = key.split(',');
      const text = this.compiled(`patches:${key}`, () => ({ sql: pgPatchStatement(columns) }));
      const rows = group.map(({ patch, values }) => ({ ...values, id: patch.id, version: patch.expectedVersion ?? null }));
      const result = await trx.executeQuery<{ id: string }>(CompiledQuery.raw(text, [JSON.stringify(rows)]));
      if (result.rows.length === group.length) continue;
      // Name the first patch that did not apply, as `patchExecution` would.
      const applied = new Set(result.rows.map((r) => r.id));
      const failed = group.find(({ patch }) => !applied.has(patch.id))!.patch;
      const current = await trx.selectFrom('executions').select('version').where('id', '=', failed.id).executeTakeFirst();
      throw current ? executionConflict(failed.id, failed.expectedVersion ?? 0, Number(current.version)) : executionNotFound(failed.id);
    }
  }

  private async patchExecution(trx: Db, patch: ExecutionPatch): Promise<void> {
    const values = executionRows.toRow(patch.patch);
    delete values.id;
    delete values.version;
    const result = await trx
      .updateTable('executions')
      .set((eb) => ({ ...values, version: eb('version', '+', 1) }))
      .where('id', '=', patch.id)
      .$if(patch.expectedVersion !== undefined, (q) => q.where('version', '=', patch.expectedVersion ?? 0))
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) return;
    const current = await trx.selectFrom('executions').select('version').where('id', '=', patch.id).executeTakeFirst();
    throw current ? executionConflict(patch.id, patch.expectedVersion ?? 0, Number(current.version)) : executionNotFound(patch.id);
  }

  private async findPackage(db: Db, ref: string, forUpdate: boolean): Promise<ModelPackageRecord | undefined> {
    const parsed = parseModelPackageRef(ref);
    const query = db.selectFrom('model_packages').selectAll();
    const row = await ('arn' in parsed ? query.where('arn', '=', parsed.arn) : query.where('group_name', '=', parsed.groupName).where('version', '=', parsed.version))
      .$if(forUpdate && this.dialect === 'postgres', (q) => q.forUpdate())
      .executeTakeFirst();
    return row && modelPackageRows.fromRow(row);
  }
}

type PipelineRowInsert = CairnDatabase['pipelines'];
type ExecutionRowInsert = CairnDatabase['executions'];
type TokenRowInsert = CairnDatabase['callback_tokens'];
type ModelPackageRowInsert = CairnDatabase['model_packages'];
type EntityRowInsert = CairnDatabase['lineage_entities'];
type AssociationRowInsert = CairnDatabase['lineage_associations'];
/** Columns of `lineage_entities` and `lineage_associations` rows (bind parameters per row). */
const ENTITY_COLUMNS = 8;
const ASSOCIATION_COLUMNS = 4;

/**
 * PostgreSQL: lineage entities from one JSON array of `entityJson` objects (constant text, no
 * bind parameter limit). `->` keeps a JSON `null` digest or properties as JSON, as a bound value
 * would (`jsonb_to_recordset` would store SQL NULL). Returns the ARNs it inserted.
 */
const PG_ENTITY_INSERT = `insert into lineage_entities (arn, kind, name, type, source_uri, digest, properties, created_at)
select r->>'arn', r->>'kind', r->>'name', r->>'type', r->>'sourceUri', r->'digest', r->'properties', (r->>'createdAt')::bigint
from jsonb_array_elements($1::jsonb) as r
on conflict do nothing
returning arn`;

/** PostgreSQL: stored lineage entities by ARN ($1) or artifact URI ($2), both text arrays. */
const PG_ENTITY_SELECT = `select * from lineage_entities where arn = any($1::text[]) or (kind = 'Artifact' and source_uri = any($2::text[]))`;

/** PostgreSQL: lineage associations from one JSON array of `associationJson` objects. */
const PG_ASSOCIATION_INSERT = `insert into lineage_associations (source_arn, destination_arn, type, created_at)
select r."sourceArn", r."destinationArn", r.type, r."createdAt"
from jsonb_to_recordset($1::jsonb) as r("sourceArn" text, "destinationArn" text, type text, "createdAt" bigint)
on conflict do nothing`;

/** The fields of an entity that `lineage_entities` stores (a null URI is no URI, as in `entityRows`). */
function entityJson(e: LineageEntity): Record<keyof LineageEntity, unknown> {
  return { arn: e.arn, kind: e.kind, name: e.name, type: e.type, sourceUri: e.sourceUri ?? undefined, digest: e.digest, properties: e.properties, createdAt: e.createdAt };
}

/** The fields of an association that `lineage_associations` stores. */
function associationJson(a: LineageAssociation): Record<keyof LineageAssociation, unknown> {
  return { sourceArn: a.sourceArn, destinationArn: a.destinationArn, type: a.type, createdAt: a.createdAt };
}

/** Columns of a `step_cache_entries` row (bind parameters per row). */
const CACHE_ENTRY_COLUMNS = 4;

/** PostgreSQL: cache entries from one JSON array of `step_cache_entries` rows. */
const PG_CACHE_ENTRY_INSERT = `insert into step_cache_entries (step_name, cache_key, end_time, execution_id)
select r.step_name, r.cache_key, r.end_time, r.execution_id
from jsonb_to_recordset($1::jsonb) as r(step_name text, cache_key text, end_time bigint, execution_id text)
on conflict do nothing`;

/** Column order of step rows in the compiled upsert and its parameters. */
const STEP_COLUMNS = ['execution_id', 'step_name', 'status', 'cache_key', 'end_time', 'updated_at', 'version', 'record'] as const;

/**
 * The step writes as upsert statements apply them: the planned writes at once, unless a step is
 * listed more than once (the upsert's guard is "stored version = written version - 1", so each
 * listing is written in turn: first listings, then second ones …).
 */
function upsertLayers(steps: readonly StepExecutionRecord[], writes: readonly PlannedStepWrite[]): (readonly PlannedStepWrite[])[] {
  if (writes.length === steps.length) return [writes];
  const layers: PlannedStepWrite[][] = [];
  const seen = new Map<string, number>();
  for (const record of steps) {
    const key = stepKey(record.executionId, record.stepName);
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    (layers[n] ??= []).push({ record, expectedVersion: record.version - 1 });
  }
  return layers;
}

/** Execution columns holding JSON (text in SQLite, jsonb in PostgreSQL): patches setting them go one by one. */
const EXECUTION_JSON_COLUMNS = new Set(['parameters', 'selective_execution']);

/** A patch with its row values (no `id`/`version`). */
interface PatchValues {
  patch: ExecutionPatch;
  values: Record<string, unknown>;
}

/**
 * Patches grouped by the columns they set, or undefined when they cannot be applied as groups
 * (an execution patched twice must see its first patch; JSON columns need a cast per value).
 */
function groupPatches(patches: readonly ExecutionPatch[]): Map<string, PatchValues[]> | undefined {
  const groups = new Map<string, PatchValues[]>();
  const ids = new Set<string>();
  for (const patch of patches) {
    const values = executionRows.toRow(patch.patch) as Record<string, unknown>;
    delete values['id'];
    delete values['version'];
    const columns = Object.keys(values);
    if (ids.has(patch.id) || columns.length === 0 || columns.some((c) => EXECUTION_JSON_COLUMNS.has(c))) return undefined;
    ids.add(patch.id);
    const key = columns.join(',');
    groups.set(key, [...(groups.get(key) ?? []), { patch, values }]);
  }
  return groups;
}

/**
 * PostgreSQL: one update of several executions from a JSON array of rows (`version` holds the
 * expected version, or null), typed by the table's own row type; returns the ids it updated.
 * Column names come from the fixed record ↔ row mapping, never from data.
 */
function pgPatchStatement(columns: readonly string[]): string {
  const set = [...columns.map((c) => `${c} = v.${c}`), 'version = e.version + 1'].join(', ');
  return `update executions as e set ${set} from jsonb_populate_recordset(null::executions, $1::jsonb) as v where e.id = v.id and (v.version is null or e.version = v.version) returning e.id`;
}

/** PostgreSQL: stored versions of the steps keyed by two arrays (execution ids, step names). */
const PG_STEP_VERSIONS =
  'select s.execution_id, s.step_name, s.version from step_executions s join unnest($1::text[], $2::text[]) as k(execution_id, step_name) on s.execution_id = k.execution_id and s.step_name = k.step_name';

/** PostgreSQL: the columns of a step row from `r`, a step record as jsonb (as `stepToRow` derives them). */
const PG_STEP_COLUMNS_FROM_RECORD = `r->>'executionId', r->>'stepName', r->>'status', r->>'cacheKey', (r->>'endTime')::bigint, (r->>'updatedAt')::bigint, (r->>'version')::integer, r`;

/** PostgreSQL: new steps (version 1) from a JSON array of step records (those meeting `guard`, if given); a step already stored is not written. */
const PG_STEP_INSERT_FROM = (parameter: string, guard?: string) => `insert into step_executions (${STEP_COLUMNS.join(', ')})
select ${PG_STEP_COLUMNS_FROM_RECORD} from jsonb_array_elements(${parameter}::jsonb) as r${guard ? ` where ${guard}` : ''}
on conflict do nothing`;

/**
 * PostgreSQL: steps past version 1 from a JSON array of step records, each written only over its
 * stored row at the version before (a missing row shows in the count like a version conflict).
 */
const PG_STEP_UPDATE_FROM = (parameter: string, guard?: string) => `update step_executions as s set status = r->>'status', cache_key = r->>'cacheKey',
  end_time = (r->>'endTime')::bigint, updated_at = (r->>'updatedAt')::bigint, version = (r->>'version')::integer, record = r
from jsonb_array_elements(${parameter}::jsonb) as r
where s.execution_id = r->>'executionId' and s.step_name = r->>'stepName' and s.version = (r->>'version')::integer - 1${guard ? ` and ${guard}` : ''}`;

const PG_STEP_INSERT = PG_STEP_INSERT_FROM('$1');
const PG_STEP_UPDATE = PG_STEP_UPDATE_FROM('$1');
/** PostgreSQL: both in one statement (new steps $1, the others $2); returns the rows written. */
const PG_STEP_INSERT_UPDATE = `with i as (${PG_STEP_INSERT_FROM('$1')} returning 1), u as (${PG_STEP_UPDATE_FROM('$2')} returning 1)
select (select count(*) from i) + (select count(*) from u) as written`;

/**
 * PostgreSQL: the step statements above, fenced: `f` locks the fence row (`for share`, held until
 * the transaction ends, so an `advanceFence` waits for this commit, and the term read is the latest
 * committed one even when an advance committed after the statement began); rows are written only
 * while its term is the expected one. The fence name and term follow the step arrays as
 * parameters. Returns the term found (null: no such fence) and the rows written.
 */
const PG_FENCED_STEP_WRITE = ((): Record<'insert' | 'update' | 'both', string> => {
  const fenceCte = (name: string) => `f as (select term from fences where name = ${name} for share)`;
  const guard = (term: string) => `(select term from f) = ${term}::bigint`;
  const insert = (rows: string, term: string) => `i as (${PG_STEP_INSERT_FROM(rows, guard(term))} returning 1)`;
  const update = (rows: string, term: string) => `u as (${PG_STEP_UPDATE_FROM(rows, guard(term))} returning 1)`;
  return {
    insert: `with ${fenceCte('$2')}, ${insert('$1', '$3')} select (select term from f) as term, (select count(*) from i) as written`,
    update: `with ${fenceCte('$2')}, ${update('$1', '$3')} select (select term from f) as term, (select count(*) from u) as written`,
    both: `with ${fenceCte('$3')}, ${insert('$1', '$4')}, ${update('$2', '$4')} select (select term from f) as term, (select count(*) from i) + (select count(*) from u) as written`,
  };
})();

function compileStepUpsert(db: Db, rowCount: number): CompiledQuery {
  const placeholder = Object.fromEntries(STEP_COLUMNS.map((c) => [c, 0])) as unknown as CairnDatabase['step_executions'];
  return db
    .insertInto('step_executions')
    .values(Array.from({ length: rowCount }, () => placeholder))
    .onConflict((oc) =>
      oc
        .columns(['execution_id', 'step_name'])
        .doUpdateSet((eb) => ({
          status: eb.ref('excluded.status'),
          cache_key: eb.ref('excluded.cache_key'),
          end_time: eb.ref('excluded.end_time'),
          updated_at: eb.ref('excluded.updated_at'),
          version: eb.ref('excluded.version'),
          record: eb.ref('excluded.record'),
        }))
        .where(sql<number>`step_executions.version`, '=', sql<number>`excluded.version - 1`),
    )
    .compile();
}

async function ensureGroup(db: Db, input: { name: string; description?: string; arnPrefix: string; now: number }): Promise<ModelPackageGroupRecord> {
  await db
    .insertInto('model_package_groups')
    .values({
      name: input.name,
      arn: modelPackageGroupArn(input.arnPrefix, input.name),
      description: input.description ?? null,
      created_at: input.now,
      latest_version: 0,
    })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('model_package_groups').selectAll().where('name', '=', input.name).executeTakeFirstOrThrow();
  return groupFromRow(row);
}

/** Events created before `before` without a pending delivery (what retention may delete). */
function prunableEvents(db: Db, before: number) {
  return db
    .selectFrom('events as e')
    .where('e.created_at', '<', before)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('event_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'e.id').where('d.status', '=', 'pending'))),
    );
}

/**
 * `pruneEvents` on PostgreSQL: picks (and locks, skipping rows another pruner holds) the oldest
 * prunable events, deletes their deliveries and them; `$1` before, `$2` limit.
 */
const PG_PRUNE_EVENTS = `with doomed as (
  select e.id from events e
  where e.created_at < $1
    and not exists (select 1 from event_deliveries d where d.event_id = e.id and d.status = 'pending')
  order by e.created_at, e.id
  limit $2
  for update of e skip locked
), deliveries as (
  delete from event_deliveries where event_id in (select id from doomed)
), gone as (
  delete from events where id in (select id from doomed) returning 1
)
select count(*)::int as pruned from gone`;

async function insertEvent(db: Db, event: StoredEvent, sinkIds: readonly string[]): Promise<DeliveryRecord[]> {
  const inserted = await db.insertInto('events').values(eventRows.toRow(event) as CairnDatabase['events']).onConflict((oc) => oc.doNothing()).executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows) !== 1) throw alreadyExists(`Event "${event.id}"`);
  const deliveries = newDeliveries(event, sinkIds);
  if (deliveries.length > 0) {
    await db.insertInto('event_deliveries').values(deliveries.map((d) => deliveryRows.toRow(d) as CairnDatabase['event_deliveries'])).execute();
  }
  return deliveries;
}

async function insertApprovalChange(db: Db, change: ApprovalChange): Promise<void> {
  await db
    .insertInto('approval_changes')
    .values({
      model_package_arn: change.modelPackageArn,
      from_status: change.from,
      to_status: change.to,
      changed_by: change.by,
      reason: change.reason ?? null,
      at: change.at,
    })
    .execute();
}
