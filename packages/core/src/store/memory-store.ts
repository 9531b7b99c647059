import { systemClock } from '../clock.js';
import { isTerminalExecutionStatus } from '../scheduler/status.js';
import type {
  CacheHit,
  CallbackTokenRecord,
  ExecutionFilter,
  ExecutionRecord,
  PipelineRecord,
  PutPipelineInput,
  StepExecutionRecord,
  StoreBatch,
} from './execution-store.js';
import { DEFAULT_PRUNE_EVENTS_LIMIT, type DeliveryRecord, type DeliveryStatus, type DeliveryUpdate, type PruneEventsQuery, type StoredEvent } from './event-store.js';
import { resolveLineageAssociations, type LineageAssociation, type LineageEntity, type LineageWrite } from './lineage-store.js';
import type {
  ApprovalChange,
  CreateModelPackageInput,
  ModelApprovalStatus,
  ModelPackageGroupRecord,
  ModelPackageRecord,
  UpdateApprovalStatusInput,
} from './registry-store.js';
import { checkFence } from './fence.js';
import type { CairnStore } from './store.js';
import {
  DEFAULT_ARN_PREFIX,
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
  type StoreOptions,
} from './store-support.js';

/** Deep copy, so callers never share mutable state with the store. */
const copy = <T>(value: T): T => structuredClone(value);

/** Newest first by creation time, then by id. */
const newestFirst = (a: ExecutionRecord, b: ExecutionRecord): number => b.createdAt - a.createdAt || b.id.localeCompare(a.id);

/**
 * `CairnStore` in process memory: for unit tests and examples. Nothing survives the process; the
 * semantics (compare-and-set, atomic batches, de-duplication) are the same as the SQL stores'.
 */
export class MemoryStore implements CairnStore {
  readonly kind = 'memory';
  private readonly arnPrefix: string;
  private readonly clock: { now(): number };
  private readonly pipelines = new Map<string, PipelineRecord[]>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly steps = new Map<string, StepExecutionRecord>();
  private readonly tokens = new Map<string, CallbackTokenRecord>();
  private readonly groups = new Map<string, ModelPackageGroupRecord>();
  private readonly packages = new Map<string, ModelPackageRecord>();
  private readonly approvals: ApprovalChange[] = [];
  private readonly entities = new Map<string, LineageEntity>();
  private readonly artifactsByUri = new Map<string, string>();
  private readonly associations = new Map<string, LineageAssociation>();
  private readonly events = new Map<string, StoredEvent>();
  private readonly deliveries = new Map<string, DeliveryRecord>();
  /** Fence name → current term. */
  private readonly fences = new Map<string, number>();

  constructor(options: StoreOptions = {}) {
    this.arnPrefix = options.arnPrefix ?? DEFAULT_ARN_PREFIX;
    this.clock = options.clock ?? systemClock;
  }

  async putPipeline(input: PutPipelineInput): Promise<PipelineRecord> {
    const versions = this.pipelines.get(input.name) ?? [];
    const latest = versions.at(-1);
    if (latest && samePipelineVersion(latest, input)) return copy(latest);
    const record = nextPipelineRecord(input, latest, this.arnPrefix, this.clock.now());
    this.pipelines.set(input.name, [...versions, record]);
    return copy(record);
  }

  async getPipeline(name: string, version?: number): Promise<PipelineRecord | undefined> {
    const versions = this.pipelines.get(name) ?? [];
    const found = version === undefined ? versions.at(-1) : versions.find((p) => p.version === version);
    return found && copy(found);
  }

  async listPipelines(): Promise<PipelineRecord[]> {
    return [...this.pipelines.values()].flatMap((v) => v.slice(-1)).map(copy).sort((a, b) => a.name.localeCompare(b.name));
  }

  async createExecution(record: ExecutionRecord): Promise<void> {
    if (this.executions.has(record.id)) throw alreadyExists(`Execution "${record.id}"`);
    this.executions.set(record.id, copy(record));
  }

  async getExecution(id: string): Promise<ExecutionRecord | undefined> {
    const found = this.executions.get(id);
    return found && copy(found);
  }

  async listExecutions(filter: ExecutionFilter = {}): Promise<ExecutionRecord[]> {
    return [...this.executions.values()]
      .filter((e) => (filter.pipelineName === undefined || e.pipelineName === filter.pipelineName) && (filter.status === undefined || e.status === filter.status))
      .sort(newestFirst)
      .slice(0, filter.limit ?? 100)
      .map(copy);
  }

  async listActiveExecutions(): Promise<ExecutionRecord[]> {
    return [...this.executions.values()].filter((e) => !isTerminalExecutionStatus(e.status)).sort(newestFirst).map(copy);
  }

  async listStepExecutions(executionId: string): Promise<StepExecutionRecord[]> {
    return [...this.steps.values()].filter((s) => s.executionId === executionId).map(copy);
  }

  async getStepExecution(executionId: string, stepName: string): Promise<StepExecutionRecord | undefined> {
    const found = this.steps.get(stepKey(executionId, stepName));
    return found && copy(found);
  }

  async commit(batch: StoreBatch): Promise<void> {
    // Check everything first, then apply: a conflict leaves the store untouched.
    if (batch.fence) checkFence(batch.fence, this.fences.get(batch.fence.name));
    const writes = planStepWrites(batch.steps);
    for (const write of writes) {
      checkStepVersion(write, this.steps.get(stepKey(write.record.executionId, write.record.stepName))?.version);
    }
    const patched = new Map<string, ExecutionRecord>();
    for (const { id, patch, expectedVersion } of batch.executions ?? []) {
      const current = patched.get(id) ?? this.executions.get(id);
      if (!current) throw executionNotFound(id);
      if (expectedVersion !== undefined && current.version !== expectedVersion) throw executionConflict(id, expectedVersion, current.version);
      patched.set(id, { ...current, ...copy(patch), id, version: current.version + 1 });
    }
    for (const { record } of writes) this.steps.set(stepKey(record.executionId, record.stepName), copy(record));
    for (const [id, record] of patched) this.executions.set(id, record);
  }

  async advanceFence(name: string): Promise<number> {
    const term = (this.fences.get(name) ?? 0) + 1;
    this.fences.set(name, term);
    return term;
  }

  async findCacheHit(query: { pipelineName: string; stepName: string; cacheKey: string; notBefore: number }): Promise<CacheHit | undefined> {
    let best: CacheHit | undefined;
    for (const step of this.steps.values()) {
      if (step.stepName !== query.stepName || step.cacheKey !== query.cacheKey || step.status !== 'Succeeded') continue;
      const execution = this.executions.get(step.executionId);
      if (!execution || execution.pipelineName !== query.pipelineName) continue;
      const endTime = step.endTime;
      if (endTime === undefined || endTime < query.notBefore || (best && best.endTime >= endTime)) continue;
      best = {
        executionId: execution.id,
        executionArn: execution.arn,
        stepName: step.stepName,
        properties: copy(step.properties ?? {}),
        ...(step.metadata ? { metadata: copy(step.metadata) } : {}),
        endTime,
      };
    }
    return best;
  }

  async putCallbackToken(record: CallbackTokenRecord): Promise<void> {
    if (this.tokens.has(record.tokenHash)) throw alreadyExists('Callback token');
    this.tokens.set(record.tokenHash, copy(record));
  }

  async redeemCallbackToken(
    tokenHash: string,
    redemption: { outcome: 'succeeded' | 'failed'; at: number; outputs?: { Name: string; Value: string }[]; failureReason?: string },
  ): Promise<CallbackTokenRecord | undefined> {
    const token = this.tokens.get(tokenHash);
    if (!token || token.redeemedAt !== undefined) return undefined;
    const { at, ...rest } = redemption;
    const redeemed: CallbackTokenRecord = { ...token, ...copy(rest), redeemedAt: at };
    this.tokens.set(tokenHash, redeemed);
    return copy(redeemed);
  }

  async getCallbackToken(tokenHash: string): Promise<CallbackTokenRecord | undefined> {
    const found = this.tokens.get(tokenHash);
    return found && copy(found);
  }

  async listCallbackTokens(query: { executionId: string; stepName: string; attempt: number }): Promise<CallbackTokenRecord[]> {
    return [...this.tokens.values()]
      .filter((t) => t.executionId === query.executionId && t.stepName === query.stepName && t.attempt === query.attempt)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((t) => copy(t));
  }

  async ensureModelPackageGroup(input: { name: string; description?: string; arnPrefix: string; now: number }): Promise<ModelPackageGroupRecord> {
    const existing = this.groups.get(input.name);
    if (existing) return copy(existing);
    const group: ModelPackageGroupRecord = {
      ModelPackageGroupName: input.name,
      ModelPackageGroupArn: modelPackageGroupArn(input.arnPrefix, input.name),
      ...(input.description !== undefined ? { ModelPackageGroupDescription: input.description } : {}),
      CreationTime: input.now,
      ModelPackageGroupStatus: 'Completed',
    };
    this.groups.set(input.name, group);
    return copy(group);
  }

  async getModelPackageGroup(name: string): Promise<ModelPackageGroupRecord | undefined> {
    const found = this.groups.get(name);
    return found && copy(found);
  }

  async listModelPackageGroups(): Promise<ModelPackageGroupRecord[]> {
    return [...this.groups.values()].map(copy).sort((a, b) => a.ModelPackageGroupName.localeCompare(b.ModelPackageGroupName));
  }

  async createModelPackage(input: CreateModelPackageInput): Promise<ModelPackageRecord> {
    const group = await this.ensureModelPackageGroup({ name: requestedGroupName(input.request), arnPrefix: input.arnPrefix, now: input.now });
    const version = [...this.packages.values()].filter((p) => p.groupName === group.ModelPackageGroupName).length + 1;
    const record = buildModelPackageRecord(input, group, version);
    const event = input.outbox?.build(copy(record));
    this.packages.set(record.arn, record);
    this.approvals.push({ modelPackageArn: record.arn, from: null, to: record.approvalStatus, by: input.createdBy, at: input.now });
    if (event && input.outbox) await this.appendEvent(event, input.outbox.sinkIds);
    return copy(record);
  }

  async getModelPackage(ref: string): Promise<ModelPackageRecord | undefined> {
    const found = this.findPackage(ref);
    return found && copy(found);
  }

  async listModelPackages(query: { groupName: string; status?: ModelApprovalStatus }): Promise<ModelPackageRecord[]> {
    return [...this.packages.values()]
      .filter((p) => p.groupName === query.groupName && (query.status === undefined || p.approvalStatus === query.status))
      .sort((a, b) => b.version - a.version)
      .map(copy);
  }

  async updateApprovalStatus(input: UpdateApprovalStatusInput): Promise<{ record: ModelPackageRecord; change: ApprovalChange }> {
    const current = this.findPackage(input.ref);
    if (!current) throw modelPackageNotFound(input.ref);
    if (input.expectedStatus !== undefined && current.approvalStatus !== input.expectedStatus) {
      throw approvalConflict(current.arn, input.expectedStatus, current.approvalStatus);
    }
    const record = applyApproval(current, input);
    const change: ApprovalChange = {
      modelPackageArn: current.arn,
      from: current.approvalStatus,
      to: input.status,
      by: input.by,
      ...(input.reason !== undefined ? { reason: input.reason } : {}),
      at: input.now,
    };
    const event = input.outbox?.build(copy(record));
    this.packages.set(record.arn, record);
    this.approvals.push(change);
    if (event && input.outbox) await this.appendEvent(event, input.outbox.sinkIds);
    return { record: copy(record), change: copy(change) };
  }

  async listApprovalChanges(ref: string): Promise<ApprovalChange[]> {
    const found = this.findPackage(ref);
    if (!found) return [];
    return this.approvals.filter((c) => c.modelPackageArn === found.arn).map(copy);
  }

  async putLineageEntity(entity: LineageEntity): Promise<LineageEntity> {
    return copy(this.putEntity(entity));
  }

  async getLineageEntity(arnOrUri: string): Promise<LineageEntity | undefined> {
    const found = this.entities.get(arnOrUri) ?? this.entities.get(this.artifactsByUri.get(arnOrUri) ?? '');
    return found && copy(found);
  }

  async addAssociation(association: LineageAssociation): Promise<void> {
    this.addAssociationNow(association);
  }

  async listAssociations(query: { sourceArn?: string; destinationArn?: string }): Promise<LineageAssociation[]> {
    return [...this.associations.values()]
      .filter((a) => (query.sourceArn === undefined || a.sourceArn === query.sourceArn) && (query.destinationArn === undefined || a.destinationArn === query.destinationArn))
      .map(copy);
  }

  async writeLineage(write: LineageWrite): Promise<LineageEntity[]> {
    // Copied first, so a value that cannot be copied fails the write before it changes anything.
    const input = copy(write);
    const stored = input.entities.map((entity) => this.putEntity(entity));
    for (const association of resolveLineageAssociations(input, stored)) this.addAssociationNow(association);
    return stored.map(copy);
  }

  /** `putLineageEntity` without the copy of the result. */
  private putEntity(entity: LineageEntity): LineageEntity {
    const existingArn = (entity.kind === 'Artifact' && entity.sourceUri && this.artifactsByUri.get(entity.sourceUri)) || entity.arn;
    const existing = this.entities.get(existingArn);
    if (existing) return existing;
    const stored = copy(entity);
    this.entities.set(entity.arn, stored);
    if (entity.kind === 'Artifact' && entity.sourceUri) this.artifactsByUri.set(entity.sourceUri, entity.arn);
    return stored;
  }

  private addAssociationNow(association: LineageAssociation): void {
    const key = `${association.sourceArn}\u0000${association.destinationArn}`;
    if (!this.associations.has(key)) this.associations.set(key, copy(association));
  }

  async appendEvent(event: StoredEvent, sinkIds: readonly string[]): Promise<DeliveryRecord[]> {
    if (this.events.has(event.id)) throw alreadyExists(`Event "${event.id}"`);
    this.events.set(event.id, copy(event));
    const created = newDeliveries(event, sinkIds);
    for (const delivery of created) this.deliveries.set(delivery.id, delivery);
    return created.map(copy);
  }

  async getEvent(id: string): Promise<StoredEvent | undefined> {
    const found = this.events.get(id);
    return found && copy(found);
  }

  async getDelivery(id: string): Promise<DeliveryRecord | undefined> {
    const found = this.deliveries.get(id);
    return found && copy(found);
  }

  async listDeliveries(query: { eventId?: string; status?: DeliveryStatus; limit?: number } = {}): Promise<DeliveryRecord[]> {
    return [...this.deliveries.values()]
      .filter((d) => (query.eventId === undefined || d.eventId === query.eventId) && (query.status === undefined || d.status === query.status))
      .sort((a, b) => a.createdAt - b.createdAt)
      .slice(0, query.limit ?? 100)
      .map(copy);
  }

  async claimDueDeliveries(query: { now: number; leaseUntil: number; limit: number }): Promise<DeliveryRecord[]> {
    const due = [...this.deliveries.values()]
      .filter((d) => d.status === 'pending' && d.nextAttemptAt <= query.now)
      .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt)
      .slice(0, query.limit);
    for (const d of due) d.nextAttemptAt = query.leaseUntil;
    return due.map(copy);
  }

  async updateDelivery(id: string, update: DeliveryUpdate): Promise<DeliveryRecord | undefined> {
    const current = this.deliveries.get(id);
    if (!current) return undefined;
    const updated = { ...current, ...update };
    this.deliveries.set(id, updated);
    return copy(updated);
  }

  async pruneEvents(query: PruneEventsQuery): Promise<number> {
    const doomed = new Set(this.prunableEvents(query.before).slice(0, query.limit ?? DEFAULT_PRUNE_EVENTS_LIMIT).map((e) => e.id));
    for (const id of doomed) this.events.delete(id);
    for (const [id, d] of this.deliveries) if (doomed.has(d.eventId)) this.deliveries.delete(id);
    return doomed.size;
  }

  async countPrunableEvents(query: { before: number }): Promise<number> {
    return this.prunableEvents(query.before).length;
  }

  /** Events created before `before` without a pending delivery, oldest first (as the SQL stores order them). */
  private prunableEvents(before: number): StoredEvent[] {
    const pending = new Set([...this.deliveries.values()].filter((d) => d.status === 'pending').map((d) => d.eventId));
    return [...this.events.values()]
      .filter((e) => e.createdAt < before && !pending.has(e.id))
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async close(): Promise<void> {}

  private findPackage(ref: string): ModelPackageRecord | undefined {
    const parsed = parseModelPackageRef(ref);
    if ('arn' in parsed) return this.packages.get(parsed.arn);
    return [...this.packages.values()].find((p) => p.groupName === parsed.groupName && p.version === parsed.version);
  }
}
